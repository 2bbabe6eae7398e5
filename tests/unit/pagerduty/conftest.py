"""Fixtures of the client's unit tests."""

from __future__ import annotations

import pytest
from pd_unit_helpers import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()

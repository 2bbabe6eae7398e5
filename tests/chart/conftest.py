"""Fixtures of the chart tests: the pinned helm binary and the value sets the tests render."""

from __future__ import annotations

from pathlib import Path

import pytest
from chart_helpers import VALUES_DIR, Helm, helm_binary


@pytest.fixture(scope="session")
def helm() -> Helm:
    """helm without a cluster (lint and template)."""
    return Helm(helm_binary())


VALUE_SETS: dict[str, list[Path]] = {
    "default": [],
    "namespaced": [VALUES_DIR / "namespaced.yaml"],
    "full": [VALUES_DIR / "full.yaml"],
}

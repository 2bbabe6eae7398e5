"""Which path a rule leaves when its integration's serviceId changes under it."""

from __future__ import annotations

from typing import Any

import pytest

from pagerduty_operator.reconcile.incident_rule import previous_path
from pagerduty_operator.reconcile.rule_coordinator import PathRef

NEW = PathRef("service", "PNEW001")


@pytest.mark.parametrize(
    "status",
    [
        {},
        {"path": None},
        {"path": {"type": "service", "id": "PNEW001"}},
        {"path": {"type": "service"}},
        {"path": {"type": "unrouted", "id": "x"}},
        {"path": "service/POLD001"},
    ],
)
def test_no_previous_path(status: dict[str, Any]) -> None:
    assert previous_path(status, NEW) is None


def test_a_different_path_is_the_one_left() -> None:
    status = {"path": {"type": "service", "id": "POLD001"}, "ruleId": "abcd0001"}
    assert previous_path(status, NEW) == PathRef("service", "POLD001")
    router = {"path": {"type": "router", "id": "PNEW001"}}
    assert previous_path(router, NEW) == PathRef("router", "PNEW001")

"""The PCL subset used to route simulated events."""

from __future__ import annotations

import pytest

from pagerduty_simulator.pcl import PclError, evaluate, matches_any

EVENT = {
    "summary": "Disk FULL on db01",
    "source": "db01.prod",
    "severity": "critical",
    "custom_details": {"free space": "1%", "load": 0.75, "tags": ["a", "b"], "count": 3},
}
RAW = {"payload": {"summary": "Disk FULL on db01"}, "client": "Nagios"}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("event.summary matches part 'disk'", True),
        ("event.summary matches part exactly 'disk'", False),
        ("event.summary matches 'disk full on db01'", True),
        ("event.summary matches exactly 'disk full on db01'", False),
        ("event.source matches regex 'db[0-9]+'", True),
        ("event.source matches regex exactly 'DB[0-9]+'", False),
        ("event.severity == 'critical'", True),
        ("event.severity != 'critical'", False),
        ("event.custom_details['free space'] == '1%'", True),
        ("event.custom_details.load > 0.5", True),
        ("event.custom_details.count <= 2", False),
        ("event.custom_details.tags[1] == 'b'", True),
        ("event.custom_details.missing exists", False),
        ("event.custom_details.load exists", True),
        ("event.severity in ['error', 'critical']", True),
        ("raw_event.client == 'Nagios'", True),
        ("not event.summary matches part 'cpu'", True),
        ("event.summary matches part 'cpu' or event.source matches part 'db'", True),
        (
            "event.summary matches part 'disk' and "
            "(event.severity == 'info' or event.source matches part 'prod')",
            True,
        ),
        ("event.summary matches part 'it\\'s'", False),
        ("event.missing.deeper == 'x'", False),
    ],
)
def test_supported_expressions(expression: str, expected: bool) -> None:
    assert evaluate(expression, EVENT, RAW) is expected


@pytest.mark.parametrize(
    "expression",
    [
        "now in Mon,Tue 09:00:00 to 17:00:00 America/Los_Angeles",
        "trigger_count over 5 minutes > 3",
        "event.summary matches",
        "event.summary ~= 'x'",
        "(event.summary == 'x'",
    ],
)
def test_unsupported_expressions_raise_and_never_match(expression: str) -> None:
    with pytest.raises(PclError):
        evaluate(expression, EVENT, RAW)
    assert matches_any([{"expression": expression}], EVENT, RAW) is False


def test_rules_match_on_any_condition_or_when_they_have_none() -> None:
    assert matches_any([], EVENT, RAW) is True
    conditions = [
        {"expression": "event.severity == 'info'"},
        {"expression": "event.source matches part 'db'"},
    ]
    assert matches_any(conditions, EVENT, RAW) is True

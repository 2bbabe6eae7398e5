"""The benchmarks' own arithmetic: targets, ratios, percentiles, call counts, table, workload."""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `python -m pytest` from the repository has it already
    sys.path.insert(0, str(REPO))

from bench.latency import _taking_turns  # noqa: E402
from bench.report import (  # noqa: E402
    CallCounts,
    Row,
    Target,
    format_number,
    list_call_budget,
    lower_bound_seconds,
    markdown_table,
    percentile,
    ratio,
)
from bench.workload import Workload  # noqa: E402


@pytest.mark.parametrize(
    ("target", "value", "met"),
    [
        (Target(">=", 50), 50.0, True),
        (Target(">=", 50), 49.9, False),
        (Target("<=", 1.10), 1.10, True),
        (Target("<=", 1.10), 1.11, False),
        (Target("<", 200), 200.0, False),
        (Target("<", 200), 199.9, True),
        (Target(">", 0), 0.0, False),
        (Target("==", 0), 0.0, True),
        (Target("==", 0), 1.0, False),
    ],
)
def test_target_met(target: Target, value: float, met: bool) -> None:
    assert target.met(value) is met


def test_row_without_target_or_value_is_neither_met_nor_unmet() -> None:
    assert Row("b", "m", 3.0).met is None
    assert Row("b", "m", None, target=Target(">=", 1)).met is None
    assert Row("b", "m", 0.5, target=Target(">=", 1)).met is False


def test_lower_bound_and_ratio() -> None:
    assert lower_bound_seconds(320) == 20.0
    assert lower_bound_seconds(120, per_second=2) == 60.0
    assert ratio(22.0, lower_bound_seconds(320)) == pytest.approx(1.1)
    assert ratio(0.0, 0.0) == 1.0
    assert math.isinf(ratio(1.0, 0.0))
    with pytest.raises(ValueError, match="positive"):
        lower_bound_seconds(10, per_second=0)


def test_percentile_interpolates_between_ranks() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 5.0
    assert percentile(values, 95) == pytest.approx(4.8)
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="within"):
        percentile(values, 101)


def test_list_call_budget_counts_started_pages_per_scope() -> None:
    assert list_call_budget([10, 10, 34]) == 3
    assert list_call_budget([100, 101, 250]) == 1 + 2 + 3
    assert list_call_budget([]) == 0


def test_call_counts_from_the_simulator_log() -> None:
    counts = CallCounts.from_log(
        [
            {"method": "GET", "route": "/webhook_subscriptions", "status": 200, "count": 7},
            {"method": "GET", "route": "/webhook_subscriptions/{id}", "status": 404, "count": 2},
            {"method": "POST", "route": "/webhook_subscriptions", "status": 200, "count": 5},
            {"method": "POST", "route": "/webhook_subscriptions", "status": 429, "count": 3},
            {
                "method": "PUT",
                "route": "/event_orchestrations/services/{id}",
                "status": 200,
                "count": 1,
            },
        ]
    )
    assert counts.total == 18
    assert counts.with_status(429) == 3
    assert counts.count("GET", "/webhook_subscriptions") == 7
    assert counts.matching("GET", "/webhook_subscriptions") == 9
    assert counts.writes() == 9
    assert counts.changes() == 6  # the 429s changed nothing
    assert counts.as_json()["POST /webhook_subscriptions"] == {"200": 5, "429": 3}
    assert "POST /webhook_subscriptions 429 x3" in counts.summary()


def test_markdown_table_marks_unmet_targets() -> None:
    table = markdown_table(
        [
            Row("1 convergence", "throughput", 42.25, "objects/s", Target(">=", 50)),
            Row("5 memory", "peak RSS", 150.0, "MiB", Target("<", 200), note="a|b"),
            Row("6 simulator", "rps", None, note="failed"),
        ]
    )
    lines = table.splitlines()
    assert lines[0].startswith("| benchmark | metric | value | target | met |")
    assert (
        lines[2] == "| 1 convergence | throughput | 42.2 objects/s | >= 50 objects/s | **no** |  |"
    )
    assert lines[3] == "| 5 memory | peak RSS | 150 MiB | < 200 MiB | yes | a\\|b |"
    assert lines[4] == "| 6 simulator | rps | n/a |  |  | failed |"


def test_format_number() -> None:
    assert format_number(1000.0) == "1000"
    assert format_number(123.456) == "123"
    assert format_number(12.345) == "12.3"
    assert format_number(1.2345) == "1.23"
    assert format_number(0.05678) == "0.0568"


def test_workload_respects_the_per_filter_limit_and_one_credential_per_scope() -> None:
    workload = Workload("ns", webhooks=1000, rules=100, integrations=10)
    per_scope = workload.subscriptions_per_scope()
    assert sum(per_scope.values()) == 1000
    for (_, kind, scope_id), count in per_scope.items():
        if kind == "account":
            assert scope_id == ""
        else:
            assert count <= workload.per_filter_limit
    ids = [(k, i) for (_, k, i) in per_scope if k != "account"]
    assert len(ids) == len(set(ids)), "a service or team is listed with two credentials"
    scopes = {p.scope for p in workload.webhook_plans}
    assert scopes == {"account", "service", "team"}
    assert {p.service_id for p in workload.rule_plans} == {
        Workload.path_service(i) for i in range(5)
    }
    seeded = workload.seed_document()["accounts"][0]
    assert {s["id"] for s in seeded["services"]} >= {
        p.scope_id for p in workload.webhook_plans if p.scope == "service"
    }
    assert len(seeded["api_keys"]) == 10 + 1  # one per integration, plus the observer


def test_shared_credential_workload_has_one_key() -> None:
    workload = Workload("ns", webhooks=300, rules=30, integrations=3, shared_credential=True)
    assert workload.credentials() == [0]
    assert len(workload.secrets()) == 1
    refs = {
        o["spec"]["credentials"]["apiKey"]["secretKeyRef"]["name"]
        for o in workload.integration_objects()
    }
    assert refs == {"bench-key-0000"}


def test_lone_rule_changes_take_turns_over_the_paths() -> None:
    workload = Workload("ns", webhooks=10, rules=100, integrations=10)
    picked = _taking_turns(workload.rule_plans, 10)
    assert len({p.name for p in picked}) == 10
    assert all(a.service_id != b.service_id for a, b in itertools.pairwise(picked))
    assert {p.service_id for p in picked} == {p.service_id for p in workload.rule_plans}
    assert len(_taking_turns(workload.rule_plans, 3)) == 3


def test_an_account_scope_listing_shows_the_whole_accounts_account_scoped_subscriptions() -> None:
    workload = Workload("w", webhooks=1000, rules=0, integrations=10)
    listed = workload.listed_per_scope()
    account = [n for (_, kind, _), n in listed.items() if kind == "account"]
    assert account == [340] * 10
    assert sum(-(-n // 100) for n in listed.values()) == 10 * 4 + 80

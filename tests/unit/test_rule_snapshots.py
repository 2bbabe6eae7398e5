"""Rule resyncs from a path snapshot: no call when nothing would change, kicks for drift."""

from __future__ import annotations

from typing import Any

from pagerduty_operator.models.incident_rule import IncidentRuleSpec
from pagerduty_operator.pagerduty.resources.orchestrations import OrchestrationPath
from pagerduty_operator.reconcile.rule_coordinator import PathRef
from pagerduty_operator.reconcile.rule_desired import DesiredRule
from pagerduty_operator.reconcile.rule_path_edit import Inspect, Remove, Upsert, edit_sets
from pagerduty_operator.reconcile.rule_snapshots import changed_owners, without_write

REF = PathRef("service", "PSVC001")


def _desired(name: str, expression: str = "event.summary matches 'disk'") -> DesiredRule:
    spec = IncidentRuleSpec.model_validate(
        {
            "integrationRef": {"name": "pd"},
            "conditions": [expression],
            "actions": {"severity": "critical"},
        }
    )
    return DesiredRule.build(spec, ("ns", name), None)


def _path_with(*rules: DesiredRule) -> OrchestrationPath:
    sets, _ = edit_sets([{"id": "start", "rules": []}], [Upsert(r) for r in rules])
    for index, rule in enumerate(sets[0]["rules"]):
        rule["id"] = f"R{index}"
    path: dict[str, Any] = {"sets": sets, "catch_all": {"actions": {}}}
    return path  # type: ignore[return-value]


def test_a_rule_as_wanted_needs_no_call() -> None:
    rule = _desired("a")
    path = _path_with(rule, _desired("b"))
    applied = without_write(path, REF, Upsert(rule, "R0"))
    assert applied is not None
    assert not applied.wrote
    assert applied.result.found
    assert applied.result.differences == []
    assert (applied.result.rule_id, applied.result.set_id) == ("R0", "start")


def test_a_rule_missing_or_different_goes_to_the_coordinator() -> None:
    path = _path_with(_desired("b"))
    assert without_write(path, REF, Upsert(_desired("a"), "R9")) is None
    changed = _desired("b", "event.summary matches 'cpu'")
    assert without_write(path, REF, Upsert(changed, "R0")) is None
    assert without_write(path, REF, Remove(("ns", "b"), "R0")) is None


def test_observe_reports_from_the_snapshot() -> None:
    path = _path_with(_desired("b"))
    changed = _desired("b", "event.summary matches 'cpu'")
    applied = without_write(path, REF, Inspect(changed, "R0"))
    assert applied is not None
    assert applied.result.differences


def test_changed_owners_are_the_rules_edited_moved_or_deleted() -> None:
    before = _path_with(_desired("a"), _desired("b"), _desired("c"))
    after = _path_with(_desired("a"), _desired("b", "event.summary matches 'cpu'"))
    assert changed_owners(before, after) == {"ns/b", "ns/c"}
    assert changed_owners(before, before) == set()
    hand: dict[str, Any] = {"sets": [dict(s) for s in before["sets"]]}
    hand["sets"][0]["rules"] = [*before["sets"][0]["rules"], {"id": "X", "label": "by hand"}]
    assert changed_owners(before, hand) == set(), "a rule of someone else is not ours to fix"

"""Editing orchestration sets: ours first and sorted, theirs untouched, sets created and removed."""

from __future__ import annotations

import copy
import json
from typing import Any

from pagerduty_operator.models.incident_rule import IncidentRuleSpec
from pagerduty_operator.reconcile.rule_desired import DesiredRule, parse_marker
from pagerduty_operator.reconcile.rule_path_edit import (
    Change,
    Inspect,
    Release,
    Remove,
    Upsert,
    edit_sets,
)
from support.orchestration_shapes import full_actions, go_client_actions, set_actions

THEIRS_1 = {
    "id": "aaaa0001",
    "label": "hand-made one",
    "conditions": [{"expression": "event.summary matches part 'db'"}],
    "actions": {"severity": "warning", "suppress": None},
    "disabled": False,
}
THEIRS_2 = {"id": "aaaa0002", "label": "hand-made two", "conditions": [], "actions": {}}


def _rule(name: str, order: int = 0, set_id: str = "start", **actions: Any) -> DesiredRule:
    spec = IncidentRuleSpec.model_validate(
        {
            "integrationRef": {"name": "i"},
            "order": order,
            "set": set_id,
            "actions": actions or {"severity": "critical"},
            "conditions": [f"event.summary matches '{name}'"],
        }
    )
    return DesiredRule.build(spec, ("ns", name), None)


def _start(*rules: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": "start", "rules": [copy.deepcopy(r) for r in rules]}]


def _labels(sets: list[dict[str, Any]], set_id: str = "start") -> list[str]:
    rule_set = next(s for s in sets if s["id"] == set_id)
    return [r["label"] for r in rule_set["rules"]]


def test_ours_come_first_sorted_and_theirs_keep_content_and_order() -> None:
    sets = _start(THEIRS_1, THEIRS_2)
    changes: list[Change] = [
        Upsert(_rule("b", order=5)),
        Upsert(_rule("a", order=5)),
        Upsert(_rule("c", 1)),
    ]
    new, results = edit_sets(sets, changes)
    owners = [parse_marker(label) for label in _labels(new)]
    assert [o[0][1] if o else None for o in owners] == ["c", "a", "b", None, None]
    assert new[0]["rules"][3:] == [THEIRS_1, THEIRS_2]
    assert results[("ns", "c")].position == 0
    assert results[("ns", "b")].differences == ["created"]


def test_unchanged_rule_is_not_a_difference_and_keeps_its_id() -> None:
    first, _ = edit_sets(_start(THEIRS_1), [Upsert(_rule("a"))])
    first[0]["rules"][0]["id"] = "bbbb0001"  # PagerDuty assigned an id
    again, results = edit_sets(first, [Upsert(_rule("a"), known_id="bbbb0001")])
    assert again == first
    assert results[("ns", "a")].differences == []
    assert results[("ns", "a")].rule_id == "bbbb0001"


def test_duplicates_of_our_rule_are_removed() -> None:
    marked = _rule("a").body("cccc0001")
    twin = {**marked, "id": "cccc0002"}
    new, results = edit_sets(_start(marked, THEIRS_1, twin), [Upsert(_rule("a"))])
    assert [r["id"] for r in new[0]["rules"]] == ["cccc0001", "aaaa0001"]
    assert results[("ns", "a")].rule_id == "cccc0001"


def test_move_between_sets_creates_the_set_and_removes_the_emptied_one() -> None:
    sets, _ = edit_sets(_start(THEIRS_1), [Upsert(_rule("x", set_id="old"))])
    assert [s["id"] for s in sets] == ["start", "old"]
    moved, results = edit_sets(sets, [Upsert(_rule("x", set_id="new"))])
    assert [s["id"] for s in moved] == ["start", "new"]
    assert "set" in results[("ns", "x")].differences


def test_an_emptied_set_that_is_still_routed_to_stays() -> None:
    sets, _ = edit_sets(
        _start(), [Upsert(_rule("router", route_to="extra")), Upsert(_rule("x", set_id="extra"))]
    )
    after, _ = edit_sets(sets, [Remove(("ns", "x"))])
    assert [s["id"] for s in after] == ["start", "extra"]
    gone, _ = edit_sets(after, [Remove(("ns", "router"))])
    assert [s["id"] for s in gone] == ["start"]


def test_remove_release_and_inspect() -> None:
    sets, _ = edit_sets(_start(THEIRS_1), [Upsert(_rule("a")), Upsert(_rule("b"))])
    released, _ = edit_sets(sets, [Release(("ns", "a"))])
    labels = [r["label"] for r in released[0]["rules"]]
    assert "ns/a" in labels  # the released rule keeps its content, without the marker
    assert sum(1 for label in labels if parse_marker(label)) == 1
    assert THEIRS_1 in released[0]["rules"]
    removed, _ = edit_sets(sets, [Remove(("ns", "b"))])
    assert len(removed[0]["rules"]) == 2
    inspected, results = edit_sets(removed, [Inspect(_rule("a", severity="info"))])
    assert inspected == removed
    assert results[("ns", "a")].differences == ["actions"]


def test_a_rule_edited_by_hand_is_restored() -> None:
    sets, _ = edit_sets(_start(THEIRS_1), [Upsert(_rule("a"))])
    sets[0]["rules"][0]["actions"] = {"severity": "info"}
    fixed, results = edit_sets(sets, [Upsert(_rule("a"))])
    assert fixed[0]["rules"][0]["actions"] == {"severity": "critical"}
    assert results[("ns", "a")].differences == ["actions"]


def test_a_route_to_a_missing_set_creates_it_empty_until_nothing_routes_to_it() -> None:
    sets, _ = edit_sets(_start(THEIRS_1), [Upsert(_rule("entry", route_to="later"))])
    assert [(s["id"], len(s["rules"])) for s in sets] == [("start", 2), ("later", 0)]
    filled, _ = edit_sets(sets, [Upsert(_rule("x", set_id="later"))])
    assert [(s["id"], len(s["rules"])) for s in filled] == [("start", 2), ("later", 1)]
    rerouted, _ = edit_sets(sets, [Upsert(_rule("entry", route_to="elsewhere"))])
    assert [s["id"] for s in rerouted] == ["start", "elsewhere"]
    gone, _ = edit_sets(sets, [Remove(("ns", "entry"))])
    assert [s["id"] for s in gone] == ["start"]


def test_route_targets_on_a_router_are_services_not_sets() -> None:
    sets, _ = edit_sets(
        _start(), [Upsert(_rule("entry", route_to="PSVC001"))], route_targets_are_sets=False
    )
    assert [s["id"] for s in sets] == ["start"]


def test_a_persons_route_to_a_missing_set_is_not_ours_to_fix() -> None:
    theirs = {**THEIRS_2, "actions": {"route_to": "nowhere"}}
    sets, _ = edit_sets(_start(theirs), [Upsert(_rule("a"))])
    assert [s["id"] for s in sets] == ["start"]


def test_a_rule_read_back_with_pagerdutys_defaults_is_not_rewritten() -> None:
    """PagerDuty may fill in actions it was not sent (nulls, false, []); that is no change."""
    sets, _ = edit_sets(_start(THEIRS_1), [Upsert(_rule("a"))])
    stored = sets[0]["rules"][0]
    stored["id"] = "dddd0001"
    stored["actions"] = {
        **stored["actions"],
        "suppress": False,
        "suspend": None,
        "variables": [],
        "route_to": None,
    }
    again, results = edit_sets(sets, [Upsert(_rule("a"), known_id="dddd0001")])
    assert again == sets  # so the coordinator makes no PUT
    assert results[("ns", "a")].differences == []
    changed, results = edit_sets(sets, [Upsert(_rule("a", severity="info"))])
    assert changed[0]["rules"][0]["actions"] == {"severity": "info"}
    assert results[("ns", "a")].differences == ["actions"]


def _read_back(rule: dict[str, Any], kind: str = "service") -> dict[str, Any]:
    """A rule as PagerDuty reads it back.

    Every field, the full action object of its path type, and list items with their unused keys
    as null (as a person's tool might have saved them).
    """
    actions = set_actions(rule.get("actions") or {})
    if "extractions" in actions:
        actions["extractions"] = [
            {"target": None, "template": None, "regex": None, "source": None, **e}
            for e in actions["extractions"]
        ]
    return {
        "id": rule.get("id"),
        "label": rule.get("label"),
        "conditions": rule.get("conditions") or [],
        "actions": full_actions(kind, **actions),
        "disabled": bool(rule.get("disabled")),
    }


def _every_action_rule() -> DesiredRule:
    spec = IncidentRuleSpec.model_validate(
        {
            "integrationRef": {"name": "i"},
            "conditions": ["event.summary matches 'all'"],
            "actions": {
                "routeTo": "next",
                "severity": "critical",
                "suppress": False,
                "suspend": 60,
                "eventAction": "trigger",
                "annotate": "note",
                "escalationPolicy": "PEP0001",
                "variables": [{"name": "v", "path": "event.summary", "value": "(x)"}],
                "extractions": [
                    {"target": "event.summary", "template": "{{variables.v}}"},
                    {"target": "event.source", "regex": "(.*)", "source": "event.source"},
                ],
                "incidentCustomFieldUpdates": [{"id": "PCF0001", "value": "v"}],
            },
        }
    )
    return DesiredRule.build(spec, ("ns", "every"), "PPRIO01")


def test_our_rules_read_back_in_pagerdutys_full_shape_are_no_drift() -> None:
    """Canonical reads (every key, unset ones null/false/[]) never look like drift."""
    desired = _every_action_rule()
    written, _ = edit_sets(_start(), [Upsert(desired)])
    read = [
        {**s, "rules": [_read_back({**r, "id": f"ffff000{i}"}) for i, r in enumerate(s["rules"])]}
        for s in written
    ]
    ours = read[0]["rules"][0]
    assert set(ours["actions"]) == set(full_actions("service"))  # the full shape indeed
    assert ours["actions"]["extractions"][0]["regex"] is None
    again, results = edit_sets(read, [Upsert(desired, known_id="ffff0000")])
    assert again == read  # so the coordinator makes no PUT
    assert results[("ns", "every")].differences == []
    _, inspected = edit_sets(read, [Inspect(desired, known_id="ffff0000")])
    assert inspected[("ns", "every")].differences == []
    # A real difference inside the full shape is still seen.
    ours["actions"]["severity"] = "info"
    changed, results = edit_sets(read, [Upsert(desired, known_id="ffff0000")])
    assert results[("ns", "every")].differences == ["actions"]
    assert changed[0]["rules"][0]["actions"]["severity"] == "critical"


def test_null_conditions_and_disabled_read_back_are_no_drift() -> None:
    desired = _rule("a")
    read = desired.body("abcd0001")
    read["disabled"] = None
    assert desired.differences(read) == []
    unconditional = _rule_without_conditions("b")
    assert unconditional.differences({**unconditional.body("abcd0002"), "conditions": None}) == []
    assert unconditional.differences({**unconditional.body("abcd0002"), "disabled": True}) == [
        "disabled"
    ]


def _rule_without_conditions(name: str) -> DesiredRule:
    spec = IncidentRuleSpec.model_validate(
        {"integrationRef": {"name": "i"}, "actions": {"severity": "info"}}
    )
    return DesiredRule.build(spec, ("ns", name), None)


def test_rules_of_others_in_the_full_shape_travel_back_byte_for_byte() -> None:
    """A person's rules in the full shape are untouched when the operator edits the path.

    Terraform's zero values or PagerDuty's canonical read: same keys, same order, same values.
    """
    terraform_made = {
        "id": "eeee0001",
        "label": "made with terraform",
        "conditions": None,
        "actions": go_client_actions(severity="info"),
        "disabled": False,
    }
    read_back = {
        "id": "eeee0002",
        "label": None,
        "conditions": [{"expression": "event.source matches 'x'"}],
        "actions": full_actions("service", suppress=True, priority="PPRIO02"),
        "disabled": True,
    }
    sets = _start(terraform_made, read_back)
    before = json.dumps(sets[0]["rules"])
    new, results = edit_sets(sets, [Upsert(_rule("a"))])
    assert results[("ns", "a")].differences == ["created"]
    assert json.dumps(new[0]["rules"][1:]) == before
    changed, _ = edit_sets(new, [Upsert(_rule("a", severity="warning"))])
    assert json.dumps(changed[0]["rules"][1:]) == before
    removed, _ = edit_sets(changed, [Remove(("ns", "a"))])
    assert json.dumps(removed[0]["rules"]) == before

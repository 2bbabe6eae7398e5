"""Many PagerDutyIncidentRules and rules made by hand share one service path.

Ours come first in their set, sorted by (order, namespace/name); the person's rules keep their
content (compared as JSON) and relative order through every create, change, drift correction,
delete and orphan.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from operator_harness import DRIFT_SECONDS, Tenant
from rules_harness import PathAt, RuleDesk, canonical, hand_rule, marker_of, rule_desk

from support.kube import JSON
from support.orchestration_shapes import full_actions
from support.waiting import wait_for


@pytest.fixture
def desk(tenant: Tenant) -> Iterator[RuleDesk]:
    with rule_desk(tenant) as desk:
        yield desk


def _seed_hand_rules(desk: RuleDesk, at: PathAt) -> None:
    p1 = desk.priority_ids()["P1"]
    desk.save_by_hand(
        at,
        [
            {
                "id": "start",
                "rules": [
                    hand_rule(
                        "Disk alerts (by hand)",
                        "event.summary matches part 'disk'",
                        priority=p1,
                        annotate="made in the web app",
                    ),
                    hand_rule("Batch to manual", "event.source matches 'batch'", route_to="manual"),
                ],
            },
            {
                "id": "manual",
                "rules": [
                    hand_rule("Info is info", "event.severity matches 'info'", severity="info")
                ],
            },
        ],
    )


def _theirs(sets: dict[str, list[JSON]]) -> dict[str, list[str]]:
    """Per set, the JSON of every rule the operator does not own, in order."""
    return {
        set_id: [canonical(r) for r in rules if marker_of(r) is None]
        for set_id, rules in sets.items()
    }


def _by_id(sets: dict[str, list[JSON]]) -> dict[str, str]:
    return {str(r["id"]): canonical(r) for rules in sets.values() for r in rules}


def _names(rules: list[JSON]) -> list[str | None]:
    return [m[1] if (m := marker_of(r)) else None for r in rules]


def test_rules_are_ordered_before_hand_made_ones_and_a_change_touches_only_its_rule(
    desk: RuleDesk,
) -> None:
    service_id = desk.tenant.service_id
    at = PathAt.service(service_id)
    _seed_hand_rules(desk, at)
    before = desk.sets(at)
    desk.setup_integration(service_id=service_id)  # rules default to the integration's service
    desk.apply(
        desk.rule(
            "alpha",
            order=10,
            label="Payment errors",
            conditions=["event.summary matches part 'payment'"],
            actions={"severity": "critical", "routeTo": "payments"},
        ),
        desk.rule("bravo", order=10, actions={"priority": "P2"}),
        desk.rule("charlie", order=-5, actions={"suppress": True}),
        desk.rule("delta", order=0, actions={"annotate": "delta was here"}),
        desk.rule("echo", set="payments", actions={"severity": "warning"}),
    )
    names = ["alpha", "bravo", "charlie", "delta", "echo"]
    desk.wait_all_ready(names)

    sets = desk.sets(at)
    start = sets["start"]
    assert _names(start) == ["charlie", "delta", "alpha", "bravo", None, None]
    assert _names(sets["payments"]) == ["echo"]
    assert _theirs(sets) == {**_theirs(before), "payments": []}, "hand-made rules changed"
    alpha = start[2]
    assert alpha["label"] == f"Payment errors [k8s:{desk.namespace}/alpha order=10]"
    assert alpha["conditions"] == [{"expression": "event.summary matches part 'payment'"}]
    assert alpha["actions"] == full_actions("service", severity="critical", route_to="payments")
    assert start[3]["label"] == f"{desk.namespace}/bravo [k8s:{desk.namespace}/bravo order=10]"
    assert start[3]["actions"] == full_actions("service", priority=desk.priority_ids()["P2"])
    for name in names:
        set_id, rule = desk.only_rule(at, name)
        status = desk.status(name)
        assert status["ruleId"] == rule["id"]
        assert status["path"] == {"type": "service", "id": service_id}
        assert status["set"] == set_id

    # A rule that a later batch moved down learns its new position at its next resync.
    def positions() -> dict[str, tuple[int | None, int]]:
        found = {}
        for name in names:
            set_id, rule = desk.only_rule(at, name)
            where = [r["id"] for r in sets[set_id]].index(rule["id"])
            found[name] = (desk.status(name).get("position"), where)
        return found

    wait_for(
        lambda: all(stated == where for stated, where in positions().values()),
        what="status.position of every rule to match PagerDuty's",
        timeout=DRIFT_SECONDS,
        describe=lambda: str(positions()),
    )

    # A change to bravo's actions changes bravo's rule and nothing else.
    unchanged = _by_id(sets)
    bravo_id = desk.status("bravo")["ruleId"]
    desk.patch_spec("bravo", {"actions": {"priority": "P2", "severity": "error"}})
    desk.wait("bravo", extra=lambda o: o["status"].get("ruleId") == bravo_id)
    after = desk.sets(at)
    changed = {k: v for k, v in _by_id(after).items() if unchanged.get(k) != v}
    assert list(changed) == [bravo_id]
    assert desk.only_rule(at, "bravo")[1]["actions"] == full_actions(
        "service", priority=desk.priority_ids()["P2"], severity="error"
    )
    assert _names(after["start"]) == _names(start)

    # A new order moves delta among ours only; every rule's content except delta's label stays.
    delta_id = desk.status("delta")["ruleId"]
    desk.patch_spec("delta", {"order": 20})
    desk.wait("delta", extra=lambda o: o["status"].get("position") == 3)
    moved = desk.sets(at)
    assert _names(moved["start"]) == ["charlie", "alpha", "bravo", "delta", None, None]
    relabelled = {k for k, v in _by_id(moved).items() if _by_id(after).get(k) != v}
    assert relabelled == {delta_id}
    assert _theirs(moved) == _theirs(after)


def test_drift_is_restored_at_resync_and_the_persons_rules_are_left_alone(desk: RuleDesk) -> None:
    service_id = desk.tenant.service_id
    at = PathAt.service(service_id)
    _seed_hand_rules(desk, at)
    desk.setup_integration(service_id=service_id)
    desk.apply(
        desk.rule("kept", order=1, actions={"severity": "critical"}),
        desk.rule("lost", order=2, actions={"severity": "error"}),
    )
    desk.wait_all_ready(["kept", "lost"])
    kept_id = desk.status("kept")["ruleId"]
    lost_id = desk.status("lost")["ruleId"]

    def person_edits(sets: dict[str, list[JSON]]) -> None:
        start = sets["start"]
        for rule in start:
            if rule["id"] == kept_id:
                rule["actions"] = {"severity": "info"}
                rule["disabled"] = True
            elif marker_of(rule) is None and rule.get("actions", {}).get("route_to") == "manual":
                rule["actions"] = {**rule["actions"], "annotate": "edited by the person"}
        sets["start"] = [r for r in start if r["id"] != lost_id]
        sets["start"].insert(0, hand_rule("New by hand", "event.source matches 'new'"))

    desk.edit_by_hand(at, person_edits)
    edited = desk.sets(at)
    assert _names(edited["start"]) == [None, "kept", None, None]

    def restored() -> bool:
        sets = desk.sets(at)
        start = sets["start"]
        kept = next((r for r in start if r["id"] == kept_id), None)
        return (
            _names(start)[:2] == ["kept", "lost"]
            and kept is not None
            and kept["actions"] == full_actions("service", severity="critical")
            and kept["disabled"] is False
        )

    wait_for(
        restored,
        what="the resync to restore kept and lost",
        timeout=DRIFT_SECONDS,
        describe=lambda: str(_names(desk.rules(at))),
    )
    sets = desk.sets(at)
    assert _theirs(sets) == _theirs(edited), "the person's rules changed"
    assert len(desk.owned(at, "lost")) == 1
    new_lost_id = desk.only_rule(at, "lost")[1]["id"]
    desk.wait("lost", extra=lambda o: o["status"].get("ruleId") == new_lost_id)


def test_delete_removes_only_its_rule_and_an_emptied_set_orphan_keeps_the_rule(
    desk: RuleDesk,
) -> None:
    service_id = desk.tenant.service_id
    at = PathAt.service(service_id)
    _seed_hand_rules(desk, at)
    desk.setup_integration()
    target = {"service": {"id": service_id}}
    desk.apply(
        desk.rule("keep", target=target, actions={"severity": "info"}),
        desk.rule("entry", target=target, order=1, actions={"routeTo": "extra"}),
        desk.rule("inside", target=target, set="extra", actions={"severity": "warning"}),
        desk.rule(
            "orphaned",
            target=target,
            order=2,
            label="Keep me",
            deletionPolicy="Orphan",
            actions={"annotate": "orphan"},
        ),
    )
    desk.wait_all_ready(["keep", "entry", "inside", "orphaned"])
    before = desk.sets(at)
    theirs = _theirs(before)

    # The set `extra` is emptied but still routed to: it stays.
    inside_id = desk.status("inside")["ruleId"]
    desk.delete("inside")
    sets = desk.sets(at)
    assert sets["extra"] == []
    assert inside_id not in _by_id(sets)
    assert {k: v for k, v in _by_id(before).items() if k != inside_id} == _by_id(sets)

    # Nothing routes to `extra` any more: the operator-created, empty set goes.
    entry_id = desk.status("entry")["ruleId"]
    desk.delete("entry")
    sets = desk.sets(at)
    assert "extra" not in sets
    assert entry_id not in _by_id(sets)
    assert _names(sets["start"]) == ["keep", "orphaned", None, None]
    assert _theirs(sets) == {k: v for k, v in theirs.items() if k != "extra"}

    # Orphan: the rule stays with its id and content, without the marker.
    orphan_before = desk.only_rule(at, "orphaned")[1]
    desk.delete("orphaned")
    sets = desk.sets(at)
    released = next(r for r in sets["start"] if r["id"] == orphan_before["id"])
    assert marker_of(released) is None
    assert released["label"] == "Keep me"
    assert {k: v for k, v in released.items() if k != "label"} == {
        k: v for k, v in orphan_before.items() if k != "label"
    }
    assert len(desk.owned(at)) == 1  # only keep's rule is still ours


def test_observe_never_writes_and_reports_drift(desk: RuleDesk) -> None:
    service_id = desk.tenant.service_id
    at = PathAt.service(service_id)
    desk.setup_integration(service_id=service_id)
    desk.apply(desk.rule("watched", actions={"severity": "critical"}))
    desk.wait("watched")
    rule_id = desk.status("watched")["ruleId"]
    desk.patch_spec("watched", {"managementPolicy": "Observe"})
    desk.wait("watched", "Synced", "True", "Observed")
    since = desk.sim.last_seq()

    def person_edits(sets: dict[str, list[JSON]]) -> None:
        sets["start"][0]["actions"] = {"severity": "info"}

    desk.edit_by_hand(at, person_edits)
    obj = desk.wait("watched", "Ready", "False", "Drifted", timeout=DRIFT_SECONDS)
    synced = {c["type"]: c for c in obj["status"]["conditions"]}["Synced"]
    assert synced["reason"] == "Drifted"
    assert rule_id in synced["message"]
    assert "actions" in synced["message"]

    # Deleting an observed rule's resource leaves PagerDuty alone too.
    desk.delete("watched")
    rule = desk.only_rule(at, "watched")[1]
    assert rule["id"] == rule_id
    assert rule["actions"] == full_actions("service", severity="info")
    counts = desk.counts(at, since)
    print(f"\nObserve on {at.rest}: {counts}")
    assert (counts.puts, counts.failed_puts) == (0, 0)
    assert counts.gets >= 1


def test_a_rule_moved_between_sets_keeps_working_and_the_set_it_left_goes(desk: RuleDesk) -> None:
    service_id, key = desk.seed_service(integration_key=True)
    at = PathAt.service(service_id)
    desk.setup_integration()
    target = {"service": {"id": service_id}}
    entry: dict[str, Any] = {
        "target": target,
        "conditions": ["event.summary matches part 'checkout'"],
        "actions": {"routeTo": "alpha"},
    }
    mover: dict[str, Any] = {"target": target, "set": "alpha", "actions": {"priority": "P2"}}
    desk.apply(desk.rule("entry", **entry), desk.rule("mover", **mover))
    desk.wait_all_ready(["entry", "mover"])
    mover_id = desk.status("mover")["ruleId"]
    p2 = desk.priority_ids()["P2"]
    assert desk.send_event(key, "checkout down")["actions"].get("priority") == p2

    # Moved while entry still routes to alpha: alpha stays (empty), the rule lives in beta.
    desk.apply(desk.rule("mover", **{**mover, "set": "beta"}))
    desk.wait("mover", extra=lambda o: o["status"].get("set") == "beta")
    sets = desk.sets(at)
    assert sets["alpha"] == []
    assert [r["id"] for r in sets["beta"]] == [mover_id]

    # Entry now routes to beta: nothing routes to alpha, so it is removed; events still match.
    desk.apply(desk.rule("entry", **{**entry, "actions": {"routeTo": "beta"}}))
    desk.wait("entry")
    wait_for(
        lambda: "alpha" not in desk.sets(at),
        what="the emptied set alpha to be removed",
        describe=lambda: str(list(desk.sets(at))),
    )
    sets = desk.sets(at)
    assert sorted(sets) == ["beta", "start"]
    assert desk.only_rule(at, "mover") == ("beta", sets["beta"][0])
    assert sets["beta"][0]["id"] == mover_id
    outcome = desk.send_event(key, "checkout down again")
    assert outcome["result"] == "incident_created"
    assert outcome["actions"].get("priority") == p2


def test_route_to_a_set_no_rule_is_in_yet_creates_it(desk: RuleDesk) -> None:
    service_id = desk.tenant.service_id
    at = PathAt.service(service_id)
    desk.setup_integration(service_id=service_id)
    desk.apply(desk.rule("entry", actions={"routeTo": "later"}))
    desk.wait("entry")
    assert desk.sets(at)["later"] == []
    desk.apply(desk.rule("filler", set="later", actions={"severity": "info"}))
    desk.wait("filler")
    assert _names(desk.rules(at, "later")) == ["filler"]
    desk.delete("entry")
    assert _names(desk.rules(at, "later")) == ["filler"]  # still holds a rule: stays
    desk.delete("filler")
    assert sorted(desk.sets(at)) == ["start"]


def test_a_rule_without_target_follows_its_integrations_service(desk: RuleDesk) -> None:
    """The default target is the integration's serviceId; when that changes, the rule moves."""
    first = desk.tenant.service_id
    second, _ = desk.seed_service()
    desk.setup_integration(service_id=first)
    desk.apply(desk.rule("follower", actions={"severity": "info"}))
    desk.wait("follower")
    desk.tenant.apply(desk.tenant.integration(service_id=second))
    desk.wait("follower", extra=lambda o: o["status"]["path"] == {"type": "service", "id": second})
    assert len(desk.owned(PathAt.service(second), "follower")) == 1
    assert desk.owned(PathAt.service(first)) == [], "the rule stayed in the old service"
    desk.delete("follower")
    assert desk.owned(PathAt.service(second)) == []


def test_a_rule_whose_service_was_deleted_by_hand_can_be_deleted(desk: RuleDesk) -> None:
    service_id, _ = desk.seed_service()
    desk.setup_integration()
    desk.apply(desk.rule("stranded", target={"service": {"id": service_id}}))
    desk.wait("stranded")
    desk.sim.admin("DELETE", f"accounts/acme/services/{service_id}")
    desk.wait("stranded", "Ready", "False", "NotFound", timeout=DRIFT_SECONDS)
    desk.delete("stranded")  # waits until the finalizer let it go

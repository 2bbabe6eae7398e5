"""Idle under canonical reads: resyncs of unchanged rules never write an orchestration path.

PagerDuty reads every rule back in its full shape (every action key of the path type, unset ones
null/false/[]), unlike what the operator wrote. The shared operator resyncs every few seconds;
the test waits until every rule's `status.lastSyncTime` moved at least twice (so each was
resynced at least twice while idle), then counts the operator's PUTs in the simulator's request
log: none. Rules people made in the full shape travel back byte for byte when the operator does
edit the path.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from operator_harness import DRIFT_SECONDS, Tenant
from rules_harness import PathAt, RuleDesk, canonical, marker_of, rule_desk

from support.kube import JSON
from support.orchestration_shapes import full_actions, go_client_actions
from support.waiting import wait_for


@pytest.fixture
def desk(tenant: Tenant) -> Iterator[RuleDesk]:
    with rule_desk(tenant) as desk:
        yield desk


def _people_rules(desk: RuleDesk) -> list[JSON]:
    """Rules saved by hand in the full shape: Terraform's zero values and a canonical read."""
    return [
        {
            "label": "Made with Terraform",
            "conditions": [{"expression": "event.source matches 'terraform'"}],
            "actions": go_client_actions(severity="info", annotate="from terraform"),
            "disabled": False,
        },
        {
            "label": "Copied from a read",
            "conditions": [],
            "actions": full_actions(
                "service", priority=desk.priority_ids()["P1"], suppress=True, route_to="later"
            ),
            "disabled": True,
        },
    ]


def _theirs(desk: RuleDesk, at: PathAt) -> list[str]:
    return [
        canonical(rule)
        for rules in desk.sets(at).values()
        for rule in rules
        if marker_of(rule) is None
    ]


def _wait_idle_resyncs(desk: RuleDesk, names: list[str], moves: int = 2) -> None:
    """Wait until every rule's `status.lastSyncTime` took `moves` new values (resyncs)."""
    seen = {name: [desk.status(name).get("lastSyncTime")] for name in names}

    def moved_enough() -> bool:
        for name in names:
            stamp = desk.status(name).get("lastSyncTime")
            if stamp != seen[name][-1]:
                seen[name].append(stamp)
        return all(len(stamps) > moves for stamps in seen.values())

    wait_for(
        moved_enough,
        what=f"every rule's lastSyncTime to move {moves} times",
        timeout=DRIFT_SECONDS,
        describe=lambda: str(seen),
    )


def test_idle_resyncs_make_no_put_under_canonical_reads(desk: RuleDesk) -> None:
    service_id = desk.tenant.service_id
    service = PathAt.service(service_id)
    orchestration = desk.seed_orchestration()
    router, global_ = PathAt.router(orchestration.id), PathAt.global_(orchestration.id)
    desk.save_by_hand(
        service,
        [{"id": "start", "rules": _people_rules(desk)}, {"id": "later", "rules": []}],
    )
    desk.setup_integration()
    service_target = {"service": {"id": service_id}}
    desk.apply(
        desk.rule(
            "every-action",
            target=service_target,
            conditions=["event.summary matches part 'all'"],
            actions={
                "routeTo": "later",
                "severity": "critical",
                "priority": "P2",
                "suppress": False,
                "suspend": 60,
                "eventAction": "trigger",
                "annotate": "note",
                "variables": [{"name": "host", "path": "event.source", "value": "(.*)"}],
                "extractions": [
                    {"target": "event.summary", "template": "{{variables.host}}"},
                    {"target": "event.component", "regex": "(.*)", "source": "event.source"},
                ],
            },
        ),
        desk.rule("in-later", target=service_target, set="later", actions={"severity": "info"}),
        desk.rule(
            "routed",
            target={"router": {"orchestrationId": orchestration.id}},
            conditions=["event.source matches part 'shop'"],
            actions={"routeTo": service_id},
        ),
        desk.rule(
            "dropped",
            target={"global": {"orchestrationId": orchestration.id}},
            conditions=["event.source matches part 'loadtest'"],
            actions={"dropEvent": True},
        ),
    )
    names = ["every-action", "in-later", "routed", "dropped"]
    desk.wait_all_ready(names)
    rule = desk.only_rule(service, "every-action")[1]
    assert set(rule["actions"]) == set(full_actions("service"))  # PagerDuty's full shape
    assert rule["actions"]["route_to"] == "later"
    theirs = _theirs(desk, service)
    assert len(theirs) == 2

    since = desk.sim.last_seq()
    _wait_idle_resyncs(desk, names)
    for at in (service, router, global_):
        counts = desk.counts(at, since)
        print(f"\nidle on {at.rest}: {counts}")
        assert (counts.puts, counts.failed_puts) == (0, 0), f"an idle resync wrote {at.rest}"
        assert counts.gets >= 1, f"{at.rest} was never read while idle"
    assert _theirs(desk, service) == theirs

    # An edit of ours rewrites the path: the people's rules come back byte for byte.
    edit_since = desk.sim.last_seq()
    desk.patch_spec("in-later", {"actions": {"severity": "warning"}})
    wait_for(
        lambda: (
            desk.only_rule(service, "in-later")[1]["actions"]
            == full_actions("service", severity="warning")
        ),
        what="the edit of in-later to reach PagerDuty",
        timeout=DRIFT_SECONDS,
    )
    assert desk.counts(service, edit_since).puts >= 1
    assert _theirs(desk, service) == theirs

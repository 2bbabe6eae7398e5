"""Many rule changes to one path at once: coalesced into few PUTs, and one bad rule spoils none.

The PUT and GET counts come from the simulator's request log (the tenant's key, the one path)
and are printed; the assertion is a loose sanity bound on the count, never on time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from operator_harness import Tenant, add_api_key
from rules_harness import PathAt, RuleDesk, canonical, hand_rule, marker_of, rule_desk

RULE_COUNT = 50


@pytest.fixture
def desk(tenant: Tenant) -> Iterator[RuleDesk]:
    with rule_desk(tenant) as desk:
        yield desk


def test_fifty_rules_applied_at_once_converge_with_few_puts(desk: RuleDesk) -> None:
    service_id = desk.tenant.service_id
    at = PathAt.service(service_id)
    desk.save_by_hand(
        at,
        [
            {
                "id": "start",
                "rules": [
                    hand_rule("By hand 1", "event.summary matches part 'one'", severity="info"),
                    hand_rule("By hand 2", "event.summary matches part 'two'", suppress=True),
                ],
            }
        ],
    )
    theirs = [canonical(r) for r in desk.rules(at)]
    desk.setup_integration(service_id=service_id)
    since = desk.sim.last_seq()
    names = [f"rule-{i:02d}" for i in range(RULE_COUNT)]
    # Orders run against the name order, so the sort is visible in the result.
    desk.apply(
        *(
            desk.rule(
                name,
                order=RULE_COUNT - i,
                conditions=[f"event.summary matches part 'r{i}'"],
                actions={"severity": "warning"},
            )
            for i, name in enumerate(names)
        )
    )
    desk.wait_all_ready(names, timeout=120)
    counts = desk.counts(at, since)
    print(f"\n{RULE_COUNT} rules applied at once on {at.rest}: {counts}")

    rules = desk.rules(at)
    assert [m[1] if (m := marker_of(r)) else None for r in rules] == [
        *reversed(names),
        None,
        None,
    ]
    assert [canonical(r) for r in rules[RULE_COUNT:]] == theirs
    assert len({r["id"] for r in rules}) == RULE_COUNT + 2
    assert counts.failed_puts == 0
    assert 1 <= counts.puts < RULE_COUNT / 5, f"{counts.puts} PUTs for {RULE_COUNT} rules"


def test_a_rule_pagerduty_refuses_does_not_hold_back_the_others(desk: RuleDesk) -> None:
    """An unknown escalation policy is a 400 for the whole path; the other rules still land."""
    service_id = desk.tenant.service_id
    at = PathAt.service(service_id)
    desk.setup_integration(service_id=service_id)
    good = [f"good-{i}" for i in range(6)]
    desk.apply(
        desk.rule("bad", order=3, actions={"escalationPolicy": "PNOSUCH"}),
        *(desk.rule(name, order=i, actions={"severity": "info"}) for i, name in enumerate(good)),
    )
    desk.wait_all_ready(good)
    obj = desk.wait("bad", "Ready", "False", "InvalidInput")
    message = {c["type"]: c for c in obj["status"]["conditions"]}["Ready"]["message"]
    assert "escalation_policy" in message
    assert [m[1] for r in desk.rules(at) if (m := marker_of(r))] == good


def test_two_integrations_writing_one_path_at_once_lose_nothing(desk: RuleDesk) -> None:
    """Two teams' integrations (two API keys of one account) put rules on one shared path."""
    tenant = desk.tenant
    service_id = tenant.service_id
    at = PathAt.service(service_id)
    other_key = add_api_key(tenant.sim, tenant.sim.ledger, f"e2e-{tenant.namespace}-2")
    desk.apply(
        tenant.api_key_secret(),
        tenant.integration("team-a", service_id=service_id),
        tenant.api_key_secret("other-key", other_key),
        tenant.integration("team-b", secret="other-key", service_id=service_id),
    )
    tenant.wait_integration_ready("team-a")
    tenant.wait_integration_ready("team-b")
    names = [f"{team}-{i}" for i in range(4) for team in ("a", "b")]
    desk.apply(
        *(
            desk.rule(name, integration=f"team-{name[0]}", actions={"severity": "info"})
            for name in names
        )
    )
    desk.wait_all_ready(names)
    assert sorted(m[1] for r in desk.rules(at) if (m := marker_of(r))) == sorted(names)

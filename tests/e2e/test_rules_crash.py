"""An operator killed between PagerDuty's PUT and the status write duplicates no rule.

The test runs an operator of its own (`isolated_tenant`). A simulator delay fault holds the
request the operator makes right after the PUT (reading whether the service evaluates its
orchestration), so the process can be killed with the rule saved in PagerDuty and nothing in the
custom resources' status. A restarted operator finds its rules by their markers. A second phase
kills the operator at seeded random moments while rules converge.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import pytest
from operator_harness import Tenant
from rules_harness import PathAt, RuleDesk, marker_of

from pagerduty_devenv.stack import OperatorProcess
from support.waiting import wait_for


@pytest.fixture
def crash_desk(isolated_tenant: tuple[Tenant, OperatorProcess]) -> Iterator[RuleDesk]:
    tenant, operator = isolated_tenant
    desk = RuleDesk(tenant)
    try:
        yield desk
    finally:
        desk.sim.clear_faults()
        if operator.process.poll() is not None:
            operator.restart()
        desk.cleanup()  # finalizers run while this test's operator is up


def _rules_by_name(desk: RuleDesk, at: PathAt) -> dict[str, list[str]]:
    by_name: dict[str, list[str]] = {}
    for _, rule in desk.owned(at):
        marked = marker_of(rule)
        assert marked is not None
        by_name.setdefault(marked[1], []).append(str(rule["id"]))
    return by_name


def _one_rule_each(desk: RuleDesk, at: PathAt, names: list[str]) -> dict[str, str]:
    by_name = _rules_by_name(desk, at)
    assert sorted(by_name) == sorted(names), f"rules by name: {by_name}"
    duplicated = {k: v for k, v in by_name.items() if len(v) != 1}
    assert not duplicated, f"duplicated rules: {duplicated}"
    return {k: v[0] for k, v in by_name.items()}


def test_a_crash_between_the_put_and_the_status_write_leaves_no_duplicate(
    crash_desk: RuleDesk, isolated_tenant: tuple[Tenant, OperatorProcess]
) -> None:
    desk = crash_desk
    _, operator = isolated_tenant
    service_id = desk.tenant.service_id
    at = PathAt.service(service_id)
    desk.setup_integration(service_id=service_id)
    desk.sim.add_fault(
        method="GET", path=f"{at.rest}/active", delay=30, count=100
    )  # holds every reconcile right after its PUT
    since = desk.sim.last_seq()
    names = [f"crash-{i}" for i in range(5)]
    desk.apply(
        *(desk.rule(name, order=i, actions={"severity": "error"}) for i, name in enumerate(names))
    )
    wait_for(
        lambda: desk.counts(at, since).puts >= 1,
        what="the operator's PUT of the path",
        interval=0.05,
    )
    operator.kill()
    desk.sim.clear_faults()
    # The first batch (one or more of the rules) is in PagerDuty, no status knows its rule id.
    written = sorted(_rules_by_name(desk, at))
    assert written, "no rule was written before the kill"
    saved = _one_rule_each(desk, at, written)
    for name in names:
        assert desk.status(name).get("ruleId") is None, (
            f"{name}'s status was written before the crash: the test missed its window"
        )

    operator.restart()
    desk.wait_all_ready(names)
    after = _one_rule_each(desk, at, names)
    assert {name: after[name] for name in written} == saved, "a saved rule was made again"
    assert {name: desk.status(name)["ruleId"] for name in names} == after


def test_kills_at_random_moments_while_rules_converge_leave_one_rule_each(
    crash_desk: RuleDesk, isolated_tenant: tuple[Tenant, OperatorProcess]
) -> None:
    desk = crash_desk
    _, operator = isolated_tenant
    at = PathAt.service(desk.tenant.service_id)
    desk.setup_integration(service_id=desk.tenant.service_id)
    chance = random.Random(20240607)
    names: list[str] = []
    for round_ in range(2):
        batch = [f"round{round_}-{i}" for i in range(4)]
        names += batch
        desk.apply(
            *(desk.rule(n, order=i, actions={"severity": "info"}) for i, n in enumerate(batch))
        )
        time.sleep(chance.uniform(0.0, 1.5))
        operator.kill()
        operator.restart()
    desk.wait_all_ready(names)
    ids = _one_rule_each(desk, at, names)
    assert {name: desk.status(name)["ruleId"] for name in names} == ids

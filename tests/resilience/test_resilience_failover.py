"""Two replicas with leader election; the leader is killed at random moments while converging.

Each trial runs two operator processes with `--leader-elect` on their own namespaces and
simulator account. `WEBHOOKS` webhooks (half service-scoped, half team-scoped) and `RULES`
incident rules arrive in `KILLS` waves; after each wave the current leader is stopped at a
seeded random moment, by SIGKILL or by SIGTERM, and started again (it comes back as a standby).
Afterwards PagerDuty must hold exactly one subscription per webhook and one rule per incident
rule, and deleting everything must leave nothing behind.

The issue's size is 200 webhooks and 50 rules, 5 trials:
`PDO_FAILOVER_WEBHOOKS=200 PDO_FAILOVER_RULES=50 PDO_FAILOVER_TRIALS=5`. The defaults keep the
suite's time reasonable on two cores; every kill of the full size happens at the default size too.
"""

from __future__ import annotations

import os
import random
import time

import pytest
from resilience_pd import JSON
from resilience_world import World, WorldFactory, tracebacks

from support.leadership import is_leading, the_leader
from support.waiting import wait_for

SEED = 20261203
WEBHOOKS = int(os.environ.get("PDO_FAILOVER_WEBHOOKS", "40"))
RULES = int(os.environ.get("PDO_FAILOVER_RULES", "10"))
TRIALS = int(os.environ.get("PDO_FAILOVER_TRIALS", "1"))
KILLS = int(os.environ.get("PDO_FAILOVER_KILLS", "4"))
"""Leader kills per trial, one after each wave of new resources."""
RULE_PATHS = 5
MAX_PAUSE = 3.0
"""Seconds after a wave within which the leader is stopped (uniformly drawn)."""
CONVERGE_SECONDS = 240.0
PER_FILTER = 10
"""The simulator's (and PagerDuty's) limit of subscriptions per service or team."""


def _resources(world: World) -> list[JSON]:
    services, teams = world.account.services, world.account.teams
    found = []
    for i in range(WEBHOOKS):
        if i < WEBHOOKS // 2:
            scope: tuple[str, str | None] = ("service", services[i // PER_FILTER])
        else:
            scope = ("team", teams[(i - WEBHOOKS // 2) // PER_FILTER])
        namespace = world.namespaces[i % len(world.namespaces)]
        found.append(world.webhook(namespace, f"wh-{i:03d}", scope))
    for i in range(RULES):
        namespace = world.namespaces[i % len(world.namespaces)]
        service = world.account.services[i % RULE_PATHS]
        found.append(
            world.rule(
                namespace,
                f"rule-{i:02d}",
                service,
                order=i // RULE_PATHS,
                label=f"rule {i}",
                conditions=[f"event.summary matches part 'r{i}'"],
                actions={"severity": "warning"},
            )
        )
    return found


def _stop_the_leader(world: World, rng: random.Random) -> tuple[str, float]:
    """Stop the leader at a random moment, wait for the standby to lead, restart the old one."""
    time.sleep(rng.uniform(0.0, MAX_PAUSE))
    leader = the_leader(world.replicas)
    how = rng.choice(["SIGKILL", "SIGTERM"])
    start = time.monotonic()
    if how == "SIGKILL":
        leader.kill()
    else:
        leader.process.terminate()
    wait_for(
        lambda: any(is_leading(o) for o in world.replicas if o is not leader),
        what="the standby to lead",
        timeout=120,
        interval=0.05,
    )
    took = time.monotonic() - start
    leader.process.wait_stopped()
    leader.restart()
    return how, took


def _trial(make_world: WorldFactory, rng: random.Random, trial: int) -> None:
    services = max((WEBHOOKS // 2 + PER_FILTER - 1) // PER_FILTER, RULE_PATHS)
    teams = max((WEBHOOKS - WEBHOOKS // 2 + PER_FILTER - 1) // PER_FILTER, 1)
    world = make_world(namespaces=2, services=services, teams=teams, replicas=2)
    for namespace in world.namespaces:
        world.install_integration(namespace)
    resources = _resources(world)
    rng.shuffle(resources)
    t0 = time.monotonic()
    for k in range(KILLS):
        world.kube.create_all([d for i, d in enumerate(resources) if i % KILLS == k])
        how, took = _stop_the_leader(world, rng)
        print(f"trial {trial} wave {k}: {how} of the leader, standby led after {took:.2f}s")
    world.wait_all_ready(CONVERGE_SECONDS)
    print(f"trial {trial}: all ready {time.monotonic() - t0:.1f}s after the first wave")
    assert len(world.one_subscription_per_webhook()) == WEBHOOKS
    assert len(world.one_rule_per_incident_rule()) == RULES
    assert not world.leaked_secrets()
    world.delete_everything(CONVERGE_SECONDS)
    assert world.nothing_marked(), world.describe_marked()
    assert not tracebacks(world.operator_log())


@pytest.mark.timeout(600 + 600 * TRIALS)
def test_leader_failovers_while_converging_duplicate_nothing(make_world: WorldFactory) -> None:
    rng = random.Random(SEED)
    for trial in range(TRIALS):
        _trial(make_world, rng, trial)

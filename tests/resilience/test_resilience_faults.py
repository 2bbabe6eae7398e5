"""Simulator fault storms while webhooks and rules converge: no duplicate, every secret verifies.

The storm (seeded, by fraction of matching requests) answers 5xx, drops connections, delays past
the client's 10-second read timeout, and bursts 429s; creates of webhook subscriptions are also
made ambiguous (PagerDuty creates the subscription, then the answer is a 500 or a dropped
connection), which is exactly when a careless operator creates a second subscription. Delays
apply to reads and creates. A create that lands after the operator gave up on it can only be
seen in a fresh listing: this operator resyncs every `RESYNC_SECONDS`, and the test waits a few
resyncs for such late duplicates to go. (A PUT landing late would silently revert a newer one:
PagerDuty offers no concurrency control, so only the resync repairs that; it is left out here.)
"""

from __future__ import annotations

import pytest
from resilience_kube import POLL_SECONDS
from resilience_pd import JSON
from resilience_world import World, WorldFactory, tracebacks

from support.waiting import wait_for

SEED = 4242
WEBHOOKS = 30
RULES = 12
RULE_PATHS = 3
CONVERGE_SECONDS = 150.0
RESYNC_SECONDS = 15.0
CLIENT_READ_TIMEOUT = 10.0
"""The PagerDuty client's read timeout (`pagerduty.client.DEFAULT_TIMEOUT`)."""


def _storm() -> list[JSON]:
    """Fault rules, checked in order: the first that matches a request decides its fate."""
    subscriptions = "/webhook_subscriptions"
    orchestrations = "/event_orchestrations/*"
    return [
        {"path": "*", "count": 15, "rate_limit": True, "reset_seconds": 1},  # a 429 burst
        {"method": "POST", "path": subscriptions, "count": 1,
         "delay": CLIENT_READ_TIMEOUT + 2},  # one create surely outlives its caller
        {"method": "POST", "path": subscriptions, "probability": 0.15, "seed": SEED,
         "status": 500, "after_handler": True},  # created, but the caller sees a 500
        {"method": "POST", "path": subscriptions, "probability": 0.08, "seed": SEED + 1,
         "drop": True, "after_handler": True},  # created, then the connection drops
        {"method": "POST", "path": subscriptions, "probability": 0.05, "seed": SEED + 2,
         "delay": CLIENT_READ_TIMEOUT + 2},  # created after the caller gave up
        {"method": "GET", "path": "*", "probability": 0.03, "seed": SEED + 3,
         "delay": CLIENT_READ_TIMEOUT + 1},
        {"path": subscriptions + "*", "probability": 0.08, "seed": SEED + 4, "status": 503},
        {"path": orchestrations, "probability": 0.1, "seed": SEED + 5, "status": 502},
        {"path": "*", "probability": 0.04, "seed": SEED + 6, "drop": True},
        {"path": "*", "probability": 0.04, "seed": SEED + 7, "rate_limit": True,
         "reset_seconds": 1},
    ]  # fmt: skip


def _resources(world: World) -> list[JSON]:
    namespace = world.namespaces[0]
    services, teams = world.account.services, world.account.teams
    documents = []
    for i in range(WEBHOOKS):
        scope: tuple[str, str | None]
        if i % 3 == 0:
            scope = ("service", services[i % len(services)])
        elif i % 3 == 1:
            scope = ("team", teams[i % len(teams)])
        else:
            scope = ("account", None)
        documents.append(world.webhook(namespace, f"storm-{i:02d}", scope))
    for i in range(RULES):
        documents.append(
            world.rule(
                namespace,
                f"storm-rule-{i:02d}",
                services[i % RULE_PATHS],
                order=i,
                conditions=[f"event.summary matches part 'storm {i}'"],
                actions={"priority": "P2", "severity": "error"},
            )
        )
    return documents


@pytest.mark.timeout(600)
def test_fault_storms_converge_without_duplicates(make_world: WorldFactory) -> None:
    world = make_world(services=RULE_PATHS, teams=3, resync=RESYNC_SECONDS)
    namespace = world.namespaces[0]
    world.install_integration(namespace)
    world.kube.wait_condition("pagerdutyintegrations", namespace, "pd", "True")
    seq = world.sim.last_seq()
    world.sim.add_faults(*_storm())
    world.kube.create_all(_resources(world))

    world.wait_all_ready(CONVERGE_SECONDS)
    faulted = [r for r in world.sim.requests(seq) if r.get("fault")]  # this test's alone
    world.sim.clear_faults()
    sub = world.account.subdomain

    kinds = {str(r["fault"]).split(":")[0] for r in faulted}
    assert {"status", "drop", "rate_limit", "delay"} <= kinds, f"faults seen: {kinds}"
    late = 2 * CLIENT_READ_TIMEOUT + 3 * RESYNC_SECONDS  # a create landing late, then resyncs
    wait_for(
        lambda: all(len(v) == 1 for v in world.sim.marked_subscriptions(sub).values()),
        what="late duplicates to be found and deleted",
        timeout=late,
        interval=POLL_SECONDS,
        describe=lambda: str(
            {k: len(v) for k, v in world.sim.marked_subscriptions(sub).items() if len(v) > 1}
        ),
    )
    subscriptions = world.one_subscription_per_webhook()
    assert len(subscriptions) == WEBHOOKS
    assert len(world.one_rule_per_incident_rule()) == RULES
    assert world.signing_secrets_verify_deliveries(subscriptions) == WEBHOOKS
    assert not world.leaked_secrets()
    assert world.operator.process.poll() is None
    assert not tracebacks(world.operator_log()), tracebacks(world.operator_log())[:3]

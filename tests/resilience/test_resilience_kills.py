"""The operator SIGKILLed at seeded random moments while webhooks and rules converge.

One operator process watches two namespaces holding `WEBHOOKS` webhooks (half service-scoped,
a quarter team-scoped, a quarter account-scoped; every service and team filled to PagerDuty's
limit of 10) and `RULES` incident rules on `RULE_PATHS` service paths. The resources arrive in
waves, then change in ways that need new subscriptions (URL changes), in-place updates, rule
reordering and deletions; after every step the operator is killed with SIGKILL at a random
moment and restarted, `KILLS` times in all, plus `DELETE_KILLS` times while everything is being
deleted. Afterwards PagerDuty must hold exactly what the custom resources describe.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable

import pytest
from resilience_pd import JSON
from resilience_world import World, WorldFactory, tracebacks

from support.kube import RULES as RULE_PLURAL
from support.kube import WEBHOOKS as WEBHOOK_PLURAL

SEED = 20241128
WEBHOOKS = int(os.environ.get("PDO_RESILIENCE_WEBHOOKS", "200"))
RULES = int(os.environ.get("PDO_RESILIENCE_RULES", "50"))
"""The issue's sizes; a slower machine can scale them down (`PDO_RESILIENCE_WEBHOOKS=80`,
`PDO_RESILIENCE_RULES=20`) while keeping every kill. `WEBHOOKS` is best a multiple of 40."""
RULE_PATHS = 5
KILLS = 20
DELETE_KILLS = 2
CREATE_WAVES = 8
MAX_PAUSE = 2.0
"""Seconds after the operator is healthy within which it is killed (uniformly drawn)."""
CONVERGE_SECONDS = 180.0
CHANGED = max(WEBHOOKS // 10, 1)
"""Webhooks (and half as many rules) that each change step touches."""
DELETED_WEBHOOKS = max(WEBHOOKS // 20, 1)
DELETED_RULES = max(RULES // 10, 1)
PER_FILTER = 10
"""The simulator's (and PagerDuty's) limit of subscriptions per service or team."""


def _webhooks(world: World) -> list[JSON]:
    services, teams = world.account.services, world.account.teams
    found = []
    for i in range(WEBHOOKS):
        if i < WEBHOOKS // 2:
            scope: tuple[str, str | None] = ("service", services[i // PER_FILTER])
        elif i < WEBHOOKS * 3 // 4:
            scope = ("team", teams[(i - WEBHOOKS // 2) // PER_FILTER])
        else:
            scope = ("account", None)
        namespace = world.namespaces[i % len(world.namespaces)]
        found.append(world.webhook(namespace, f"wh-{i:03d}", scope, description=f"hook {i}"))
    return found


def _rules(world: World) -> list[JSON]:
    found = []
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


def _plan(world: World, rng: random.Random) -> list[Callable[[], None]]:
    """One step per kill: the changes made just before that kill (or nothing new)."""
    kube = world.kube
    webhooks, rules = _webhooks(world), _rules(world)
    rng.shuffle(webhooks)
    rng.shuffle(rules)

    def create_wave(k: int) -> Callable[[], None]:
        def step() -> None:
            wave = [d for i, d in enumerate(webhooks) if i % CREATE_WAVES == k]
            wave += [d for i, d in enumerate(rules) if i % CREATE_WAVES == k]
            kube.create_all(wave)

        return step

    def new_urls(count: int, version: int) -> Callable[[], None]:
        def step() -> None:
            for doc in rng.sample(webhooks, count):
                namespace, name = doc["metadata"]["namespace"], doc["metadata"]["name"]
                url = world.url(namespace, name, version)
                kube.patch_spec(WEBHOOK_PLURAL, namespace, name, {"url": url})

        return step

    def updates() -> None:
        events = ["incident.triggered", "incident.resolved", "incident.acknowledged"]
        for doc in rng.sample(webhooks, CHANGED):
            meta = doc["metadata"]
            kube.patch_spec(
                WEBHOOK_PLURAL,
                meta["namespace"],
                meta["name"],
                {"description": f"changed {meta['name']}", "events": events},
            )
        for doc in rng.sample(rules, max(CHANGED // 2, 1)):
            meta = doc["metadata"]
            kube.patch_spec(
                RULE_PLURAL,
                meta["namespace"],
                meta["name"],
                {"order": rng.randint(-5, 20), "actions": {"severity": "critical"}},
            )

    def deletions() -> None:
        for doc in webhooks[-DELETED_WEBHOOKS:]:
            kube.delete(WEBHOOK_PLURAL, doc["metadata"]["namespace"], doc["metadata"]["name"])
        for doc in rules[-DELETED_RULES:]:
            kube.delete(RULE_PLURAL, doc["metadata"]["namespace"], doc["metadata"]["name"])
        del webhooks[-DELETED_WEBHOOKS:], rules[-DELETED_RULES:]  # later steps skip them

    def nothing() -> None:
        return None

    steps: list[Callable[[], None]] = [create_wave(k) for k in range(CREATE_WAVES)]
    steps += [nothing, new_urls(CHANGED, 1), nothing, updates, nothing, deletions]
    steps += [nothing, new_urls(max(CHANGED // 2, 1), 2), updates]
    steps += [nothing] * (KILLS - len(steps))
    return steps


def _kill_at_random(world: World, rng: random.Random) -> None:
    time.sleep(rng.uniform(0.0, MAX_PAUSE))
    world.operator.kill()
    world.operator.restart()


@pytest.mark.timeout(900)
def test_sigkills_while_converging_leave_exactly_what_the_resources_describe(
    make_world: WorldFactory,
) -> None:
    services = (WEBHOOKS // 2 + PER_FILTER - 1) // PER_FILTER
    teams = (WEBHOOKS // 4 + PER_FILTER - 1) // PER_FILTER
    world = make_world(namespaces=2, services=max(services, RULE_PATHS), teams=teams)
    rng = random.Random(SEED)
    for namespace in world.namespaces:
        world.install_integration(namespace)
    steps = _plan(world, rng)
    assert len(steps) == KILLS

    t0 = time.monotonic()
    for step in steps:
        step()
        t = time.monotonic()
        _kill_at_random(world, rng)
        print(f"step at {t - t0:.1f}s, restart done at {time.monotonic() - t0:.1f}s")

    world.wait_all_ready(CONVERGE_SECONDS)
    print(f"all ready at {time.monotonic() - t0:.1f}s")
    subscriptions = world.one_subscription_per_webhook()
    assert len(subscriptions) == WEBHOOKS - DELETED_WEBHOOKS
    assert len(world.one_rule_per_incident_rule()) == RULES - DELETED_RULES
    assert world.signing_secrets_verify_deliveries(subscriptions) == WEBHOOKS - DELETED_WEBHOOKS
    assert not world.leaked_secrets()
    print(f"checked at {time.monotonic() - t0:.1f}s")

    deleting = _delete_all(world)
    for _ in range(DELETE_KILLS):
        _kill_at_random(world, rng)
    print(f"deletion kills done at {time.monotonic() - t0:.1f}s")
    world.delete_and_wait([WEBHOOK_PLURAL, RULE_PLURAL], CONVERGE_SECONDS)
    assert deleting == WEBHOOKS - DELETED_WEBHOOKS + RULES - DELETED_RULES
    assert world.nothing_marked(), world.describe_marked()
    print(f"all deleted at {time.monotonic() - t0:.1f}s")
    assert not tracebacks(world.operator_log())


def _delete_all(world: World) -> int:
    count = 0
    for obj in world.webhooks() + world.rules():
        meta = obj["metadata"]
        plural = WEBHOOK_PLURAL if obj["kind"] == "PagerDutyWebhook" else RULE_PLURAL
        world.kube.delete(plural, meta["namespace"], meta["name"])
        count += 1
    return count

"""kube-apiserver restarted under a running operator: it recovers without a restart of its own.

The operator's watches and pooled connections all break at once. Afterwards, with the same
process (same pid, never exited), new resources and changed ones converge, and PagerDuty holds
exactly one subscription per webhook and one rule per incident rule.
"""

from __future__ import annotations

import pytest
from resilience_world import World, WorldFactory

from pagerduty_devenv import ControlPlane
from support.kube import WEBHOOKS

BEFORE = 6
AFTER = 6
RULES_BEFORE = 3
RULES_AFTER = 3
CONVERGE_SECONDS = 120.0


def _create(world: World, names: range, rule_names: range) -> None:
    namespace = world.namespaces[0]
    services = world.account.services
    world.kube.create_all(
        [
            world.webhook(namespace, f"hook-{i}", ("service", services[i % len(services)]))
            for i in names
        ]
        + [
            world.rule(namespace, f"rule-{i}", services[0], order=i, actions={"severity": "info"})
            for i in rule_names
        ]
    )


@pytest.mark.timeout(600)
def test_an_apiserver_restart_needs_no_operator_restart(
    make_world: WorldFactory, control_plane: ControlPlane
) -> None:
    world = make_world(services=2, teams=1)
    namespace = world.namespaces[0]
    world.install_integration(namespace)
    _create(world, range(BEFORE), range(RULES_BEFORE))
    world.wait_all_ready(CONVERGE_SECONDS)
    pid = world.operator.process.pid

    control_plane.restart_apiserver()

    _create(world, range(BEFORE, BEFORE + AFTER), range(RULES_BEFORE, RULES_BEFORE + RULES_AFTER))
    world.kube.patch_spec(WEBHOOKS, namespace, "hook-0", {"description": "after the restart"})
    world.wait_all_ready(CONVERGE_SECONDS)
    assert world.operator.process.poll() is None, "the operator exited"
    assert world.operator.process.pid == pid
    subscriptions = world.one_subscription_per_webhook()
    assert len(subscriptions) == BEFORE + AFTER
    assert subscriptions[(namespace, "hook-0")]["description"].startswith("after the restart")
    assert len(world.one_rule_per_incident_rule()) == RULES_BEFORE + RULES_AFTER

"""Two operator processes with `--leader-elect`: one reconciles, the other takes over.

Each test runs two replicas of its own on a tenant namespace no other operator watches. The
hand-over times (SIGTERM: the lease is released; SIGKILL: it expires) are measured and printed;
assertions are on who leads, exit statuses, the Lease's transitions and what the simulator holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kubernetes import client
from leader_harness import Replicas, reconciles, start_replicas
from operator_harness import Cluster, SecretLedger, Sim, Tenant, cleanup_tenant, new_tenant

from pagerduty_devenv import ControlPlane
from support.leadership import LEASE_DURATION, RETRY_PERIOD
from support.waiting import CONVERGE_SECONDS

PREFIX = "pdl-"


@pytest.fixture
def replicated(
    control_plane: ControlPlane,
    crds: list[str],
    cluster: Cluster,
    sim: Sim,
    secret_ledger: SecretLedger,
    stack_dir: Path,
    request: pytest.FixtureRequest,
) -> Iterator[tuple[Tenant, Replicas]]:
    tenant = new_tenant(cluster, sim, secret_ledger, PREFIX, request.node.name)
    replicas = start_replicas(
        stack_dir,
        control_plane.kubeconfig,
        sim.process,
        [tenant.namespace],
        tenant.namespace,
        "pagerduty-operator",
        name=f"replica-{tenant.namespace}",
    )
    try:
        yield tenant, replicas
    finally:
        # The finalizers need a leader: a replica still running is (or becomes) one.
        if all(operator.process.poll() is not None for operator in replicas.operators):
            replicas.operators[0].restart()
        cleanup_tenant(cluster, tenant, CONVERGE_SECONDS)
        replicas.stop()


def _apply_webhooks(tenant: Tenant, names: list[str]) -> None:
    tenant.apply(
        tenant.api_key_secret(),
        tenant.integration(),
        *(tenant.webhook(n, scope={"type": "team", "id": tenant.team_id}) for n in names),
    )
    for name in names:
        tenant.wait_webhook_ready(name)
        tenant.only_subscription(name)


def test_only_the_leader_reconciles(replicated: tuple[Tenant, Replicas]) -> None:
    tenant, replicas = replicated
    leader = replicas.leader()
    (standby,) = replicas.standbys(leader)
    _apply_webhooks(tenant, ["one", "two", "three"])
    assert reconciles(leader) >= 4  # the integration and three webhooks
    assert reconciles(standby) == 0
    assert replicas.leaders() == [leader]
    assert "Waiting for lease" in standby.log()
    assert "PagerDutyWebhook" not in standby.log()
    # Both are alive and ready: a standby must pass its probes (a rolling update waits for it).
    for operator in (leader, standby):
        for path in ("/healthz", "/readyz"):
            url = f"http://127.0.0.1:{operator.health_port}{path}"
            assert httpx.get(url, timeout=5).status_code == 200, (operator.log_path.name, path)


def test_sigterm_hands_the_lease_over(
    replicated: tuple[Tenant, Replicas], k8s_api: client.ApiClient
) -> None:
    tenant, replicas = replicated
    _apply_webhooks(tenant, ["before"])
    leader = replicas.leader()
    (standby,) = replicas.standbys(leader)
    before = replicas.holder(k8s_api)
    leader.process.terminate()
    took = replicas.wait_new_leader(leader)
    leader.process.wait_stopped()
    assert leader.process.poll() == 0
    assert "released" in leader.log()
    after = replicas.holder(k8s_api)
    assert after["holder"] != before["holder"]
    assert after["transitions"] == int(str(before["transitions"])) + 1
    assert replicas.leaders() == [standby]
    _apply_webhooks(tenant, ["after"])
    assert reconciles(standby) >= 1
    print(
        f"SIGTERM hand-over: the standby led {took:.2f}s after the signal "
        f"(retry period {RETRY_PERIOD}s, lease duration {LEASE_DURATION}s)"
    )


def test_sigkill_hands_the_lease_over_once_it_expires(
    replicated: tuple[Tenant, Replicas], k8s_api: client.ApiClient
) -> None:
    tenant, replicas = replicated
    _apply_webhooks(tenant, ["before"])
    leader = replicas.leader()
    (standby,) = replicas.standbys(leader)
    before = replicas.holder(k8s_api)
    leader.kill()
    took = replicas.wait_new_leader(leader)
    after = replicas.holder(k8s_api)
    assert after["holder"] != before["holder"]
    assert after["transitions"] == int(str(before["transitions"])) + 1
    assert "released" not in leader.log()
    # The killed replica comes back as a standby.
    leader.restart()
    assert replicas.leader() is standby
    _apply_webhooks(tenant, ["after"])
    assert len(tenant.subscriptions()) == 2
    print(
        f"SIGKILL hand-over: the standby led {took:.2f}s after the kill "
        f"(lease duration {LEASE_DURATION}s + retry period {RETRY_PERIOD}s = "
        f"{LEASE_DURATION + RETRY_PERIOD}s)"
    )

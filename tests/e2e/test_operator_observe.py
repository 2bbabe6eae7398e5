"""managementPolicy Observe: report drift, never write to PagerDuty (the request log proves it)."""

from __future__ import annotations

from typing import Any

from operator_harness import RESYNC_SECONDS, Tenant

from pagerduty_operator.pagerduty.probe import PROBE_ID
from support.kube import WEBHOOKS, conditions_of
from support.waiting import CONVERGE_SECONDS


def _writes(requests: list[dict[str, Any]]) -> list[str]:
    """Every request that is not a read, except the integration's capability probe.

    The probe checks write scopes with a PUT to an id that cannot exist (always a 4xx, never a
    change); it is the integration's, not the webhook's.
    """
    return [
        f"{r['method']} {r['path']} -> {r['status']}"
        for r in requests
        if r["method"] != "GET" and PROBE_ID not in r["path"]
    ]


def test_observe_reports_drift_and_never_writes(tenant: Tenant) -> None:
    url = tenant.url("observed")
    team = {"type": "team_reference", "id": tenant.team_id}
    existing = tenant.sim.create_subscription(
        url, team, description="Team hook", events=["incident.triggered", "incident.resolved"]
    )
    seq = tenant.sim.last_seq()

    def observed(**spec: Any) -> dict[str, Any]:
        return tenant.webhook(
            "observed",
            url=url,
            scope={"type": "team", "id": tenant.team_id},
            managementPolicy="Observe",
            **spec,
        )

    tenant.apply(
        tenant.api_key_secret(),
        tenant.integration(),
        observed(description="Team hook", events=["incident.triggered"]),
    )
    obj = tenant.wait_condition(WEBHOOKS, "observed", "Ready", "False", "Drifted")
    assert obj["status"]["subscriptionId"] == existing
    message = conditions_of(obj)["Synced"]["message"]
    assert "events" in message
    assert "description" not in message, "the operator's own marker is not drift"
    assert conditions_of(obj)["SigningSecretAvailable"]["status"] == "Unknown"

    # A person fixes it in PagerDuty: in sync, still without a single write.
    tenant.sim.edit_subscription(existing, events=["incident.triggered"])
    tenant.wait_condition(
        WEBHOOKS, "observed", "Ready", "True", timeout=CONVERGE_SECONDS + 3 * RESYNC_SECONDS
    )
    # ... and one more resync.
    tenant.wait_resyncs(WEBHOOKS, "observed")

    # Deleting the resource leaves the subscription alone.
    tenant.cluster.delete(WEBHOOKS, tenant.namespace, "observed")
    tenant.cluster.wait_gone(WEBHOOKS, tenant.namespace, "observed", CONVERGE_SECONDS)

    requests = tenant.requests_since(seq)
    assert not _writes(requests), f"Observe wrote to PagerDuty: {_writes(requests)}"
    reads = [r for r in requests if r["route"].startswith("/webhook_subscriptions")]
    assert reads, "the operator never looked at the subscription"
    kept = tenant.sim.subscription(existing)
    assert kept is not None
    assert kept.description == "Team hook"
    assert kept.marker is None
    assert tenant.cluster.secret(tenant.namespace, "observed-signing") is None


def test_observe_without_a_subscription_says_not_found(tenant: Tenant) -> None:
    seq = tenant.sim.last_seq()
    tenant.apply(
        tenant.api_key_secret(),
        tenant.integration(),
        tenant.webhook("ghost", scope={"type": "account"}, managementPolicy="Observe"),
    )
    tenant.wait_condition(WEBHOOKS, "ghost", "Ready", "False", "NotFound")
    assert tenant.subscriptions("ghost") == []
    assert not _writes(tenant.requests_since(seq))

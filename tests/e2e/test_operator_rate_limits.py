"""A storm of 429s from PagerDuty: the operator waits, retries, converges, duplicates nothing."""

from __future__ import annotations

from typing import Any

from operator_harness import Tenant

STORM = 12


def test_429_storm_converges_without_duplicates(tenant: Tenant) -> None:
    hooks: list[dict[str, Any]] = [
        tenant.webhook("storm-account-1", scope={"type": "account"}),
        tenant.webhook("storm-account-2", scope={"type": "account"}),
        tenant.webhook("storm-team-1", scope={"type": "team", "id": tenant.team_id}),
        tenant.webhook("storm-team-2", scope={"type": "team", "id": tenant.team_id}),
        tenant.webhook("storm-service", scope={"type": "service", "id": tenant.service_id}),
    ]
    seq = tenant.sim.last_seq()
    # Every webhook request answers 429 until the storm is spent.
    tenant.sim.add_fault(
        path="/webhook_subscriptions*", rate_limit=True, count=STORM, reset_seconds=1
    )
    tenant.apply(tenant.api_key_secret(), tenant.integration(), *hooks)
    for hook in hooks:
        tenant.wait_webhook_ready(hook["metadata"]["name"], timeout=120)

    for hook in hooks:
        name = hook["metadata"]["name"]
        sub = tenant.only_subscription(name)
        assert tenant.signing_secret_matches(name, sub)
    assert len(tenant.subscriptions()) == len(hooks)
    requests = tenant.requests_since(seq)
    # Faulted requests are answered before authentication: the log names no credential.
    limited = [r for r in tenant.sim.requests(seq) if r["fault"] == "rate_limit"]
    assert len(limited) == STORM, "the storm did not happen"
    created = [
        r
        for r in requests
        if r["method"] == "POST" and r["route"] == "/webhook_subscriptions" and r["status"] < 300
    ]
    assert len(created) == len(hooks), "a create was repeated"

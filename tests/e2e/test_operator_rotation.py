"""Replacement: a new URL, new custom headers or a new header Secret value mean a new subscription.

Each time the new subscription's signing secret is stored, the old subscription is deleted and
exactly one is left.
"""

from __future__ import annotations

import json
from typing import Any

from operator_harness import Subscription, Tenant

from support.kube import WEBHOOKS
from support.waiting import wait_for

HEADER_FROM_SECRET = {
    "name": "X-Api-Key",
    "valueFrom": {"secretKeyRef": {"name": "receiver-key", "key": "apiKey"}},
}


def _replaced(tenant: Tenant, name: str, old: Subscription) -> Subscription:
    """Wait until `old` was replaced by one new subscription whose secret is stored."""

    def done() -> Subscription | None:
        subs = tenant.subscriptions(name)
        obj = tenant.webhook_obj(name)
        if len(subs) != 1 or subs[0].id == old.id or obj is None:
            return None
        status = obj.get("status") or {}
        if status.get("subscriptionId") != subs[0].id:
            return None
        return subs[0] if tenant.signing_secret_matches(name, subs[0]) else None

    new = wait_for(done, what=f"{name} to be replaced with its secret stored")
    assert tenant.sim.subscription(old.id) is None
    tenant.wait_webhook_ready(name)
    return new


def _hook(tenant: Tenant, **spec: Any) -> dict[str, Any]:
    return tenant.webhook("rotating", scope={"type": "team", "id": tenant.team_id}, **spec)


def test_url_change_replaces_the_subscription(tenant: Tenant) -> None:
    tenant.apply(tenant.api_key_secret(), tenant.integration(), _hook(tenant))
    tenant.wait_webhook_ready("rotating")
    first = tenant.only_subscription("rotating")
    assert tenant.signing_secret_matches("rotating", first)

    tenant.apply(_hook(tenant, url=tenant.url("rotating", "/v2")))
    second = _replaced(tenant, "rotating", first)
    assert second.url == tenant.url("rotating", "/v2")
    differs = tenant.stored_signing_secret("rotating") != first.secret
    assert differs, "the replacement must store a new signing secret"
    replaced = [
        e
        for e in json.loads(tenant.cluster.events_json(tenant.namespace))["items"]
        if e["reason"] == "Replaced" and e["involvedObject"]["name"] == "rotating"
    ]
    assert len(replaced) == 1, "one replacement, one Replaced Event"
    assert replaced[0].get("count", 1) == 1
    assert first.id in replaced[0]["message"]
    assert second.id in replaced[0]["message"]


def test_custom_header_change_replaces_the_subscription(tenant: Tenant) -> None:
    tenant.apply(
        tenant.api_key_secret(),
        tenant.integration(),
        _hook(tenant, customHeaders=[{"name": "X-Team", "value": "infra"}]),
    )
    tenant.wait_webhook_ready("rotating")
    first = tenant.only_subscription("rotating")

    tenant.apply(_hook(tenant, customHeaders=[{"name": "X-Tenant", "value": "infra"}]))
    second = _replaced(tenant, "rotating", first)
    assert second.header_names == ["X-Tenant"]


def test_changed_header_secret_value_is_rolled_out(tenant: Tenant) -> None:
    tenant.apply(
        tenant.api_key_secret(),
        tenant.secret("receiver-key", {"apiKey": "receiver-key-version-one"}),
        tenant.integration(),
        _hook(tenant, customHeaders=[HEADER_FROM_SECRET]),
    )
    tenant.wait_webhook_ready("rotating")
    first = tenant.only_subscription("rotating")
    carries = first.raw["custom_headers"][0]["value"] == "receiver-key-version-one"
    assert carries, "the subscription must carry the header value from the Secret"

    # Only the Secret changes: the CR's generation stays, the Secret watch notices.
    generation = (tenant.webhook_obj("rotating") or {})["metadata"]["generation"]
    tenant.apply(tenant.secret("receiver-key", {"apiKey": "receiver-key-version-two"}))
    second = _replaced(tenant, "rotating", first)
    rolled_out = second.raw["custom_headers"][0]["value"] == "receiver-key-version-two"
    assert rolled_out, "the new subscription must carry the new header value"
    obj = tenant.cluster.get(WEBHOOKS, tenant.namespace, "rotating")
    assert obj is not None
    assert obj["metadata"]["generation"] == generation
    tenant.sim.ledger.add("receiver key v1", "receiver-key-version-one")
    tenant.sim.ledger.add("receiver key v2", "receiver-key-version-two")

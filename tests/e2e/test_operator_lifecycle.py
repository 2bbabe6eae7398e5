"""A webhook's life in each scope: create, update in place, delete (Delete) or keep (Orphan)."""

from __future__ import annotations

import json

from operator_harness import Tenant

from pagerduty_operator.models.webhook import DEFAULT_WEBHOOK_EVENTS
from support.kube import GROUP, WEBHOOKS
from support.waiting import CONVERGE_SECONDS, wait_for


def _owner_uids(tenant: Tenant, secret_name: str) -> list[str]:
    secret = tenant.cluster.secret(tenant.namespace, secret_name)
    assert secret is not None, f"Secret {secret_name} was not written"
    assert secret.metadata is not None
    return [ref.uid for ref in secret.metadata.owner_references or []]


def _event_reasons(tenant: Tenant, name: str) -> set[str]:
    events = json.loads(tenant.cluster.events_json(tenant.namespace))["items"]
    return {e["reason"] for e in events if e["involvedObject"]["name"] == name}


def test_account_scope_create_then_delete(tenant: Tenant) -> None:
    tenant.apply(
        tenant.api_key_secret(),
        tenant.integration(),
        tenant.webhook(
            "all-incidents",
            scope={"type": "account"},
            description="Every incident",
            events=["incident.triggered", "incident.resolved"],
        ),
    )
    tenant.wait_integration_ready()
    obj = tenant.wait_webhook_ready("all-incidents")
    status = obj["status"]
    sub = tenant.only_subscription("all-incidents")
    assert status["subscriptionId"] == sub.id
    assert status["scope"]["type"] == "account"
    assert status["scope"].get("id") is None
    assert sub.filter == ("account_reference", None)
    assert sub.url == tenant.url("all-incidents")
    assert sub.description.startswith("Every incident ")
    assert sorted(sub.events) == ["incident.resolved", "incident.triggered"]
    assert status["signingSecret"] == {"name": "all-incidents-signing", "key": "signingSecret"}
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["SigningSecretAvailable"]["status"] == "True"
    assert conditions["Synced"]["status"] == "True"
    assert GROUP + "/finalizer" in obj["metadata"]["finalizers"]

    # The signing secret is in a Secret owned by the CR, equal to PagerDuty's.
    assert _owner_uids(tenant, "all-incidents-signing") == [obj["metadata"]["uid"]]
    assert tenant.signing_secret_matches("all-incidents", sub)

    tenant.cluster.delete(WEBHOOKS, tenant.namespace, "all-incidents")
    tenant.cluster.wait_gone(WEBHOOKS, tenant.namespace, "all-incidents", CONVERGE_SECONDS)
    assert tenant.sim.subscription(sub.id) is None
    # The owned Secret goes with its owner (garbage collection).
    wait_for(
        lambda: tenant.cluster.secret(tenant.namespace, "all-incidents-signing") is None,
        what="the signing Secret to be garbage-collected",
    )


def test_service_scope_defaults_from_the_integration_and_orphan_keeps_it(tenant: Tenant) -> None:
    tenant.apply(
        tenant.api_key_secret(),
        tenant.integration(service_id=tenant.service_id),
        tenant.webhook("service-hook", deletionPolicy="Orphan"),
    )
    obj = tenant.wait_webhook_ready("service-hook")
    assert obj["status"]["scope"] == {"type": "service", "id": tenant.service_id}
    sub = tenant.only_subscription("service-hook")
    assert sub.filter == ("service_reference", tenant.service_id)
    assert sorted(sub.events) == sorted(DEFAULT_WEBHOOK_EVENTS)
    assert tenant.signing_secret_matches("service-hook", sub)

    tenant.cluster.delete(WEBHOOKS, tenant.namespace, "service-hook")
    tenant.cluster.wait_gone(WEBHOOKS, tenant.namespace, "service-hook", CONVERGE_SECONDS)
    kept = tenant.sim.subscription(sub.id)
    assert kept is not None, "deletionPolicy Orphan must leave the subscription in PagerDuty"


def test_team_scope_changes_in_place_then_delete(tenant: Tenant) -> None:
    tenant.apply(
        tenant.api_key_secret(),
        tenant.integration(),
        tenant.webhook(
            "team-hook",
            scope={"type": "team", "id": tenant.team_id},
            events=["incident.triggered"],
        ),
    )
    obj = tenant.wait_webhook_ready("team-hook")
    assert obj["status"]["scope"] == {"type": "team", "id": tenant.team_id}
    sub = tenant.only_subscription("team-hook")
    assert sub.filter == ("team_reference", tenant.team_id)
    secret_before = tenant.stored_signing_secret("team-hook")

    # description, events and active change in place: same subscription, same secret.
    changed = tenant.webhook(
        "team-hook",
        scope={"type": "team", "id": tenant.team_id},
        events=["incident.triggered", "incident.acknowledged"],
        description="Team incidents",
        active=False,
    )
    tenant.apply(changed)
    obj = tenant.wait_webhook_ready("team-hook")
    after = tenant.only_subscription("team-hook")
    assert after.id == sub.id
    assert sorted(after.events) == ["incident.acknowledged", "incident.triggered"]
    assert after.description.startswith("Team incidents ")
    assert not after.active
    same_secret = tenant.stored_signing_secret("team-hook") == secret_before
    assert same_secret, "an in-place change must keep the signing secret"

    # The filter changes in place too: from the team to the whole account.
    tenant.apply({**changed, "spec": {**changed["spec"], "scope": {"type": "account"}}})
    obj = tenant.wait_webhook_ready(
        "team-hook", extra=lambda o: o["status"]["scope"]["type"] == "account"
    )
    moved = tenant.only_subscription("team-hook")
    assert moved.id == sub.id
    assert moved.filter == ("account_reference", None)
    same_secret = tenant.stored_signing_secret("team-hook") == secret_before
    assert same_secret, "a scope change must keep the signing secret"

    tenant.cluster.delete(WEBHOOKS, tenant.namespace, "team-hook")
    tenant.cluster.wait_gone(WEBHOOKS, tenant.namespace, "team-hook", CONVERGE_SECONDS)
    assert tenant.sim.subscription(sub.id) is None
    wanted = {"Created", "Updated", "Deleted"}
    wait_for(
        lambda: wanted <= _event_reasons(tenant, "team-hook"),
        what="Created, Updated and Deleted Events on the webhook",
    )
    reasons = _event_reasons(tenant, "team-hook")
    assert "Replaced" not in reasons

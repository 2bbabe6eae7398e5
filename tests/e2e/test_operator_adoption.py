"""Adoption: an existing subscription with the same URL and filter, or one named by adoptId."""

from __future__ import annotations

import json

from operator_harness import Tenant

from support.kube import WEBHOOKS, conditions_of


def test_adopts_an_unmarked_subscription_and_rotates_it_on_request(tenant: Tenant) -> None:
    url = tenant.url("adopted")
    existing = tenant.sim.create_subscription(
        url, {"type": "team_reference", "id": tenant.team_id}, description="made in the web app"
    )
    tenant.apply(
        tenant.api_key_secret(),
        tenant.integration(),
        tenant.webhook("adopted", url=url, scope={"type": "team", "id": tenant.team_id}),
    )
    obj = tenant.wait_condition(WEBHOOKS, "adopted", "SigningSecretAvailable", "False", "NotHeld")
    assert obj["status"]["subscriptionId"] == existing
    assert conditions_of(obj)["Synced"]["status"] == "True"
    assert not obj["status"].get("signingSecret")
    assert tenant.cluster.secret(tenant.namespace, "adopted-signing") is None
    events = json.loads(tenant.cluster.events_json(tenant.namespace))["items"]
    adopted = [e for e in events if e["reason"] == "Adopted"]
    assert len(adopted) == 1
    assert existing in adopted[0]["message"]

    # Adopted for good: several resyncs later it is still the same one, and the only one.
    tenant.wait_resyncs(WEBHOOKS, "adopted", 2)
    [sub] = [s for s in tenant.sim.all_subscriptions() if s.url == url]
    assert sub.id == existing
    assert sub.marker == (tenant.namespace, "adopted")
    obj = tenant.wait_condition(WEBHOOKS, "adopted", "SigningSecretAvailable", "False", "NotHeld")
    assert obj["status"]["subscriptionId"] == existing

    # rotateSigningSecret replaces it to obtain a signing secret.
    tenant.apply(
        tenant.webhook(
            "adopted",
            url=url,
            scope={"type": "team", "id": tenant.team_id},
            rotateSigningSecret=True,
        )
    )
    obj = tenant.wait_condition(WEBHOOKS, "adopted", "SigningSecretAvailable", "True", "Stored")
    new = tenant.only_subscription("adopted")
    assert new.id != existing
    assert obj["status"]["subscriptionId"] == new.id
    assert tenant.sim.subscription(existing) is None
    assert [s.id for s in tenant.sim.all_subscriptions() if s.url == url] == [new.id]
    assert tenant.signing_secret_matches("adopted", new)


def test_adopt_id_takes_over_a_named_subscription(tenant: Tenant) -> None:
    url = tenant.url("by-id")
    # A subscription with a different description and events: adoptId names it all the same.
    existing = tenant.sim.create_subscription(
        url,
        {"type": "service_reference", "id": tenant.service_id},
        description="legacy hook",
        events=["incident.acknowledged"],
    )
    decoy = tenant.sim.create_subscription(
        url, {"type": "service_reference", "id": tenant.service_id}, description="another one"
    )
    tenant.apply(
        tenant.api_key_secret(),
        tenant.integration(),
        tenant.webhook(
            "by-id",
            url=url,
            scope={"type": "service", "id": tenant.service_id},
            events=["incident.triggered"],
            adoptId=existing,
        ),
    )
    obj = tenant.wait_condition(WEBHOOKS, "by-id", "Synced", "True")
    assert obj["status"]["subscriptionId"] == existing
    adopted = tenant.sim.subscription(existing)
    assert adopted is not None
    assert adopted.events == ["incident.triggered"]
    assert adopted.marker == (tenant.namespace, "by-id")
    assert tenant.sim.subscription(decoy) is not None, "another subscription is not touched"


def test_adopt_id_of_a_missing_subscription_is_reported(tenant: Tenant) -> None:
    tenant.apply(
        tenant.api_key_secret(),
        tenant.integration(),
        tenant.webhook("nowhere", scope={"type": "account"}, adoptId="PNOSUCH"),
    )
    obj = tenant.wait_condition(WEBHOOKS, "nowhere", "Ready", "False", "AdoptTargetNotFound")
    assert "PNOSUCH" in conditions_of(obj)["Ready"]["message"]
    assert tenant.subscriptions("nowhere") == []

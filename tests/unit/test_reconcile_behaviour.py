"""Webhook and integration behaviour in milliseconds, without a control plane.

The real reconcilers, the in-process simulator and an in-memory Kubernetes behind the real
`Kube` facade (tests/support/desk.py). Each test reconciles as the operator does (read the
object, reconcile, write the whole status) and checks status, Secrets, Events and what PagerDuty
(the simulator) holds. The e2e suites run the same behaviours through kopf and a real apiserver;
test_reconcile_behaviour_webhooks.py and test_reconcile_behaviour_integrations.py continue here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from pagerduty_operator.models.identity import SUBSCRIPTION_ANNOTATION
from pagerduty_operator.models.resources import INTEGRATION, WEBHOOK
from pagerduty_operator.pagerduty.resources.webhooks import (
    NewWebhookSubscription,
    WebhookFilter,
)
from pagerduty_operator.reconcile.webhook_desired import marker
from support.desk import NS, URL, Desk, open_desk
from support.sim_seed import CHECKOUT, US_FULL


@pytest.fixture
async def desk() -> AsyncIterator[Desk]:
    async with open_desk() as desk:
        yield desk


async def test_an_integration_with_an_api_key_is_ready(desk: Desk) -> None:
    desk.integration()
    outcome = await desk.reconcile(INTEGRATION.plural, "checkout")
    assert outcome.ready
    status = desk.kube.status_of(INTEGRATION.plural, NS, "checkout")
    assert status["authMethod"] == "APIKey"
    assert status["service"]["id"] == CHECKOUT
    assert status["observedGeneration"] == 1


async def test_an_integration_without_its_secret_names_it(desk: Desk) -> None:
    desk.integration(secret=False)
    assert not (await desk.reconcile(INTEGRATION.plural, "checkout")).ready
    status, reason, message = desk.condition(INTEGRATION.plural, "checkout", "Ready")
    assert (status, reason) == ("False", "SecretNotFound")
    assert "'pd'" in message


async def test_an_integration_on_a_missing_service_names_spec_service_id(desk: Desk) -> None:
    desk.integration(service_id="PNOSUCH")
    await desk.reconcile(INTEGRATION.plural, "checkout")
    status, reason, message = desk.condition(INTEGRATION.plural, "checkout", "Ready")
    assert (status, reason) == ("False", "ServiceNotFound")
    assert message.startswith("spec.serviceId: PagerDuty service PNOSUCH ")


async def test_a_webhook_is_created_once_and_its_secret_stored(desk: Desk) -> None:
    desk.integration()
    desk.webhook()
    await desk.reconcile(WEBHOOK.plural, "incidents")
    assert desk.condition(WEBHOOK.plural, "incidents", "Ready")[:2] == ("True", "Ready")
    (created,) = await desk.subscriptions()
    status = desk.kube.status_of(WEBHOOK.plural, NS, "incidents")
    assert status["subscriptionId"] == created.id
    assert status["signingSecret"] == {"name": "incidents-signing", "key": "signingSecret"}
    secret = desk.kube.secrets[(NS, "incidents-signing")]
    assert secret["metadata"]["annotations"][SUBSCRIPTION_ANNOTATION] == created.id
    assert desk.kube.secret_data(NS, "incidents-signing")["signingSecret"]
    assert desk.reasons() == ["Created"]

    await desk.reconcile(WEBHOOK.plural, "incidents")  # level-based: nothing more to do
    assert [s.id for s in await desk.subscriptions()] == [created.id]
    assert desk.reasons() == ["Created"]


async def test_a_changed_url_replaces_the_subscription(desk: Desk) -> None:
    desk.integration()
    desk.webhook()
    await desk.reconcile(WEBHOOK.plural, "incidents")
    (old,) = await desk.subscriptions()
    desk.webhook(url="https://hooks.example.com/new")
    await desk.reconcile(WEBHOOK.plural, "incidents")
    (new,) = await desk.subscriptions()
    assert new.id != old.id
    assert new.delivery_method.url == "https://hooks.example.com/new"
    assert desk.reasons() == ["Created", "DeletedReplaced", "Replaced"]
    assert desk.events[-1][2] == f"replaced {old.id} by {new.id}: url"


async def test_a_lost_signing_secret_deletes_first_then_creates(desk: Desk) -> None:
    desk.integration()
    desk.webhook()
    await desk.reconcile(WEBHOOK.plural, "incidents")
    del desk.kube.secrets[(NS, "incidents-signing")]
    await desk.reconcile(WEBHOOK.plural, "incidents")
    assert desk.reasons() == ["Created", "DeletedReplaced", "Replaced"]
    assert desk.events[-1][2].endswith(": signing secret lost")
    assert len(await desk.subscriptions()) == 1
    assert desk.condition(WEBHOOK.plural, "incidents", "SigningSecretAvailable")[0] == "True"


async def test_a_duplicate_marked_subscription_is_deleted(desk: Desk) -> None:
    desk.integration()
    desk.webhook()
    await desk.reconcile(WEBHOOK.plural, "incidents")
    (kept,) = await desk.subscriptions()
    await desk.pd.webhooks.create(
        NewWebhookSubscription(
            url=URL,
            events=["incident.triggered"],
            filter=WebhookFilter.service(CHECKOUT),
            description=f"left by a crash {marker(NS, 'incidents')}",
            active=True,
            custom_headers=[],
        )
    )
    desk.forget_listings()  # as after a restart
    await desk.reconcile(WEBHOOK.plural, "incidents")
    assert [s.id for s in await desk.subscriptions()] == [kept.id]
    assert "DeletedDuplicate" in desk.reasons()


async def test_observe_reports_a_missing_subscription_without_writing(desk: Desk) -> None:
    desk.integration()
    desk.webhook(managementPolicy="Observe")
    await desk.reconcile(WEBHOOK.plural, "incidents")
    assert desk.condition(WEBHOOK.plural, "incidents", "Ready")[:2] == ("False", "NotFound")
    assert await desk.subscriptions() == []
    assert desk.events == []


async def test_a_changed_header_value_replaces_the_subscription(desk: Desk) -> None:
    """PagerDuty hides header values, so the digest on the signing Secret notices the change."""
    desk.integration()
    desk.kube.put_secret(NS, "receiver", {"apiKey": "first"})
    header = {
        "name": "X-Api-Key",
        "valueFrom": {"secretKeyRef": {"name": "receiver", "key": "apiKey"}},
    }
    desk.webhook(customHeaders=[header])
    await desk.reconcile(WEBHOOK.plural, "incidents")
    (old,) = await desk.subscriptions()
    await desk.reconcile(WEBHOOK.plural, "incidents")
    assert [s.id for s in await desk.subscriptions()] == [old.id]  # same value: kept
    desk.kube.put_secret(NS, "receiver", {"apiKey": "second"})
    await desk.reconcile(WEBHOOK.plural, "incidents")
    (new,) = await desk.subscriptions()
    assert new.id != old.id
    assert desk.events[-1][2] == f"replaced {old.id} by {new.id}: customHeaders values"


async def test_an_unmarked_subscription_with_the_same_endpoint_is_adopted(desk: Desk) -> None:
    desk.integration()
    theirs = await desk.pd.webhooks.create(
        NewWebhookSubscription(
            url=URL,
            events=["incident.triggered"],
            filter=WebhookFilter.service(CHECKOUT),
            description="made by hand",
            active=True,
            custom_headers=[],
        )
    )
    desk.webhook()
    await desk.reconcile(WEBHOOK.plural, "incidents")
    (kept,) = await desk.subscriptions()
    assert kept.id == theirs.id
    assert sorted(kept.events) == ["incident.resolved", "incident.triggered"]
    assert desk.reasons() == ["Updated", "Adopted"]
    assert desk.condition(WEBHOOK.plural, "incidents", "SigningSecretAvailable")[:2] == (
        "False",
        "NotHeld",
    )


async def test_a_routing_key_only_integration_is_ready_unchecked(desk: Desk) -> None:
    desk.kube.put_secret(NS, "routing", {"key": "R0UTINGKEY0000000000000000000001"})
    spec = {"credentials": {"routingKey": {"secretKeyRef": {"name": "routing", "key": "key"}}}}
    desk.put(INTEGRATION.plural, "checkout", spec)
    assert (await desk.reconcile(INTEGRATION.plural, "checkout")).ready
    assert desk.condition(INTEGRATION.plural, "checkout", "CredentialsValid")[:2] == (
        "True",
        "RoutingKeyOnly",
    )
    assert desk.kube.status_of(INTEGRATION.plural, NS, "checkout")["authMethod"] == "RoutingKey"


async def test_an_events_integration_publishes_its_routing_key(desk: Desk) -> None:
    desk.kube.put_secret(NS, "pd", {"token": US_FULL})
    spec = {
        "serviceId": CHECKOUT,
        "credentials": {"apiKey": {"secretKeyRef": {"name": "pd", "key": "token"}}},
        "eventsIntegration": {"name": "alerts", "secretName": "alerts-routing"},
    }
    desk.put(INTEGRATION.plural, "checkout", spec)
    assert (await desk.reconcile(INTEGRATION.plural, "checkout")).ready
    status = desk.kube.status_of(INTEGRATION.plural, NS, "checkout")
    created = status["eventsIntegration"]
    assert (created["serviceId"], created["secretName"]) == (CHECKOUT, "alerts-routing")
    assert desk.kube.secret_data(NS, "alerts-routing")["routingKey"]
    assert desk.reasons() == ["Created"]
    await desk.reconcile(INTEGRATION.plural, "checkout")  # found again, not created twice
    assert desk.reasons() == ["Created"]
    assert desk.kube.status_of(INTEGRATION.plural, NS, "checkout")["eventsIntegration"] == created

"""Real deliveries: a signed incident webhook verifies with the stored secret; ping on demand."""

from __future__ import annotations

from operator_harness import Tenant

from pagerduty_operator.models.identity import PING_ANNOTATION
from support.kube import WEBHOOKS
from support.receiver import SIGNATURE_HEADER, Receiver, signature_valid
from support.waiting import wait_for


def test_incident_delivery_verifies_with_the_stored_signing_secret(tenant: Tenant) -> None:
    with Receiver() as receiver:
        tenant.apply(
            tenant.api_key_secret(),
            tenant.secret("receiver-auth", {"key": "receiver-token-for-e2e-1234"}),
            tenant.integration(service_id=tenant.service_id),
            tenant.webhook(
                "to-receiver",
                url=receiver.url,
                allowInsecureUrl=True,
                events=["incident.triggered"],
                customHeaders=[
                    {
                        "name": "X-Receiver-Key",
                        "valueFrom": {"secretKeyRef": {"name": "receiver-auth", "key": "key"}},
                    },
                    {"name": "X-Source", "value": "e2e"},
                ],
            ),
        )
        tenant.wait_webhook_ready("to-receiver")
        sub = tenant.only_subscription("to-receiver")
        assert tenant.signing_secret_matches("to-receiver", sub)
        secret = tenant.stored_signing_secret("to-receiver")

        incident = tenant.sim.trigger_incident(tenant.service_id, "Checkout is down")
        _, delivery = wait_for(
            lambda: next(((t, d) for t, d in receiver.events() if t == "incident.triggered"), None),
            what="the incident.triggered delivery at the receiver",
        )
        header = delivery.headers.get(SIGNATURE_HEADER.lower())
        valid = signature_valid(secret, delivery.body, header)
        assert valid, "the delivery's signature does not verify with the stored signing secret"
        forged = signature_valid(secret, delivery.body + b" ", header)
        assert not forged, "a changed body must not verify"
        assert delivery.headers.get("x-webhook-subscription") == sub.id
        assert delivery.headers.get("x-source") == "e2e"
        header_matches = delivery.headers.get("x-receiver-key") == "receiver-token-for-e2e-1234"
        assert header_matches, "the custom header from the Secret did not arrive"
        assert incident["id"] in delivery.body.decode()


def test_ping_annotation_pings_once_per_value(tenant: Tenant) -> None:
    sub = tenant.team_webhook("pinged")

    tenant.cluster.patch(
        WEBHOOKS,
        tenant.namespace,
        "pinged",
        {"metadata": {"annotations": {PING_ANNOTATION: "first"}}},
    )
    obj = tenant.wait_webhook_ready(
        "pinged", extra=lambda o: (o["status"].get("lastPing") or {}).get("annotation") == "first"
    )
    assert obj["status"]["lastPing"]["result"] == "Accepted"
    pings = wait_for(
        lambda: [d for d in tenant.sim.deliveries(sub.id) if d["event_type"] == "pagey.ping"],
        what="a pagey.ping delivery",
    )
    assert len(pings) == 1

    # Resyncs do not ping again; a new value does.
    seq = tenant.sim.last_seq()
    tenant.cluster.patch(
        WEBHOOKS,
        tenant.namespace,
        "pinged",
        {"metadata": {"annotations": {PING_ANNOTATION: "second"}}},
    )
    tenant.wait_webhook_ready(
        "pinged", extra=lambda o: (o["status"].get("lastPing") or {}).get("annotation") == "second"
    )
    wait_for(
        lambda: [d for d in tenant.sim.deliveries(sub.id) if d["event_type"] == "pagey.ping"][1:],
        what="a second pagey.ping delivery",
    )
    tenant.wait_resyncs(WEBHOOKS, "pinged", 2)  # resyncs must not ping again
    ping_calls = [
        r
        for r in tenant.requests_since(seq)
        if r["method"] == "POST" and r["route"] == "/webhook_subscriptions/{id}/ping"
    ]
    assert len(ping_calls) == 1

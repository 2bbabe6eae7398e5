"""No secret reaches the operator's logs, Kubernetes Events or any custom resource's status.

The ledger holds every secret the session has seen (API keys, OAuth secrets, routing keys,
signing secrets, header values taken from Secrets); this test first walks a scenario through
failures, replacement and a ping, then searches every operator log of the session, every Event
and every status. Leaks are reported by label, never by value.
"""

from __future__ import annotations

import json
from pathlib import Path

from operator_harness import Tenant

from pagerduty_operator.models.identity import PING_ANNOTATION
from support.kube import INTEGRATIONS, WEBHOOKS, conditions_of
from support.waiting import wait_for

WRONG_KEY = "y_SIMfake_wrong_key_hygiene_0001"
HEADER_V1 = "hygiene-header-secret-value-one"
HEADER_V2 = "hygiene-header-secret-value-two"


def _scenario(tenant: Tenant) -> None:
    ledger = tenant.sim.ledger
    for label, value in (
        ("wrong key", WRONG_KEY),
        ("header v1", HEADER_V1),
        ("header v2", HEADER_V2),
    ):
        ledger.add(label, value)
    header = {"name": "X-Api-Key", "valueFrom": {"secretKeyRef": {"name": "hdr", "key": "k"}}}
    hook = tenant.webhook(
        "hygiene", scope={"type": "team", "id": tenant.team_id}, customHeaders=[header]
    )
    tenant.apply(
        tenant.api_key_secret(token=WRONG_KEY),
        tenant.secret("hdr", {"k": HEADER_V1}),
        tenant.integration(),
        hook,
    )
    tenant.wait_condition(WEBHOOKS, "hygiene", "Ready", "False", "CredentialsInvalid")
    tenant.apply(tenant.api_key_secret())
    tenant.wait_webhook_ready("hygiene")
    first = tenant.only_subscription("hygiene")
    tenant.apply(tenant.secret("hdr", {"k": HEADER_V2}))
    wait_for(
        lambda: [s for s in tenant.subscriptions("hygiene") if s.id != first.id],
        what="the replacement for the new header value",
    )
    tenant.cluster.patch(
        WEBHOOKS, tenant.namespace, "hygiene", {"metadata": {"annotations": {PING_ANNOTATION: "x"}}}
    )
    tenant.wait_webhook_ready(
        "hygiene", extra=lambda o: (o["status"].get("lastPing") or {}).get("annotation") == "x"
    )
    assert conditions_of(tenant.webhook_obj("hygiene"))["SigningSecretAvailable"]["status"] == (
        "True"
    )
    tenant.sim.state()  # every signing secret, old and new, into the ledger


def test_no_secret_in_logs_events_or_status(tenant: Tenant, stack_dir: Path) -> None:
    _scenario(tenant)
    ledger = tenant.sim.ledger
    assert len(ledger.values) > 10, "the ledger is too small to prove anything"

    logs = sorted(p for p in stack_dir.glob("operator*.log"))
    assert logs
    for path in logs:
        text = path.read_text(errors="replace")
        if path.name == "operator-shared.log":
            seen = tenant.namespace in text
            assert seen, "the shared operator's log does not mention the scenario"
        leaked = ledger.leaks(text)
        assert not leaked, f"secrets in {path.name}: {leaked}"

    events = tenant.cluster.events_json()
    for reason in ("CredentialsInvalid", "Replaced"):
        posted = reason in events
        assert posted, f"no {reason} Event: the scenario did not run as intended"
    leaked = ledger.leaks(events)
    assert not leaked, f"secrets in Kubernetes Events: {leaked}"

    listing = json.loads(
        tenant.cluster.kubectl("get", f"{WEBHOOKS},{INTEGRATIONS}", "-A", "-o", "json").stdout
    )
    statuses = json.dumps([item.get("status") for item in listing["items"]])
    has_ids = "subscriptionId" in statuses
    assert has_ids, "no webhook status was read"
    leaked = ledger.leaks(statuses)
    assert not leaked, f"secrets in custom resource status: {leaked}"

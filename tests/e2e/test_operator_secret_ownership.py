"""The operator writes only Secrets it owns, never a person's (such as the API key's)."""

from __future__ import annotations

from operator_harness import Tenant

from support.kube import INTEGRATIONS, WEBHOOKS
from support.waiting import CONVERGE_SECONDS, wait_for


def _owner_uids(tenant: Tenant, name: str) -> list[str]:
    secret = tenant.cluster.secret(tenant.namespace, name)
    assert secret is not None, f"Secret {name} is gone"
    assert secret.metadata is not None
    return [ref.uid for ref in secret.metadata.owner_references or []]


def test_signing_secret_ref_naming_the_api_key_secret_is_refused(tenant: Tenant) -> None:
    hook = tenant.webhook("reuses-key", scope={"type": "account"})
    hook["spec"]["signingSecretRef"] = {"name": "pd-api-key", "key": "signingSecret"}
    tenant.apply(tenant.api_key_secret(), tenant.integration(), hook)
    tenant.wait_integration_ready()
    obj = tenant.wait_condition(WEBHOOKS, "reuses-key", "Ready", "False", "SecretNotOwned")
    ready = next(c for c in obj["status"]["conditions"] if c["type"] == "Ready")
    assert "pd-api-key" in ready["message"]
    assert "signingSecretRef" in ready["message"]
    assert tenant.api_token not in ready["message"]
    # Refused before any create: nothing in PagerDuty, the Secret untouched.
    assert tenant.subscriptions("reuses-key") == []
    assert tenant.cluster.secret_data(tenant.namespace, "pd-api-key") == {"token": tenant.api_token}
    assert _owner_uids(tenant, "pd-api-key") == []

    tenant.cluster.delete(WEBHOOKS, tenant.namespace, "reuses-key")
    tenant.cluster.wait_gone(WEBHOOKS, tenant.namespace, "reuses-key", CONVERGE_SECONDS)
    # The integration still works with its key: nothing took the Secret with it.
    tenant.apply(tenant.webhook("after", scope={"type": "account"}))
    tenant.wait_webhook_ready("after")
    assert tenant.cluster.secret_data(tenant.namespace, "pd-api-key") == {"token": tenant.api_token}


def test_events_integration_secret_naming_the_api_key_secret_is_refused(tenant: Tenant) -> None:
    integration = tenant.integration(service_id=tenant.service_id)
    integration["spec"]["eventsIntegration"] = {
        "serviceId": tenant.service_id,
        "name": "from-k8s",
        "secretName": "pd-api-key",
    }
    tenant.apply(tenant.api_key_secret(), integration)
    obj = tenant.wait_condition(INTEGRATIONS, "pd", "Ready", "False", "SecretNotOwned")
    ready = next(c for c in obj["status"]["conditions"] if c["type"] == "Ready")
    assert "eventsIntegration.secretName" in ready["message"]
    assert tenant.api_token not in ready["message"]
    assert _owner_uids(tenant, "pd-api-key") == []
    assert tenant.cluster.secret_data(tenant.namespace, "pd-api-key") == {"token": tenant.api_token}


def test_a_secret_handed_over_by_label_is_used_and_owned(tenant: Tenant) -> None:
    handed = tenant.secret("handed-signing", {"note": "kept"})
    handed["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "pagerduty-operator"}
    hook = tenant.webhook("handed", scope={"type": "account"})
    hook["spec"]["signingSecretRef"] = {"name": "handed-signing"}
    tenant.apply(tenant.api_key_secret(), tenant.integration(), handed, hook)
    obj = tenant.wait_webhook_ready("handed")
    sub = tenant.only_subscription("handed")
    assert tenant.signing_secret_matches("handed", sub)
    data = tenant.cluster.secret_data(tenant.namespace, "handed-signing") or {}
    assert data.get("note") == "kept"
    wait_for(
        lambda: _owner_uids(tenant, "handed-signing") == [obj["metadata"]["uid"]],
        what="the handed-over Secret to be owned by the webhook",
    )

"""Credentials and scopes: missing Secrets, wrong or read-only keys, service-scoped integrations.

Each problem is a condition a person can act on, and fixing it is enough: the operator notices
the Secret change and recovers without a restart.
"""

from __future__ import annotations

from operator_harness import Tenant, add_api_key

from support.kube import INTEGRATIONS, WEBHOOKS, conditions_of
from support.waiting import CONVERGE_SECONDS


def test_missing_secret_then_created_recovers(tenant: Tenant) -> None:
    tenant.apply(
        tenant.integration(secret="late-key"),
        tenant.webhook("waiting", scope={"type": "team", "id": tenant.team_id}),
    )
    integration = tenant.wait_condition(
        INTEGRATIONS, "pd", "CredentialsValid", "False", "SecretNotFound"
    )
    assert "late-key" in conditions_of(integration)["CredentialsValid"]["message"]
    assert conditions_of(integration)["Ready"]["status"] == "False"
    webhook = tenant.wait_condition(WEBHOOKS, "waiting", "Ready", "False", "SecretNotFound")
    assert "late-key" in conditions_of(webhook)["Ready"]["message"]
    assert tenant.subscriptions("waiting") == []

    tenant.apply(tenant.api_key_secret("late-key"))
    tenant.wait_integration_ready()
    tenant.wait_webhook_ready("waiting")
    sub = tenant.only_subscription("waiting")
    assert tenant.signing_secret_matches("waiting", sub)


def test_wrong_key_then_fixed_recovers(tenant: Tenant) -> None:
    tenant.apply(
        tenant.api_key_secret(token="y_SIMfake_not_a_key_of_anyone"),
        tenant.integration(),
        tenant.webhook("blocked", scope={"type": "team", "id": tenant.team_id}),
    )
    tenant.wait_condition(INTEGRATIONS, "pd", "CredentialsValid", "False", "CredentialsInvalid")
    webhook = tenant.wait_condition(WEBHOOKS, "blocked", "Ready", "False", "CredentialsInvalid")
    assert "PagerDutyIntegration" in conditions_of(webhook)["Ready"]["message"] or (
        "Secret" in conditions_of(webhook)["Ready"]["message"]
    )
    assert tenant.subscriptions("blocked") == []

    tenant.apply(tenant.api_key_secret())
    tenant.wait_integration_ready()
    tenant.wait_webhook_ready("blocked")
    tenant.only_subscription("blocked")


def test_read_only_key_reports_the_missing_scope(tenant: Tenant) -> None:
    token = add_api_key(tenant.sim, tenant.sim.ledger, f"ro-{tenant.namespace}", read_only=True)
    tenant.apply(
        tenant.api_key_secret(token=token),
        tenant.integration(),
        tenant.webhook("read-only", scope={"type": "team", "id": tenant.team_id}),
    )
    integration = tenant.wait_condition(
        INTEGRATIONS, "pd", "ScopesGranted", "False", "MissingScopes"
    )
    scopes = integration["status"]["scopes"]
    assert scopes["webhook_subscriptions_write"] == "missing"
    assert scopes["webhook_subscriptions_read"] == "granted"
    assert "webhook_subscriptions_write" in conditions_of(integration)["ScopesGranted"]["message"]
    webhook = tenant.wait_condition(WEBHOOKS, "read-only", "Ready", "False", "MissingScope")
    assert conditions_of(webhook)["Synced"]["reason"] == "MissingScope"
    assert tenant.subscriptions("read-only") == []


def test_account_or_team_scope_on_a_service_scoped_integration_is_refused(tenant: Tenant) -> None:
    tenant.apply(
        tenant.api_key_secret(),
        tenant.integration(service_id=tenant.service_id),
        tenant.webhook("account-wide", scope={"type": "account"}),
        tenant.webhook("team-wide", scope={"type": "team", "id": tenant.team_id}),
        tenant.webhook("other-service", scope={"type": "service", "id": "PCHKOUT"}),
    )
    for name in ("account-wide", "team-wide", "other-service"):
        obj = tenant.wait_condition(WEBHOOKS, name, "Ready", "False", "ScopeNotAllowed")
        assert tenant.service_id in conditions_of(obj)["Ready"]["message"]
    assert tenant.subscriptions() == []


def test_webhook_of_a_missing_integration_reports_it_and_can_be_deleted(tenant: Tenant) -> None:
    tenant.apply(
        tenant.webhook("orphaned-ref", integration="no-such-integration", scope={"type": "account"})
    )
    obj = tenant.wait_condition(WEBHOOKS, "orphaned-ref", "Ready", "False", "IntegrationNotFound")
    assert "no-such-integration" in conditions_of(obj)["Ready"]["message"]
    tenant.cluster.delete(WEBHOOKS, tenant.namespace, "orphaned-ref")
    tenant.cluster.wait_gone(WEBHOOKS, tenant.namespace, "orphaned-ref", CONVERGE_SECONDS)

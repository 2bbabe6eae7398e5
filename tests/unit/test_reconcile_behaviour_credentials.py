"""Integration credentials in milliseconds: OAuth grants, scopes, wrong secrets.

The real integration reconciler against the in-process simulator and an in-memory Kubernetes
(tests/support/desk.py); tests/e2e/test_operator_credentials.py runs the API-key cases through
kopf and a real apiserver. Each test checks the conditions, the status and that no credential
reaches a message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from pagerduty_operator.models.resources import INTEGRATION
from support.desk import NS, Desk, open_desk
from support.sim_seed import CHECKOUT, US_CLIENT_ID, US_CLIENT_SECRET, US_READ_ONLY

OAUTH_SECRET = "pd-oauth"
CREDENTIAL_VALUES = (US_CLIENT_ID, US_CLIENT_SECRET, US_READ_ONLY)


@pytest.fixture
async def desk() -> AsyncIterator[Desk]:
    async with open_desk() as desk:
        yield desk


def _oauth(desk: Desk, *, client_secret: str = US_CLIENT_SECRET, **oauth: Any) -> None:
    desk.kube.put_secret(NS, OAUTH_SECRET, {"id": US_CLIENT_ID, "secret": client_secret})
    spec = {
        "serviceId": CHECKOUT,
        "credentials": {
            "oauth": {
                "clientId": {"secretKeyRef": {"name": OAUTH_SECRET, "key": "id"}},
                "clientSecret": {"secretKeyRef": {"name": OAUTH_SECRET, "key": "secret"}},
                "subdomain": "acme",
                **oauth,
            }
        },
    }
    desk.put(INTEGRATION.plural, "checkout", spec)


def _no_credential_in(desk: Desk) -> None:
    text = desk.messages(INTEGRATION.plural, "checkout")
    text += repr(desk.kube.status_of(INTEGRATION.plural, NS, "checkout"))
    for value in CREDENTIAL_VALUES:
        assert value not in text


async def test_an_oauth_client_credentials_integration_is_ready(desk: Desk) -> None:
    _oauth(desk)
    assert (await desk.reconcile(INTEGRATION.plural, "checkout")).ready
    status = desk.kube.status_of(INTEGRATION.plural, NS, "checkout")
    assert status["authMethod"] == "OAuthClientCredentials"
    assert status["account"] == "acme"
    assert status["tokenExpiresAt"]
    assert status["service"]["id"] == CHECKOUT
    assert desk.condition(INTEGRATION.plural, "checkout", "ScopesGranted")[:2] == (
        "True",
        "AllGranted",
    )
    assert "POST /oauth/token 200" in desk.last_calls
    _no_credential_in(desk)


async def test_an_oauth_grant_without_a_write_scope_names_it(desk: Desk) -> None:
    _oauth(desk, scopes=["services.read", "webhook_subscriptions.read"])
    await desk.reconcile(INTEGRATION.plural, "checkout")
    status, reason, message = desk.condition(INTEGRATION.plural, "checkout", "ScopesGranted")
    assert (status, reason) == ("False", "MissingScopes")
    assert "webhook_subscriptions_write" in message
    scopes = desk.kube.status_of(INTEGRATION.plural, NS, "checkout")["scopes"]
    assert scopes["webhook_subscriptions_write"] == "missing"
    assert scopes["webhook_subscriptions_read"] == "granted"
    _no_credential_in(desk)


async def test_a_read_only_api_key_reports_the_missing_write_scope(desk: Desk) -> None:
    desk.kube.put_secret(NS, "pd", {"token": US_READ_ONLY})
    spec = {
        "serviceId": CHECKOUT,
        "credentials": {"apiKey": {"secretKeyRef": {"name": "pd", "key": "token"}}},
    }
    desk.put(INTEGRATION.plural, "checkout", spec)
    await desk.reconcile(INTEGRATION.plural, "checkout")
    assert desk.condition(INTEGRATION.plural, "checkout", "CredentialsValid")[:2] == (
        "True",
        "Valid",
    )
    status, reason, message = desk.condition(INTEGRATION.plural, "checkout", "ScopesGranted")
    assert (status, reason) == ("False", "MissingScopes")
    assert "webhook_subscriptions_write" in message
    # The scope probe tries writes that cannot change anything; every one is refused.
    writes = [c for c in desk.last_calls if c.split()[0] in ("POST", "PUT", "DELETE")]
    assert writes
    assert all(c.endswith(" 403") for c in writes)
    _no_credential_in(desk)


async def test_a_wrong_oauth_client_secret_is_refused_without_echoing_it(desk: Desk) -> None:
    wrong = "simfake_acme_client_secret_WRONG0000000000009"
    _oauth(desk, client_secret=wrong)
    assert not (await desk.reconcile(INTEGRATION.plural, "checkout")).ready
    status, reason, _ = desk.condition(INTEGRATION.plural, "checkout", "CredentialsValid")
    assert status == "False"
    assert reason != "Valid"
    assert desk.condition(INTEGRATION.plural, "checkout", "Ready")[0] == "False"
    text = desk.messages(INTEGRATION.plural, "checkout")
    assert wrong not in text
    _no_credential_in(desk)


async def test_a_fixed_oauth_secret_recovers_on_the_next_reconcile(desk: Desk) -> None:
    _oauth(desk, client_secret="simfake_acme_client_secret_WRONG0000000000009")
    assert not (await desk.reconcile(INTEGRATION.plural, "checkout")).ready
    desk.kube.put_secret(NS, OAUTH_SECRET, {"id": US_CLIENT_ID, "secret": US_CLIENT_SECRET})
    assert (await desk.reconcile(INTEGRATION.plural, "checkout")).ready
    assert desk.condition(INTEGRATION.plural, "checkout", "CredentialsValid")[:2] == (
        "True",
        "Valid",
    )

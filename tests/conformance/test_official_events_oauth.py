"""The official `pagerduty` package's Events API v2 and OAuth clients against the simulator.

`EventsApiV2Client` sends to `events[.eu].pagerduty.com` and `OAuthTokenClient` to
`identity.pagerduty.com`, both routed to the simulator (`pd_official`). Token and key values
are compared through booleans so that a failing assertion never prints a secret.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pagerduty
import pytest
from pd_official import REST_EU, SimulatorRouting, assert_error, rest

from support.sim_seed import (
    ACME_GLOBAL_KEY,
    CHECKOUT,
    CHECKOUT_KEY,
    EU_CLIENT_ID,
    EU_CLIENT_SECRET,
    EU_SHOP,
    EU_SHOP_KEY,
    US_CLIENT_ID,
    US_CLIENT_SECRET,
    US_FULL,
    US_REFRESH_TOKEN,
)

TOKEN_KEYS = {"access_token", "token_type", "expires_in", "scope"}


def events(routing: SimulatorRouting, key: str, region: str = "us") -> pagerduty.EventsApiV2Client:
    base = "https://events.eu.pagerduty.com" if region == "eu" else None
    return pagerduty.EventsApiV2Client(key, base_url=base, transport=routing)


def incidents_by_key(routing: SimulatorRouting, key: str) -> dict[str, dict[str, Any]]:
    listed = rest(routing, US_FULL).all("/incidents", "incidents")
    return {i["incident_key"]: i for i in listed if i["incident_key"] == key}


def assert_accepted(routing: SimulatorRouting, dedup_key: str) -> None:
    last = routing.last
    assert last.status == 202
    assert last.body == {"status": "success", "message": "Event processed", "dedup_key": dedup_key}


def test_trigger_acknowledge_resolve(routing: SimulatorRouting) -> None:
    client = events(routing, CHECKOUT_KEY)
    key = client.trigger("Checkout is down", "conformance", dedup_key="conf-1", severity="error")
    assert key == "conf-1"
    assert_accepted(routing, "conf-1")
    incident = incidents_by_key(routing, "conf-1")["conf-1"]
    assert (incident["service"]["id"], incident["status"]) == (CHECKOUT, "triggered")
    assert client.acknowledge("conf-1") == "conf-1"
    assert incidents_by_key(routing, "conf-1")["conf-1"]["status"] == "acknowledged"
    assert client.resolve("conf-1") == "conf-1"
    assert incidents_by_key(routing, "conf-1")["conf-1"]["status"] == "resolved"
    generated = client.trigger("No key given", "conformance")
    assert_accepted(routing, generated)
    assert generated


def test_orchestration_routing_key_routes_to_the_service(routing: SimulatorRouting) -> None:
    client = events(routing, ACME_GLOBAL_KEY)
    client.trigger("Payment failed", "checkout-web-1", dedup_key="conf-routed")
    assert_accepted(routing, "conf-routed")
    assert incidents_by_key(routing, "conf-routed")["conf-routed"]["service"]["id"] == CHECKOUT


def test_change_events_and_the_submit_quirk(routing: SimulatorRouting) -> None:
    client = events(routing, CHECKOUT_KEY)
    client.send_change_event(payload={"summary": "Deployed v2", "source": "ci"})
    assert routing.last.status == 202
    # Quirk: `submit` without a timestamp calls `datetime.timezone` on the `datetime` class
    # (AttributeError) before sending anything; passing the timestamp works around it.
    sent = len(routing.exchanges)
    with pytest.raises(AttributeError):
        client.submit("Deployed v3", source="ci")
    assert len(routing.exchanges) == sent
    client.submit("Deployed v3", source="ci", timestamp=datetime.now(UTC).isoformat())
    assert routing.last.status == 202


def test_events_api_errors(routing: SimulatorRouting) -> None:
    with pytest.raises(pagerduty.HttpError) as invalid:
        events(routing, CHECKOUT_KEY).send_event("trigger", payload={"summary": "no source"})
    body = invalid.value.response.json()
    assert invalid.value.response.status_code == 400
    assert set(body) == {"status", "message", "errors"}
    assert body["status"] == "invalid event"
    with pytest.raises(pagerduty.HttpError) as unknown:
        events(routing, "R" + "0" * 31).trigger("x", "y")
    assert unknown.value.response.json()["errors"] == ["Invalid routing key"]


def test_eu_events_host(routing: SimulatorRouting) -> None:
    events(routing, EU_SHOP_KEY, region="eu").trigger("EU", "conformance", dedup_key="conf-eu")
    assert (routing.last.host, routing.last.status) == ("events.eu.pagerduty.com", 202)
    with pytest.raises(pagerduty.HttpError) as wrong_region:
        events(routing, EU_SHOP_KEY).trigger("EU key on the US host", "conformance")
    assert wrong_region.value.response.status_code == 400


def test_client_credentials_token(routing: SimulatorRouting) -> None:
    oauth = pagerduty.OAuthTokenClient(US_CLIENT_SECRET, US_CLIENT_ID, transport=routing)
    granted = oauth.get_scoped_app_token("as_account-us.acme services.read users.read")
    assert routing.last.host == "identity.pagerduty.com"
    assert set(routing.last.body) == TOKEN_KEYS
    assert granted["token_type"] == "bearer"
    assert granted["scope"].split() == ["as_account-us.acme", "services.read", "users.read"]
    assert granted["expires_in"] == 86400
    assert granted["expiration_date"]
    app = rest(routing, granted["access_token"], auth_type="bearer")
    assert CHECKOUT in {s["id"] for s in app.all("/services", "services")}
    with pytest.raises(pagerduty.HttpError) as missing_scope:
        app.client.rget("/webhook_subscriptions")
    error = assert_error(missing_scope.value.response, 403, 2010)
    assert error["errors"] == [
        "This token is missing the required scope: webhook_subscriptions.read"
    ]


def test_refresh_token_grant_rotates_the_refresh_token(routing: SimulatorRouting) -> None:
    oauth = pagerduty.OAuthTokenClient(US_CLIENT_SECRET, US_CLIENT_ID, transport=routing)
    refreshed = oauth.get_refreshed_token(US_REFRESH_TOKEN)
    assert set(routing.last.body) == TOKEN_KEYS | {"refresh_token"}
    rotated = refreshed["refresh_token"] != US_REFRESH_TOKEN
    assert rotated
    me = rest(routing, refreshed["access_token"], auth_type="bearer")
    assert me.one("GET", "/users/me", "user")["id"] == "PJ4K2M7"
    with pytest.raises(pagerduty.HttpError) as spent:
        oauth.get_refreshed_token(US_REFRESH_TOKEN)
    assert spent.value.response.status_code == 400
    assert spent.value.response.json()["error"] == "invalid_grant"
    # `refresh_client` refreshes a token expiring within a day and builds a bearer client.
    client, renewed = oauth.refresh_client(
        refreshed["access_token"],
        refreshed["refresh_token"],
        refreshed["expiration_date"],
        transport=routing,
    )
    assert renewed is not None
    assert client.rget("/users/me")["id"] == "PJ4K2M7"


def test_oauth_errors_and_eu_identity(routing: SimulatorRouting) -> None:
    wrong = pagerduty.OAuthTokenClient("not-the-secret", US_CLIENT_ID, transport=routing)
    with pytest.raises(pagerduty.HttpError) as refused:
        wrong.get_scoped_app_token("as_account-us.acme services.read")
    assert refused.value.response.status_code == 401
    assert refused.value.response.json()["error"] == "invalid_client"
    eu = pagerduty.OAuthTokenClient(EU_CLIENT_SECRET, EU_CLIENT_ID, transport=routing)
    token = eu.get_scoped_app_token("as_account-eu.globex services.read")["access_token"]
    client = rest(routing, token, auth_type="bearer", region="eu")
    assert client.client.url == REST_EU
    assert [s["id"] for s in client.all("/services", "services")] == [EU_SHOP]

"""The OAuth token endpoint: client credentials, scopes, expiry on the simulator clock, refresh."""

from __future__ import annotations

import httpx
from sim_helpers import ClientFactory, bearer_headers, oauth_token

from pagerduty_simulator import SimulatorServer
from support.sim_seed import (
    EU_CLIENT_ID,
    EU_CLIENT_SECRET,
    US_CLIENT_ID,
    US_CLIENT_SECRET,
    US_REFRESH_TOKEN,
)


async def test_client_credentials_grant_returns_granted_scopes_only(sim: SimulatorServer) -> None:
    response = await oauth_token(
        sim.us_url,
        US_CLIENT_ID,
        US_CLIENT_SECRET,
        "as_account-us.acme services.read no_such.scope schedules.write "
        "webhook_subscriptions.write",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 86400
    # Unknown scopes and scopes the app cannot grant are dropped without an error.
    assert body["scope"] == "as_account-us.acme services.read webhook_subscriptions.write"
    assert body["access_token"].startswith("pdus+_0")


async def test_token_request_errors(sim: SimulatorServer) -> None:
    no_account = await oauth_token(sim.us_url, US_CLIENT_ID, US_CLIENT_SECRET, "services.read")
    assert no_account.status_code == 400
    assert no_account.json()["error"] == "invalid_scope"
    wrong_account = await oauth_token(
        sim.us_url, US_CLIENT_ID, US_CLIENT_SECRET, "as_account-eu.acme services.read"
    )
    assert wrong_account.status_code == 400
    bad_secret = await oauth_token(sim.us_url, US_CLIENT_ID, "not-the-secret", "as_account-us.acme")
    assert bad_secret.status_code == 401
    assert bad_secret.json()["error"] == "invalid_client"
    assert "not-the-secret" not in bad_secret.text
    async with httpx.AsyncClient(base_url=sim.us_url) as client:
        unsupported = await client.post("/oauth/token", data={"grant_type": "password"})
        assert unsupported.json()["error"] == "unsupported_grant_type"
        as_json = await client.post("/oauth/token", json={"grant_type": "client_credentials"})
        assert as_json.json()["error"] == "invalid_request"


async def test_basic_client_authentication_is_accepted(sim: SimulatorServer) -> None:
    async with httpx.AsyncClient(base_url=sim.us_url) as client:
        response = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": "as_account-us.acme services.read"},
            auth=(US_CLIENT_ID, US_CLIENT_SECRET),
        )
    assert response.status_code == 200


async def test_token_endpoint_answers_on_both_origins_but_tokens_are_regional(
    sim: SimulatorServer, make_client: ClientFactory
) -> None:
    # Like identity.pagerduty.com, either origin issues tokens; the scope picks the account.
    issued = await oauth_token(
        sim.us_url, EU_CLIENT_ID, EU_CLIENT_SECRET, "as_account-eu.globex services.read"
    )
    token = issued.json()["access_token"]
    assert token.startswith("pdeu+_0")
    eu = make_client(None, region="eu", headers=bearer_headers(token))
    us = make_client(None, region="us", headers=bearer_headers(token))
    assert (await eu.get("/services")).status_code == 200
    assert (await us.get("/services")).status_code == 401


async def test_tokens_expire_on_the_simulator_clock(
    sim: SimulatorServer, make_client: ClientFactory, admin: httpx.AsyncClient
) -> None:
    issued = await oauth_token(
        sim.us_url, US_CLIENT_ID, US_CLIENT_SECRET, "as_account-us.acme services.read"
    )
    client = make_client(None, headers=bearer_headers(issued.json()["access_token"]))
    assert (await client.get("/services")).status_code == 200
    # A minute short of the 24 h lifetime (the real clock moves too, by seconds on a loaded
    # machine), then past it.
    await admin.post("/clock/advance", json={"seconds": 86400 - 60})
    assert (await client.get("/services")).status_code == 200
    await admin.post("/clock/advance", json={"seconds": 120})
    expired = await client.get("/services")
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == 2006


async def test_expires_in_is_configurable(sim: SimulatorServer, admin: httpx.AsyncClient) -> None:
    await admin.put("/config", json={"oauth_token_ttl_seconds": 120})
    issued = await oauth_token(sim.us_url, US_CLIENT_ID, US_CLIENT_SECRET, "as_account-us.acme")
    assert issued.json()["expires_in"] == 120


async def test_refresh_grant_rotates_both_tokens(
    sim: SimulatorServer, make_client: ClientFactory
) -> None:
    form = {
        "grant_type": "refresh_token",
        "client_id": US_CLIENT_ID,
        "client_secret": US_CLIENT_SECRET,
        "refresh_token": US_REFRESH_TOKEN,
    }
    async with httpx.AsyncClient(base_url=sim.us_url) as client:
        first = await client.post("/oauth/token", data=form)
        assert first.status_code == 200, first.text
        body = first.json()
        assert body["refresh_token"] != US_REFRESH_TOKEN
        assert body["refresh_token"].startswith("pdus+_1")
        assert "webhook_subscriptions.write" in body["scope"].split()
        reused = await client.post("/oauth/token", data=form)
        assert reused.status_code == 400
        assert reused.json()["error"] == "invalid_grant"
        second = await client.post(
            "/oauth/token", data={**form, "refresh_token": body["refresh_token"]}
        )
        assert second.status_code == 200
    user_client = make_client(None, headers=bearer_headers(second.json()["access_token"]))
    me = await user_client.get("/users/me")
    assert me.status_code == 200
    assert me.json()["user"]["id"] == "PJ4K2M7"
    # The user token carries only the scopes of its grant.
    assert (await user_client.get("/teams")).status_code == 403

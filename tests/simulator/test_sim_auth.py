"""Authentication forms, region binding, read-only keys, scopes and the order of the checks."""

from __future__ import annotations

import httpx
import pytest
from sim_helpers import ACCEPT, ClientFactory, bearer_headers, oauth_token

from pagerduty_simulator import SimulatorServer
from support.sim_seed import EU_FULL, US_CLIENT_ID, US_CLIENT_SECRET, US_FULL, US_READ_ONLY


def assert_error(response: httpx.Response, status: int, code: int) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        f"Token {US_FULL}",
        f"token token={US_FULL}",
        f"Bearer {US_FULL}",
        "Token token=y_SIMfake_unknown_KEY",
        f"Basic {US_FULL}",
    ],
)
async def test_bad_or_missing_credentials_get_401_code_2006(
    sim: SimulatorServer, authorization: str | None
) -> None:
    headers = {"Accept": ACCEPT}
    if authorization is not None:
        headers["Authorization"] = authorization
    async with httpx.AsyncClient(base_url=sim.us_url, headers=headers) as client:
        assert_error(await client.get("/services"), 401, 2006)


async def test_token_form_works(api: httpx.AsyncClient) -> None:
    response = await api.get("/services")
    assert response.status_code == 200
    assert {s["id"] for s in response.json()["services"]} >= {"PCHKOUT", "PDBPRMY"}


async def test_credentials_are_rejected_on_the_other_region(make_client: ClientFactory) -> None:
    assert_error(await make_client(US_FULL, region="eu").get("/services"), 401, 2006)
    assert_error(await make_client(EU_FULL, region="us").get("/services"), 401, 2006)
    eu = await make_client(EU_FULL, region="eu").get("/services")
    assert [s["id"] for s in eu.json()["services"]] == ["PEUSHOP"]


async def test_read_only_key_reads_but_cannot_write(make_client: ClientFactory) -> None:
    client = make_client(US_READ_ONLY)
    assert (await client.get("/webhook_subscriptions")).status_code == 200
    response = await client.put(
        "/event_orchestrations/services/PCHKOUT", json={"orchestration_path": {"sets": []}}
    )
    assert_error(response, 403, 2010)


async def test_checks_run_auth_then_scope_then_existence(
    sim: SimulatorServer, make_client: ClientFactory
) -> None:
    """The capability probe relies on this order: a PUT to a missing object tells 403 from 404."""
    path = "/webhook_subscriptions/PNOSUCH"
    body: dict[str, object] = {"webhook_subscription": {}}
    assert (await make_client("y_SIMfake_bogus_KEY1").put(path, json=body)).status_code == 401
    assert_error(await make_client(US_READ_ONLY).put(path, json=body), 403, 2010)
    assert (await make_client(US_FULL).put(path, json=body)).status_code == 404

    read_only_token = await oauth_token(
        sim.us_url, US_CLIENT_ID, US_CLIENT_SECRET, "as_account-us.acme webhook_subscriptions.read"
    )
    writer_token = await oauth_token(
        sim.us_url, US_CLIENT_ID, US_CLIENT_SECRET, "as_account-us.acme webhook_subscriptions.write"
    )
    reader = make_client(None, headers=bearer_headers(read_only_token.json()["access_token"]))
    writer = make_client(None, headers=bearer_headers(writer_token.json()["access_token"]))
    assert_error(await reader.put(path, json=body), 403, 2010)
    assert (await writer.put(path, json=body)).status_code == 404
    # The same order on paths the simulator does not serve: credentials are still checked first.
    assert (await make_client("y_SIMfake_bogus_KEY1").get("/schedules")).status_code == 401
    assert (await make_client(US_FULL).get("/schedules")).status_code == 404


async def test_scopes_are_checked_per_operation(
    sim: SimulatorServer, make_client: ClientFactory
) -> None:
    token = await oauth_token(
        sim.us_url, US_CLIENT_ID, US_CLIENT_SECRET, "as_account-us.acme services.read"
    )
    client = make_client(None, headers=bearer_headers(token.json()["access_token"]))
    assert (await client.get("/services/PCHKOUT")).status_code == 200
    assert_error(await client.get("/webhook_subscriptions"), 403, 2010)
    assert_error(await client.get("/event_orchestrations"), 403, 2010)
    assert_error(
        await client.post(
            "/services/PCHKOUT/integrations",
            json={"integration": {"type": "events_api_v2_inbound_integration"}},
        ),
        403,
        2010,
    )
    # The service orchestration path uses the services scopes, not event_orchestrations.
    assert (await client.get("/event_orchestrations/services/PCHKOUT")).status_code == 200


async def test_users_me_needs_a_user_credential(make_client: ClientFactory) -> None:
    account_level = await make_client(US_FULL).get("/users/me")
    assert account_level.status_code == 400
    assert isinstance(account_level.json()["error"], str)
    assert "account-level access token" in account_level.json()["error"]
    user_level = await make_client("u+SIMfake_alice_KEY1").get("/users/me")
    assert user_level.status_code == 200
    assert user_level.json()["user"]["email"] == "alice@acme.example"

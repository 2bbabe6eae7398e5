"""`GET /users`: order, `query`, `team_ids[]`, `include[]`, pagination, scopes and regions."""

from __future__ import annotations

from typing import Any

import httpx
from sim_helpers import ClientFactory, bearer_headers, oauth_token

from pagerduty_simulator import SimulatorServer
from support.sim_seed import EU_FULL, TEAM_INFRA, TEAM_PAYMENTS, US_CLIENT_ID, US_CLIENT_SECRET

ALICE = "PJ4K2M7"
BOB = "P8QW3ZL"


async def users(api: httpx.AsyncClient, **params: Any) -> Any:
    response = await api.get("/users", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def ids(body: Any) -> list[str]:
    return [user["id"] for user in body["users"]]


async def test_lists_every_user_sorted_by_name_with_the_list_envelope(
    api: httpx.AsyncClient,
) -> None:
    body = await users(api)
    assert ids(body) == [ALICE, BOB]
    assert {k: body[k] for k in ("limit", "offset", "more", "total")} == {
        "limit": 25,
        "offset": 0,
        "more": False,
        "total": None,
    }
    alice = body["users"][0]
    assert alice["type"] == "user"
    assert alice["email"] == "alice@acme.example"
    assert alice["role"] == "owner"
    assert alice["teams"] == [
        {
            "id": TEAM_INFRA,
            "type": "team_reference",
            "summary": "Infrastructure",
            "self": alice["teams"][0]["self"],
            "html_url": "https://acme.pagerduty.com/teams/PT1NFRA",
        }
    ]
    single = (await api.get(f"/users/{ALICE}")).json()["user"]
    assert single == alice


async def test_offset_pagination_with_more_and_total(api: httpx.AsyncClient) -> None:
    first = await users(api, limit=1, total="true")
    assert (ids(first), first["more"], first["total"], first["limit"]) == ([ALICE], True, 2, 1)
    second = await users(api, limit=1, offset=1)
    assert (ids(second), second["more"], second["total"]) == ([BOB], False, None)
    assert ids(await users(api, offset=2)) == []
    bad = await api.get("/users", params={"offset": 9999, "limit": 2})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == 2001


async def test_query_matches_name_or_email_case_insensitively(api: httpx.AsyncClient) -> None:
    assert ids(await users(api, query="ALICE")) == [ALICE]
    assert ids(await users(api, query="bob@acme")) == [BOB]
    assert ids(await users(api, query="acme.example")) == [ALICE, BOB]
    assert ids(await users(api, query="nobody")) == []


async def test_team_ids_filter(api: httpx.AsyncClient) -> None:
    assert ids(await users(api, **{"team_ids[]": TEAM_PAYMENTS})) == [BOB]
    both = await api.get("/users", params={"team_ids[]": [TEAM_PAYMENTS, TEAM_INFRA]})
    assert ids(both.json()) == [ALICE, BOB]


async def test_include_teams_gives_full_team_objects(api: httpx.AsyncClient) -> None:
    body = await users(api, **{"include[]": "teams"})
    team = body["users"][0]["teams"][0]
    assert (team["type"], team["name"]) == ("team", "Infrastructure")
    assert "description" in team
    more = ["contact_methods", "notification_rules"]
    listed = await api.get("/users", params={"include[]": more})
    assert listed.json()["users"][0]["contact_methods"] == []
    bogus = await api.get("/users", params={"include[]": "bogus"})
    assert bogus.status_code == 400
    assert bogus.json()["error"]["code"] == 2001


async def test_needs_the_users_read_scope(sim: SimulatorServer, make_client: ClientFactory) -> None:
    account = "as_account-us.acme"
    scopes = {"without": f"{account} services.read", "with": f"{account} users.read"}
    answers = {}
    for name, scope in scopes.items():
        token = (await oauth_token(sim.us_url, US_CLIENT_ID, US_CLIENT_SECRET, scope)).json()
        client = make_client(token=None, headers=bearer_headers(token["access_token"]))
        answers[name] = await client.get("/users")
    assert answers["without"].status_code == 403
    assert answers["without"].json()["error"]["code"] == 2010
    assert answers["with"].status_code == 200


async def test_each_account_lists_its_own_users(make_client: ClientFactory) -> None:
    eu = make_client(token=EU_FULL, region="eu")
    assert ids((await eu.get("/users")).json()) == ["PEV3L7N"]

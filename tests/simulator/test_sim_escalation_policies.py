"""`GET /escalation_policies` (query is a name search, pagination, filters), `/{id}`, teams."""

from __future__ import annotations

import httpx
from sim_helpers import ClientFactory, bearer_headers, oauth_token

from pagerduty_simulator import SimulatorServer
from support.service_shapes import policy_ref, service_body
from support.sim_seed import TEAM_INFRA, TEAM_PAYMENTS, US_CLIENT_ID, US_CLIENT_SECRET

PAYMENTS = "PEPPAY1"
PAYMENTS_ESCALATION = "PEPPAY2"


async def test_query_is_a_case_insensitive_name_search(api: httpx.AsyncClient) -> None:
    everything = (await api.get("/escalation_policies")).json()
    assert [p["name"] for p in everything["escalation_policies"]] == [
        "Default",
        "Payments",
        "Payments Escalation",
    ]
    assert (everything["total"], everything["more"]) == (None, False)
    found = (await api.get("/escalation_policies", params={"query": "PAYMENTS"})).json()
    # Both share the prefix: an exact-name lookup must compare names itself.
    assert [p["id"] for p in found["escalation_policies"]] == [PAYMENTS, PAYMENTS_ESCALATION]
    inner = (await api.get("/escalation_policies", params={"query": "escal"})).json()
    assert [p["id"] for p in inner["escalation_policies"]] == [PAYMENTS_ESCALATION]
    none = (await api.get("/escalation_policies", params={"query": "nobody"})).json()
    assert none["escalation_policies"] == []


async def test_pagination_sorting_and_filters(api: httpx.AsyncClient) -> None:
    first = (await api.get("/escalation_policies", params={"limit": 2, "total": "true"})).json()
    assert [p["name"] for p in first["escalation_policies"]] == ["Default", "Payments"]
    assert (first["limit"], first["offset"], first["more"], first["total"]) == (2, 0, True, 3)
    rest = (await api.get("/escalation_policies", params={"limit": 2, "offset": 2})).json()
    assert [p["id"] for p in rest["escalation_policies"]] == [PAYMENTS_ESCALATION]
    assert rest["more"] is False
    desc = (await api.get("/escalation_policies", params={"sort_by": "name:desc"})).json()
    assert desc["escalation_policies"][0]["id"] == PAYMENTS_ESCALATION
    assert (await api.get("/escalation_policies", params={"sort_by": "id"})).status_code == 400
    by_team = await api.get("/escalation_policies", params={"team_ids[]": [TEAM_INFRA]})
    assert [p["id"] for p in by_team.json()["escalation_policies"]] == ["PEP4CMQ"]
    by_user = await api.get("/escalation_policies", params={"user_ids[]": ["PJ4K2M7"]})
    assert [p["id"] for p in by_user.json()["escalation_policies"]] == [
        "PEP4CMQ",
        PAYMENTS_ESCALATION,
    ]
    bogus = await api.get("/escalation_policies", params={"include[]": "bogus"})
    assert bogus.status_code == 400


async def test_get_one_policy_with_rules_services_and_teams(api: httpx.AsyncClient) -> None:
    created = await api.post("/services", json=service_body("Uses Payments"))
    service_id = created.json()["service"]["id"]
    policy = (await api.get(f"/escalation_policies/{PAYMENTS}")).json()["escalation_policy"]
    assert (policy["id"], policy["type"], policy["name"], policy["summary"]) == (
        PAYMENTS,
        "escalation_policy",
        "Payments",
        "Payments",
    )
    assert policy["html_url"].endswith(f"/escalation_policies/{PAYMENTS}")
    assert (policy["num_loops"], policy["on_call_handoff_notifications"]) == (0, "if_has_services")
    [rule] = policy["escalation_rules"]
    assert [t["id"] for t in rule["targets"]] == ["P8QW3ZL"]
    assert rule["targets"][0]["type"] == "user_reference"
    assert [s["id"] for s in policy["services"]] == [service_id]
    assert [t["id"] for t in policy["teams"]] == [TEAM_PAYMENTS]
    missing = await api.get("/escalation_policies/PNOSUCH")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == 2100
    moved = await api.put(
        f"/services/{service_id}", json={"service": {"escalation_policy": policy_ref("PEP4CMQ")}}
    )
    assert moved.json()["service"]["escalation_policy"]["summary"] == "Default"
    again = (await api.get(f"/escalation_policies/{PAYMENTS}")).json()["escalation_policy"]
    assert again["services"] == []


async def test_oauth_scope(sim: SimulatorServer, make_client: ClientFactory) -> None:
    async def client_with(scope: str) -> httpx.AsyncClient:
        token = await oauth_token(
            sim.us_url, US_CLIENT_ID, US_CLIENT_SECRET, f"as_account-us.acme {scope}"
        )
        return make_client(token=None, headers=bearer_headers(token.json()["access_token"]))

    without = await client_with("services.read")
    assert (await without.get("/escalation_policies")).status_code == 403
    assert (await without.get(f"/escalation_policies/{PAYMENTS}")).status_code == 403
    allowed = await client_with("escalation_policies.read")
    assert (await allowed.get("/escalation_policies")).status_code == 200


async def test_teams_query(api: httpx.AsyncClient) -> None:
    teams = (await api.get("/teams", params={"query": "payments"})).json()["teams"]
    assert [t["name"] for t in teams] == ["Payments", "Payments Risk"]
    assert teams[0]["default_role"] == "manager"
    risk = (await api.get("/teams", params={"query": "risk"})).json()["teams"]
    assert [t["id"] for t in risk] == ["PT3PAYR"]

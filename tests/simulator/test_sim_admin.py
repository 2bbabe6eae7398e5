"""The admin API: reset, seed, state dump, request log, clock, config, incidents, UI edits."""

from __future__ import annotations

import json

import httpx
from sim_helpers import webhook_body

from pagerduty_simulator import SimulatorServer
from support.sim_seed import CHECKOUT, DATABASE


async def test_state_dump_includes_signing_secrets(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    created = (
        await api.post("/webhook_subscriptions", json=webhook_body("https://r.example/x"))
    ).json()
    state = (await admin.get("/state")).json()
    acme = next(a for a in state["accounts"] if a["subdomain"] == "acme")
    [dumped] = acme["webhook_subscriptions"]
    assert dumped["id"] == created["webhook_subscription"]["id"]
    assert dumped["secret"] == created["webhook_subscription"]["delivery_method"]["secret"]
    assert {a["region"] for a in state["accounts"]} == {"us", "eu"}


async def test_reset_restores_the_seed(api: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    await api.post("/webhook_subscriptions", json=webhook_body("https://r.example/x"))
    await api.delete(f"/services/{CHECKOUT}")
    assert (await admin.post("/reset")).status_code == 200
    assert (await api.get("/webhook_subscriptions")).json()["webhook_subscriptions"] == []
    assert (await api.get(f"/services/{CHECKOUT}")).status_code == 200
    await admin.post("/reset", json={"empty": True})
    assert (await api.get("/services")).status_code == 401  # no accounts, no credentials


async def test_seed_adds_to_existing_accounts_and_creates_new_ones(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, sim: SimulatorServer
) -> None:
    yaml_seed = """
accounts:
  - subdomain: acme
    services:
      - {id: PNEWSVC, name: Made by hand}
  - subdomain: initech
    region: us
    users: [{id: PINIT01, name: Peter, email: peter@initech.example, role: owner}]
    escalation_policies: [{id: PINITEP, name: Default}]
    services: [{id: PINITS1, name: TPS Reports}]
    api_keys: [{label: initech-full, token: y_SIMfake_init_FULL1}]
"""
    response = await admin.post("/seed", content=yaml_seed)
    assert response.status_code == 200, response.text
    assert response.json() == {"accounts": ["acme", "initech"]}
    assert (await api.get("/services/PNEWSVC")).status_code == 200
    async with httpx.AsyncClient(
        base_url=sim.us_url, headers={"Authorization": "Token token=y_SIMfake_init_FULL1"}
    ) as initech:
        assert [s["id"] for s in (await initech.get("/services")).json()["services"]] == ["PINITS1"]
    json_seed = {"accounts": [{"subdomain": "acme", "teams": [{"id": "PNEWTEA", "name": "New"}]}]}
    assert (await admin.post("/seed", content=json.dumps(json_seed))).status_code == 200
    bad = await admin.post(
        "/seed",
        content=(
            "accounts: [{subdomain: acme, "
            "services: [{id: PGOOD01, name: ok}, {name: x, bogus: 1}]}]"
        ),
    )
    assert bad.status_code == 400
    assert "bogus" in bad.text
    # A seed applies entirely or not at all.
    assert (await api.get("/services/PGOOD01")).status_code == 404


async def test_request_log_counts_per_route_and_status(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await api.get("/services")
    mark = (await admin.get("/requests", params={"entries": "false"})).json()["last_seq"]
    await api.get(f"/services/{CHECKOUT}")
    await api.get(f"/services/{DATABASE}")
    await api.get("/services/PNOSUCH")
    log = (await admin.get("/requests", params={"since": mark})).json()
    assert log["total"] == 3
    assert log["counts"] == [
        {"method": "GET", "route": "/services/{id}", "status": 200, "count": 2},
        {"method": "GET", "route": "/services/{id}", "status": 404, "count": 1},
    ]
    assert {r["credential"] for r in log["requests"]} == {"api_key:acme-full"}
    assert all("token" not in json.dumps(r).lower() for r in log["requests"])
    await admin.post("/requests/reset")
    assert (await admin.get("/requests")).json()["total"] == 0


async def test_clock_and_config(admin: httpx.AsyncClient) -> None:
    before = (await admin.get("/clock")).json()
    advanced = (await admin.post("/clock/advance", json={"seconds": 7200})).json()
    assert advanced["offset_seconds"] == before["offset_seconds"] + 7200
    assert (await admin.post("/clock/advance", json={"seconds": -1})).status_code == 400
    config = (await admin.put("/config", json={"webhook_limit_per_filter": 2})).json()
    assert config["webhook_limit_per_filter"] == 2
    assert (await admin.put("/config", json={"nope": 1})).status_code == 400


async def test_admin_incident_with_priority(
    admin: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    created = await admin.post(
        "/incidents", json={"service_id": CHECKOUT, "title": "t", "priority": "P2"}
    )
    assert created.status_code == 201
    incident = created.json()["incident"]
    fetched = (await api.get(f"/incidents/{incident['id']}")).json()["incident"]
    assert fetched["priority"]["name"] == "P2"
    assert fetched["status"] == "triggered"
    assert (await admin.post("/incidents", json={"service_id": "PNOSUCH"})).status_code == 400


async def test_ui_edits_bypass_the_api(admin: httpx.AsyncClient, api: httpx.AsyncClient) -> None:
    path = {
        "orchestration_path": {
            "sets": [
                {"id": "start", "rules": [{"label": "by hand", "actions": {"severity": "info"}}]}
            ]
        }
    }
    edited = await admin.put(f"/accounts/acme/event_orchestrations/services/{CHECKOUT}", json=path)
    assert edited.status_code == 200
    rules = (await api.get(f"/event_orchestrations/services/{CHECKOUT}")).json()[
        "orchestration_path"
    ]["sets"][0]["rules"]
    assert [r["label"] for r in rules] == ["by hand"]
    created = (
        await api.post("/webhook_subscriptions", json=webhook_body("https://r.example/x"))
    ).json()
    subscription_id = created["webhook_subscription"]["id"]
    assert (
        await admin.delete(f"/accounts/acme/webhook_subscriptions/{subscription_id}")
    ).status_code == 204
    assert (await api.get(f"/webhook_subscriptions/{subscription_id}")).status_code == 404
    log = (await admin.get("/requests")).json()
    assert all(not r["path"].startswith("/_simulator") for r in log["requests"])


async def test_incidents_api(api: httpx.AsyncClient) -> None:
    body = {
        "incident": {
            "type": "incident",
            "title": "by API",
            "service": {"id": CHECKOUT, "type": "service_reference"},
            "incident_key": "k",
        }
    }
    no_from = await api.post("/incidents", json=body)
    assert no_from.status_code == 400
    created = await api.post("/incidents", json=body, headers={"From": "alice@acme.example"})
    assert created.status_code == 201
    duplicate = await api.post("/incidents", json=body, headers={"From": "alice@acme.example"})
    assert duplicate.status_code == 400
    incident_id = created.json()["incident"]["id"]
    updated = await api.put(
        f"/incidents/{incident_id}",
        json={"incident": {"type": "incident_reference", "status": "resolved"}},
        headers={"From": "alice@acme.example"},
    )
    assert updated.json()["incident"]["status"] == "resolved"
    listed = (await api.get("/incidents", params={"statuses[]": "resolved"})).json()["incidents"]
    assert [i["id"] for i in listed] == [incident_id]

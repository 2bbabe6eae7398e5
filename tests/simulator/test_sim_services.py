"""Services, `include[]=integrations`, integrations with integration keys, service writes."""

from __future__ import annotations

import re

import httpx

from support.sim_seed import CHECKOUT, CHECKOUT_KEY

KEY = re.compile(r"^[0-9a-f]{32}$")


async def test_list_and_get_services(api: httpx.AsyncClient) -> None:
    body = (await api.get("/services")).json()
    names = [s["name"] for s in body["services"]]
    assert names == sorted(names, key=str.lower)
    assert body["total"] is None
    service = (await api.get(f"/services/{CHECKOUT}")).json()["service"]
    assert service["escalation_policy"]["type"] == "escalation_policy_reference"
    assert service["integrations"][0]["type"] == "events_api_v2_inbound_integration_reference"
    assert "integration_key" not in service["integrations"][0]
    by_name = (await api.get("/services", params={"name": "Checkout API"})).json()["services"]
    assert [s["id"] for s in by_name] == [CHECKOUT]
    by_query = (await api.get("/services", params={"query": "data"})).json()["services"]
    assert [s["id"] for s in by_query] == ["PDBPRMY"]


async def test_include_integrations_gives_full_objects_with_keys(api: httpx.AsyncClient) -> None:
    service = (await api.get(f"/services/{CHECKOUT}", params={"include[]": "integrations"})).json()
    integration = service["service"]["integrations"][0]
    assert integration["type"] == "events_api_v2_inbound_integration"
    assert integration["integration_key"] == CHECKOUT_KEY
    listed = (await api.get("/services", params={"include[]": "integrations"})).json()["services"]
    assert any(i.get("integration_key") == CHECKOUT_KEY for s in listed for i in s["integrations"])
    assert (await api.get("/services", params={"include[]": "bogus"})).status_code == 400


async def test_create_and_get_integration(api: httpx.AsyncClient) -> None:
    body = {
        "integration": {
            "type": "events_api_v2_inbound_integration",
            "name": "From the operator",
            "service": {"id": CHECKOUT, "type": "service_reference"},
        }
    }
    created = await api.post(f"/services/{CHECKOUT}/integrations", json=body)
    assert created.status_code == 201
    integration = created.json()["integration"]
    assert KEY.match(integration["integration_key"])
    assert integration["integration_key"] != CHECKOUT_KEY
    again = await api.post(f"/services/{CHECKOUT}/integrations", json=body)
    assert again.json()["integration"]["id"] != integration["id"]  # no de-duplication
    fetched = await api.get(f"/services/{CHECKOUT}/integrations/{integration['id']}")
    assert fetched.json()["integration"]["integration_key"] == integration["integration_key"]
    assert (await api.get(f"/services/{CHECKOUT}/integrations/PNOSUCH")).status_code == 404
    renamed = await api.put(
        f"/services/{CHECKOUT}/integrations/{integration['id']}",
        json={"integration": {"name": "Renamed"}},
    )
    assert renamed.json()["integration"]["name"] == "Renamed"
    bad = await api.post(
        f"/services/{CHECKOUT}/integrations", json={"integration": {"type": "nope"}}
    )
    assert bad.status_code == 400
    email = await api.post(
        f"/services/{CHECKOUT}/integrations",
        json={"integration": {"type": "generic_email_inbound_integration", "name": "Email"}},
    )
    assert email.status_code == 400


async def test_unknown_service_is_standard_404(api: httpx.AsyncClient) -> None:
    response = await api.get("/services/PNOSUCH")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == 2100
    post = await api.post(
        "/services/PNOSUCH/integrations",
        json={"integration": {"type": "events_api_v2_inbound_integration"}},
    )
    assert post.status_code == 404


async def test_service_create_update_delete(api: httpx.AsyncClient) -> None:
    body = {
        "service": {
            "name": "Search",
            "escalation_policy": {"id": "PEP4CMQ", "type": "escalation_policy_reference"},
        }
    }
    created = await api.post("/services", json=body)
    assert created.status_code == 201
    service_id = created.json()["service"]["id"]
    assert (await api.post("/services", json=body)).status_code == 400  # names are unique
    path = (await api.get(f"/event_orchestrations/services/{service_id}")).json()[
        "orchestration_path"
    ]
    assert path["sets"] == [{"id": "start", "rules": []}]
    updated = await api.put(f"/services/{service_id}", json={"service": {"description": "d"}})
    assert updated.json()["service"]["description"] == "d"
    assert (await api.delete(f"/services/{service_id}")).status_code == 204
    assert (await api.get(f"/services/{service_id}")).status_code == 404


async def test_abilities(api: httpx.AsyncClient) -> None:
    abilities = (await api.get("/abilities")).json()["abilities"]
    assert "teams" in abilities
    assert (await api.get("/abilities/teams")).status_code == 204
    missing = await api.get("/abilities/sso")
    assert missing.status_code == 402
    assert missing.json()["error"]["code"] == 2014
    assert (await api.get("/abilities/not_an_ability")).status_code == 404

"""The official `pagerduty` client (REST API v2) against the simulator, endpoint by endpoint.

Every REST endpoint the operator uses is called the way a user of the package would call it
(`rget`/`rpost`/`rput`/`rdelete`/`iter_all` and the helpers), and each raw answer is checked
against PagerDuty's envelope conventions (`pd_official`). Where the package itself gets an
endpoint wrong, the test says so and works around it (docs/simulator.md, "Known client quirks").
"""

from __future__ import annotations

from typing import Any

import pagerduty
import pytest
from pd_official import REST_EU, Official, SimulatorRouting, assert_entity, assert_error, rest

from support.sim_seed import (
    BATCH,
    CHECKOUT,
    CHECKOUT_KEY,
    DATABASE,
    EU_FULL,
    EU_SHOP,
    PRIORITY_P1,
    US_FULL,
    US_READ_ONLY,
    US_USER_KEY,
)

HOOK_EVENTS = ["incident.triggered", "incident.resolved"]


def subscription_body(url: str) -> dict[str, Any]:
    return {
        "type": "webhook_subscription",
        "delivery_method": {
            "type": "http_delivery_method",
            "url": url,
            "custom_headers": [{"name": "X-Origin", "value": "conformance"}],
        },
        "description": "official client",
        "events": HOOK_EVENTS,
        "filter": {"type": "service_reference", "id": CHECKOUT},
        "active": True,
    }


def test_webhook_subscriptions_lifecycle(api: Official, routing: SimulatorRouting) -> None:
    created = api.one(
        "POST",
        "/webhook_subscriptions",
        "webhook_subscription",
        json=subscription_body("https://hooks.example/pd"),
    )
    hook_id = created["id"]
    assert created["delivery_method"]["url"] == "https://hooks.example/pd"
    assert created["delivery_method"]["secret"]
    assert created["events"] == HOOK_EVENTS
    path = f"/webhook_subscriptions/{hook_id}"
    read = api.one("GET", path, "webhook_subscription")
    assert read["delivery_method"]["secret"] is None
    assert read["delivery_method"]["custom_headers"] == [
        {"name": "X-Origin", "value": "-- redacted --"}
    ]
    listed = api.all(
        "/webhook_subscriptions",
        "webhook_subscriptions",
        params={"filter_type": "service", "filter_id": CHECKOUT},
    )
    assert [s["id"] for s in listed] == [hook_id]
    updated = api.one(
        "PUT",
        path,
        "webhook_subscription",
        json={"description": "changed", "events": ["incident.acknowledged"]},
    )
    assert (updated["description"], updated["events"]) == ("changed", ["incident.acknowledged"])
    # `ping` has no entity wrapper in the package's table: it returns the decoded body as is.
    api.client.rpost(f"{path}/ping")
    assert routing.last.status == 202
    enabled = api.client.rpost(f"{path}/enable")
    assert assert_entity(routing.last.body, "webhook_subscription") == enabled
    api.client.rdelete(path)
    assert routing.last.status == 204
    with pytest.raises(pagerduty.HttpError) as missing:
        api.client.rget(path)
    # Webhook 404s carry no body (unlike every other resource; see docs/simulator.md).
    assert (missing.value.response.status_code, missing.value.response.text) == (404, "")


def test_webhook_subscription_errors(api: Official) -> None:
    body = subscription_body("https://hooks.example/pd") | {"events": ["incident.exploded"]}
    with pytest.raises(pagerduty.HttpError) as refused:
        api.client.rpost("/webhook_subscriptions", json=body)
    assert_error(refused.value.response, 400, 2001)


def test_services_and_integrations(api: Official, routing: SimulatorRouting) -> None:
    services = api.all("/services", "services")
    assert CHECKOUT in {s["id"] for s in services}
    service = api.one(
        "GET", f"/services/{CHECKOUT}", "service", params={"include[]": ["integrations"]}
    )
    [events_v2] = service["integrations"]
    seeded_key = events_v2["integration_key"] == CHECKOUT_KEY  # a boolean: never echo the key
    assert seeded_key
    created = api.one(
        "POST",
        f"/services/{DATABASE}/integrations",
        "integration",
        status=201,
        json={
            "type": "events_api_v2_inbound_integration",
            "name": "From the official client",
            "service": {"id": DATABASE, "type": "service_reference"},
        },
    )
    assert len(created["integration_key"]) == 32
    path = f"/services/{DATABASE}/integrations/{created['id']}"
    assert api.one("GET", path, "integration")["name"] == "From the official client"
    renamed = api.one("PUT", path, "integration", json={"name": "Renamed"})
    assert renamed["name"] == "Renamed"
    with pytest.raises(pagerduty.HttpError) as missing:
        api.client.rget("/services/PNOSUCH")
    assert_error(missing.value.response, 404, 2100)


def test_priorities_and_abilities(api: Official) -> None:
    priorities = api.all("/priorities", "priorities")
    assert [p["name"] for p in priorities] == ["P1", "P2", "P3", "P4", "P5"]
    assert api.client.find("priorities", "p1")["id"] == PRIORITY_P1
    abilities = api.client.rget("/abilities")
    assert "event_orchestrations" in abilities
    assert api.client.account_has_ability("teams") is True
    assert api.client.account_has_ability("sso") is False
    with pytest.raises(pagerduty.HttpError) as unknown:
        api.client.account_has_ability("no_such_ability")
    assert_error(unknown.value.response, 404, 2100)


def test_users(api: Official, routing: SimulatorRouting) -> None:
    # `api_key_access` reads `/users/me`: an account key gets PagerDuty's string error.
    assert api.client.api_key_access == "account"
    assert routing.last.status == 400
    assert isinstance(routing.last.body["error"], str)
    users = api.all("/users", "users", page_size=1, total=True)
    assert [u["email"] for u in users] == ["alice@acme.example", "bob@acme.example"]
    assert api.client.find("users", "BOB@acme.example", attribute="email")["id"] == "P8QW3ZL"
    assert api.client.subdomain == "acme"
    assert api.one("GET", "/users/PJ4K2M7", "user")["name"] == "Alice Owner"
    me = rest(routing, US_USER_KEY)
    assert me.client.api_key_access == "user"
    assert me.one("GET", "/users/me", "user")["id"] == "PJ4K2M7"


def test_incidents_list_get_and_bulk_update(api: Official, routing: SimulatorRouting) -> None:
    with pytest.raises(pagerduty.HttpError) as no_from:
        api.client.rpost("/incidents", json=new_incident("no requester"))
    assert_error(no_from.value.response, 400, 2001)
    alice = rest(routing, US_FULL, default_from="alice@acme.example")
    first = alice.one("POST", "/incidents", "incident", status=201, json=new_incident("one"))
    second = alice.one("POST", "/incidents", "incident", status=201, json=new_incident("two"))
    listed = alice.all("/incidents", "incidents", params={"statuses[]": ["triggered"]}, page_size=1)
    assert [i["id"] for i in listed] == [first["id"], second["id"]]
    assert alice.one("GET", f"/incidents/{first['id']}", "incident")["title"] == "one"
    # Bulk update: the package wraps the list in `incidents` and unwraps the answer's list.
    changes = [
        {"id": first["id"], "type": "incident_reference", "status": "acknowledged"},
        {"id": second["id"], "type": "incident_reference", "status": "resolved"},
    ]
    updated = alice.client.rput("/incidents", json=changes)
    page = routing.last.body
    assert set(page) == {"incidents", "limit", "offset", "more", "total"}
    assert updated == page["incidents"]
    assert [(i["id"], i["status"]) for i in updated] == [
        (first["id"], "acknowledged"),
        (second["id"], "resolved"),
    ]
    single = alice.one(
        "PUT",
        f"/incidents/{first['id']}",
        "incident",
        json={"type": "incident_reference", "status": "resolved"},
    )
    assert single["status"] == "resolved"
    with pytest.raises(pagerduty.HttpError) as unknown:
        alice.client.rput("/incidents", json=[{"id": "PNOSUCH", "type": "incident_reference"}])
    assert_error(unknown.value.response, 400, 2001)


def new_incident(title: str) -> dict[str, Any]:
    return {
        "type": "incident",
        "title": title,
        "service": {"id": CHECKOUT, "type": "service_reference"},
    }


def test_eu_region_and_wrong_region_credentials(routing: SimulatorRouting) -> None:
    eu = rest(routing, EU_FULL, region="eu")
    assert eu.client.url == REST_EU
    assert [s["id"] for s in eu.all("/services", "services")] == [EU_SHOP]
    wrong = rest(routing, US_FULL, region="eu")
    with pytest.raises(pagerduty.HttpError) as refused:
        wrong.client.rget("/services")
    assert_error(refused.value.response, 401, 2006)


def test_read_only_key_writes_are_the_standard_403(routing: SimulatorRouting) -> None:
    read_only = rest(routing, US_READ_ONLY)
    with pytest.raises(pagerduty.HttpError) as refused:
        read_only.client.rput(
            f"/event_orchestrations/services/{BATCH}/active", json={"active": True}
        )
    assert_error(refused.value.response, 403, 2010)

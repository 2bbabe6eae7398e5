"""Events API v2: validation, incidents, de-duplication, orchestration routing, change events."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pagerduty_simulator import SimulatorServer
from support.sim_seed import (
    ACME_GLOBAL_KEY,
    CHECKOUT,
    CHECKOUT_KEY,
    DATABASE,
    DATABASE_KEY,
    EU_SHOP_KEY,
    PRIORITY_P1,
)


@pytest.fixture
async def events(sim: SimulatorServer) -> Any:
    async with httpx.AsyncClient(base_url=sim.us_url) as client:
        yield client


def alert(routing_key: str, summary: str = "disk full", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "payload": {"summary": summary, "source": "db01", "severity": "critical"},
    }
    body.update(extra)
    return body


def open_incidents(sim: SimulatorServer, service_id: str) -> list[Any]:
    return [
        i
        for i in sim.state.account("acme").incidents.values()
        if i.service_id == service_id and i.status != "resolved"
    ]


async def test_trigger_creates_an_incident_and_dedups(
    events: httpx.AsyncClient, sim: SimulatorServer
) -> None:
    first = await events.post("/v2/enqueue", json=alert(CHECKOUT_KEY, dedup_key="srv01/HTTP"))
    assert first.status_code == 202
    assert first.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "srv01/HTTP",
    }
    again = await events.post("/v2/enqueue", json=alert(CHECKOUT_KEY, dedup_key="srv01/HTTP"))
    assert again.status_code == 202
    assert len(open_incidents(sim, CHECKOUT)) == 1
    generated = await events.post("/v2/enqueue", json=alert(CHECKOUT_KEY))
    assert len(generated.json()["dedup_key"]) >= 16
    assert len(open_incidents(sim, CHECKOUT)) == 2


async def test_acknowledge_and_resolve_by_dedup_key(
    events: httpx.AsyncClient, sim: SimulatorServer
) -> None:
    await events.post("/v2/enqueue", json=alert(CHECKOUT_KEY, dedup_key="k1"))
    await events.post(
        "/v2/enqueue",
        json={"routing_key": CHECKOUT_KEY, "event_action": "acknowledge", "dedup_key": "k1"},
    )
    [incident] = open_incidents(sim, CHECKOUT)
    assert incident.status == "acknowledged"
    await events.post(
        "/v2/enqueue",
        json={"routing_key": CHECKOUT_KEY, "event_action": "resolve", "dedup_key": "k1"},
    )
    assert open_incidents(sim, CHECKOUT) == []


@pytest.mark.parametrize(
    "body",
    [
        {"routing_key": CHECKOUT_KEY, "event_action": "explode"},
        {"routing_key": CHECKOUT_KEY, "event_action": "trigger"},
        {
            "routing_key": CHECKOUT_KEY,
            "event_action": "trigger",
            "payload": {"summary": "x", "source": "y", "severity": "bad"},
        },
        {"routing_key": CHECKOUT_KEY, "event_action": "resolve"},
        {"routing_key": "short", "event_action": "trigger"},
        alert("0" * 32),
    ],
)
async def test_invalid_events_are_400(events: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await events.post("/v2/enqueue", json=body)
    assert response.status_code == 400
    assert response.json()["status"] == "invalid event"
    assert response.json()["errors"]


async def test_unparseable_body_is_unrecognized(events: httpx.AsyncClient) -> None:
    response = await events.post(
        "/v2/enqueue", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "status": "Unrecognized object",
        "message": "Event object format is unrecognized",
        "errors": ["JSON parse error"],
    }


async def test_routing_keys_are_regional(events: httpx.AsyncClient, sim: SimulatorServer) -> None:
    assert (await events.post("/v2/enqueue", json=alert(EU_SHOP_KEY))).status_code == 400
    async with httpx.AsyncClient(base_url=sim.eu_url) as eu:
        assert (await eu.post("/v2/enqueue", json=alert(EU_SHOP_KEY))).status_code == 202


async def test_orchestration_router_and_global_rules(
    events: httpx.AsyncClient, sim: SimulatorServer
) -> None:
    routed = await events.post(
        "/v2/enqueue",
        json=alert(
            ACME_GLOBAL_KEY,
            "payment failed",
            payload={"summary": "payment failed", "source": "checkout-7", "severity": "error"},
        ),
    )
    assert routed.status_code == 202
    assert len(open_incidents(sim, CHECKOUT)) == 1
    dropped = {"summary": "heartbeat missing", "source": "checkout-7", "severity": "info"}
    await events.post("/v2/enqueue", json=alert(ACME_GLOBAL_KEY, payload=dropped))
    assert len(open_incidents(sim, CHECKOUT)) == 1
    unrouted = {"summary": "something", "source": "elsewhere", "severity": "info"}
    await events.post("/v2/enqueue", json=alert(ACME_GLOBAL_KEY, payload=unrouted))
    results = [e["result"] for e in sim.state.events]
    assert results == ["incident_created", "dropped", "unrouted"]


async def test_service_orchestration_rules_apply_when_active(
    events: httpx.AsyncClient, sim: SimulatorServer, api: httpx.AsyncClient
) -> None:
    await events.post("/v2/enqueue", json=alert(DATABASE_KEY, "disk nearly full", dedup_key="a"))
    [incident] = open_incidents(sim, DATABASE)
    assert incident.priority_id == PRIORITY_P1  # the seeded rule set P1
    await api.put(f"/event_orchestrations/services/{DATABASE}/active", json={"active": False})
    await events.post("/v2/enqueue", json=alert(DATABASE_KEY, "disk nearly full", dedup_key="b"))
    newest = max(open_incidents(sim, DATABASE), key=lambda i: i.number)
    assert newest.priority_id is None
    await api.put(f"/event_orchestrations/services/{DATABASE}/active", json={"active": True})
    await api.put(
        f"/event_orchestrations/services/{DATABASE}",
        json={
            "orchestration_path": {
                "sets": [
                    {
                        "id": "start",
                        "rules": [
                            {
                                "conditions": [{"expression": "event.source == 'db01'"}],
                                "actions": {"suppress": True},
                            }
                        ],
                    }
                ]
            }
        },
    )
    await events.post("/v2/enqueue", json=alert(DATABASE_KEY, "suppressed", dedup_key="c"))
    assert sim.state.events[-1]["result"] == "suppressed"


async def test_change_events(events: httpx.AsyncClient, sim: SimulatorServer) -> None:
    ok = await events.post(
        "/v2/change/enqueue",
        json={"routing_key": CHECKOUT_KEY, "payload": {"summary": "deployed v2", "source": "ci"}},
    )
    assert ok.status_code == 202
    assert sim.state.events[-1]["kind"] == "change"
    to_orchestration = await events.post(
        "/v2/change/enqueue", json={"routing_key": ACME_GLOBAL_KEY, "payload": {"summary": "x"}}
    )
    assert to_orchestration.status_code == 400


async def test_events_are_rate_limited_per_routing_key(
    events: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.put("/config", json={"events_rate_limit_per_minute": 2})
    for _ in range(2):
        assert (await events.post("/v2/enqueue", json=alert(CHECKOUT_KEY))).status_code == 202
    throttled = await events.post("/v2/enqueue", json=alert(CHECKOUT_KEY))
    assert throttled.status_code == 429
    assert throttled.json()["status"] == "throttle event"
    assert (await events.post("/v2/enqueue", json=alert(DATABASE_KEY))).status_code == 202

"""The event pipeline honours service settings: urgency, timeouts, grouping, inactive orchestration.

Every timing is on the simulator clock: tests jump it with the admin API and never sleep.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from pagerduty_simulator import SimulatorServer
from support.service_shapes import service_body
from support.sim_seed import PRIORITY_P1

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
async def events(sim: SimulatorServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.us_url) as client:
        yield client


class Service:
    """A service made through the API, with an Events API v2 integration."""

    def __init__(self, api: httpx.AsyncClient, events: httpx.AsyncClient) -> None:
        self.api, self.events = api, events
        self.id = ""
        self.key = ""

    async def create(self, name: str, **settings: Any) -> Service:
        answer = await self.api.post("/services", json=service_body(name, **settings))
        assert answer.status_code == 201, answer.text
        self.id = answer.json()["service"]["id"]
        integration = await self.api.post(
            f"/services/{self.id}/integrations",
            json={"integration": {"type": "events_api_v2_inbound_integration", "name": "ev2"}},
        )
        self.key = integration.json()["integration"]["integration_key"]
        return self

    async def send(self, action: str, dedup_key: str, severity: str = "critical") -> None:
        body: dict[str, Any] = {
            "routing_key": self.key,
            "event_action": action,
            "dedup_key": dedup_key,
        }
        if action == "trigger":
            body["payload"] = {"summary": dedup_key, "source": "test", "severity": severity}
        assert (await self.events.post("/v2/enqueue", json=body)).status_code == 202

    async def incidents(self) -> list[dict[str, Any]]:
        answer = await self.api.get(
            "/incidents",
            params={
                "service_ids[]": [self.id],
                "statuses[]": ["triggered", "acknowledged", "resolved"],
            },
        )
        found: list[dict[str, Any]] = answer.json()["incidents"]
        return found


@pytest.fixture
def service(api: httpx.AsyncClient, events: httpx.AsyncClient) -> Service:
    return Service(api, events)


async def advance(admin: httpx.AsyncClient, seconds: float) -> datetime:
    answer = await admin.post("/clock/advance", json={"seconds": seconds})
    return datetime.fromisoformat(answer.json()["now"].replace("Z", "+00:00"))


async def last_result(admin: httpx.AsyncClient) -> str:
    result: str = (await admin.get("/events")).json()["events"][-1]["result"]
    return result


async def test_constant_urgency_ignores_severity(service: Service) -> None:
    await service.create("Always Low", incident_urgency_rule={"type": "constant", "urgency": "low"})
    await service.send("trigger", "a", severity="critical")
    assert [i["urgency"] for i in await service.incidents()] == ["low"]


@pytest.mark.parametrize(
    ("severity", "urgency"),
    [("critical", "high"), ("error", "high"), ("warning", "low"), ("info", "low")],
)
async def test_severity_based_urgency(service: Service, severity: str, urgency: str) -> None:
    await service.create(
        "By Severity", incident_urgency_rule={"type": "constant", "urgency": "severity_based"}
    )
    await service.send("trigger", "a", severity=severity)
    assert [i["urgency"] for i in await service.incidents()] == [urgency]


async def test_orchestration_severity_feeds_severity_based_urgency(
    service: Service, api: httpx.AsyncClient
) -> None:
    await service.create(
        "Rewritten", incident_urgency_rule={"type": "constant", "urgency": "severity_based"}
    )
    path = {
        "orchestration_path": {
            "sets": [
                {"id": "start", "rules": [{"label": "calm", "actions": {"severity": "info"}}]}
            ],
            "catch_all": {"actions": {}},
        }
    }
    put = await api.put(f"/event_orchestrations/services/{service.id}", json=path)
    assert put.status_code == 200
    await service.send("trigger", "a", severity="critical")
    assert [i["urgency"] for i in await service.incidents()] == ["low"]


async def test_support_hours_urgency_follows_the_clock_in_the_time_zone(
    service: Service, admin: httpx.AsyncClient
) -> None:
    now = datetime.fromisoformat((await admin.get("/clock")).json()["now"].replace("Z", "+00:00"))
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    if noon <= now:
        noon += timedelta(days=1)
    at = await advance(admin, (noon - now).total_seconds())  # 21:00 in Tokyo
    local = at.astimezone(TOKYO)
    assert local.hour == 21
    await service.create(
        "Office Hours",
        incident_urgency_rule={
            "type": "use_support_hours",
            "during_support_hours": {"type": "constant", "urgency": "high"},
            "outside_support_hours": {"type": "constant", "urgency": "severity_based"},
        },
        support_hours={
            "type": "fixed_time_per_day",
            "time_zone": "Asia/Tokyo",
            "days_of_week": [local.isoweekday()],
            "start_time": "20:00:00",
            "end_time": "22:00:00",
        },
        scheduled_actions=[],
    )
    await service.send("trigger", "during", severity="info")
    await advance(admin, 3600)  # 22:00 in Tokyo: the end is exclusive
    await service.send("trigger", "after", severity="info")
    await service.send("trigger", "after-critical", severity="critical")
    await advance(admin, 23 * 3600)  # 21:00 the next day, not a support day
    await service.send("trigger", "next-day", severity="warning")
    urgencies = {i["title"]: i["urgency"] for i in await service.incidents()}
    assert urgencies == {
        "during": "high",
        "after": "low",
        "after-critical": "high",
        "next-day": "low",
    }


async def test_acknowledgement_timeout_retriggers(
    service: Service, admin: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    await service.create("Ack Timeout", acknowledgement_timeout=600)
    await service.send("trigger", "a")
    await advance(admin, 300)
    await service.send("acknowledge", "a")
    await advance(admin, 599)
    assert [i["status"] for i in await service.incidents()] == ["acknowledged"]
    await advance(admin, 1)
    [incident] = await service.incidents()
    assert incident["status"] == "triggered"
    # A new acknowledgement starts a new timeout; turning the timeout off stops it.
    await service.send("acknowledge", "a")
    await api.put(f"/services/{service.id}", json={"service": {"acknowledgement_timeout": None}})
    await advance(admin, 3600)
    assert [i["status"] for i in await service.incidents()] == ["acknowledged"]


async def test_auto_resolve_timeout_resolves_open_incidents(
    service: Service, admin: httpx.AsyncClient
) -> None:
    await service.create("Auto Resolve", auto_resolve_timeout=3600)
    await service.send("trigger", "a")
    await advance(admin, 1800)
    await service.send("acknowledge", "a")
    await service.send("trigger", "b")
    await advance(admin, 1800)
    statuses = {i["title"]: i["status"] for i in await service.incidents()}
    assert statuses == {"a": "resolved", "b": "triggered"}
    await advance(admin, 1800)
    assert {i["status"] for i in await service.incidents()} == {"resolved"}
    # A resolved incident's key opens a new incident.
    await service.send("trigger", "a")
    assert len(await service.incidents()) == 3


async def test_timers_fire_in_deadline_order_and_emit_webhooks(
    service: Service, admin: httpx.AsyncClient, api: httpx.AsyncClient, receiver: Any
) -> None:
    await service.create("Both Timers", acknowledgement_timeout=60, auto_resolve_timeout=600)
    hook = {
        "webhook_subscription": {
            "type": "webhook_subscription",
            "delivery_method": {"type": "http_delivery_method", "url": receiver.url},
            "events": ["incident.unacknowledged", "incident.resolved"],
            "filter": {"type": "service_reference", "id": service.id},
        }
    }
    assert (await api.post("/webhook_subscriptions", json=hook)).status_code == 200
    await service.send("trigger", "a")
    await service.send("acknowledge", "a")
    await advance(admin, 3600)  # one jump past both deadlines: unacknowledged, then resolved
    received = await receiver.wait_for(2)
    kinds = [httpx.Response(200, content=r.body).json()["event"]["event_type"] for r in received]
    assert kinds == ["incident.unacknowledged", "incident.resolved"]


async def test_time_based_grouping_joins_alerts_within_the_window(
    service: Service, admin: httpx.AsyncClient
) -> None:
    await service.create(
        "Grouped", alert_grouping_parameters={"type": "time", "config": {"timeout": 5}}
    )
    await service.send("trigger", "first")
    await advance(admin, 120)
    await service.send("trigger", "second")
    assert await last_result(admin) == "grouped"
    await advance(admin, 181)  # 5 minutes and 1 second after the incident opened
    await service.send("trigger", "third")
    assert await last_result(admin) == "incident_created"
    incidents = await service.incidents()
    assert sorted(i["title"] for i in incidents) == ["first", "third"]
    first = next(i for i in incidents if i["title"] == "first")
    # The incident resolves when its last alert does.
    await service.send("resolve", "first")
    assert await last_result(admin) == "alert_resolved"
    await service.send("acknowledge", "second")
    assert await last_result(admin) == "acknowledged"
    await service.send("resolve", "second")
    assert await last_result(admin) == "resolved"
    statuses = {i["id"]: i["status"] for i in await service.incidents()}
    assert statuses[first["id"]] == "resolved"


async def test_grouping_timeout_zero_groups_until_resolved(
    service: Service, admin: httpx.AsyncClient
) -> None:
    await service.create(
        "Until Resolved", alert_grouping_parameters={"type": "time", "config": {"timeout": 0}}
    )
    await service.send("trigger", "one")
    await advance(admin, 86400)
    await service.send("trigger", "two")
    assert await last_result(admin) == "grouped"
    await service.send("resolve", "one")
    await service.send("resolve", "two")
    await service.send("trigger", "three")
    assert await last_result(admin) == "incident_created"


async def test_without_grouping_every_key_opens_an_incident(
    service: Service, admin: httpx.AsyncClient
) -> None:
    await service.create(
        "Content Grouped",
        alert_grouping_parameters={
            "type": "content_based",
            "config": {"aggregate": "all", "fields": ["source"]},
        },
    )
    await service.send("trigger", "one")
    await service.send("trigger", "two")
    assert len(await service.incidents()) == 2


async def test_inactive_service_orchestration_is_not_evaluated(
    service: Service, api: httpx.AsyncClient
) -> None:
    await service.create("Orchestrated")
    path = {
        "orchestration_path": {
            "sets": [
                {"id": "start", "rules": [{"label": "p1", "actions": {"priority": PRIORITY_P1}}]}
            ],
            "catch_all": {"actions": {}},
        }
    }
    assert (
        await api.put(f"/event_orchestrations/services/{service.id}", json=path)
    ).status_code == 200
    active = f"/event_orchestrations/services/{service.id}/active"
    assert (await api.get(active)).json() == {"active": True}
    assert (await api.put(active, json={"active": False})).json() == {"active": False}
    await service.send("trigger", "inactive")
    assert (await api.put(active, json={"active": True})).json() == {"active": True}
    await service.send("trigger", "active")
    priorities = {i["title"]: (i["priority"] or {}).get("id") for i in await service.incidents()}
    assert priorities == {"inactive": None, "active": PRIORITY_P1}
    assert (await api.put(active, json={"active": "no"})).status_code == 400


async def test_rest_incidents_without_urgency_follow_the_service_rule(
    service: Service, api: httpx.AsyncClient
) -> None:
    await service.create("Rest Low", incident_urgency_rule={"type": "constant", "urgency": "low"})
    made = await api.post(
        "/incidents",
        headers={"From": "alice@acme.example"},
        json={
            "incident": {
                "type": "incident",
                "title": "by hand",
                "service": {"id": service.id, "type": "service_reference"},
            }
        },
    )
    assert made.json()["incident"]["urgency"] == "low"

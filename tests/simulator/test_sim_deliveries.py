"""Webhook deliveries to a real receiver on loopback: signatures, headers, retries, disablement."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import pytest
from sim_helpers import Receiver, verify_signature, webhook_body

from pagerduty_simulator import SimulatorConfig, SimulatorServer
from support.sim_seed import CHECKOUT, DATABASE, TEAM_INFRA, TEAM_PAYMENTS


@pytest.fixture
def sim_config() -> SimulatorConfig:
    """Quick retries and a short receiver timeout for this module."""
    return SimulatorConfig(delivery_retry_delays=(0.01, 0.01), delivery_timeout_seconds=0.3)


async def subscribe(api: httpx.AsyncClient, url: str, **kwargs: object) -> tuple[str, str]:
    response = await api.post("/webhook_subscriptions", json=webhook_body(url, **kwargs))  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    subscription = response.json()["webhook_subscription"]
    return subscription["id"], subscription["delivery_method"]["secret"]


async def trigger(
    admin: httpx.AsyncClient, service_id: str = CHECKOUT, title: str = "boom"
) -> dict[str, object]:
    response = await admin.post("/incidents", json={"service_id": service_id, "title": title})
    assert response.status_code == 201, response.text
    incident = response.json()["incident"]
    assert isinstance(incident, dict)
    return incident


async def test_delivery_is_signed_and_carries_the_documented_headers(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    subscription_id, secret = await subscribe(
        api, receiver.url, headers=[{"name": "X-Receiver-Key", "value": "clear-text-value"}]
    )
    incident = await trigger(admin, title="Checkout is down ✓")
    [received] = await receiver.wait_for(1)
    assert verify_signature(secret, received.body, received.headers["X-PagerDuty-Signature"])
    assert not verify_signature(
        "some-other-secret", received.body, received.headers["X-PagerDuty-Signature"]
    )
    assert received.headers["X-Webhook-Subscription"] == subscription_id
    assert received.headers["X-Webhook-Id"]
    assert received.headers["User-Agent"] == "PagerDuty-Webhook/V3.0"
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["X-Receiver-Key"] == "clear-text-value"
    event = json.loads(received.body)["event"]
    assert set(json.loads(received.body)) == {"event"}
    assert event["event_type"] == "incident.triggered"
    assert event["resource_type"] == "incident"
    assert event["occurred_at"].endswith("Z")
    assert event["data"]["id"] == incident["id"]
    assert event["data"]["type"] == "incident"
    assert event["data"]["title"] == "Checkout is down ✓"
    assert event["data"]["service"]["id"] == CHECKOUT
    assert event["data"]["number"] == incident["number"]


async def test_ping_delivers_pagey_ping(api: httpx.AsyncClient, receiver: Receiver) -> None:
    subscription_id, secret = await subscribe(api, receiver.url)
    response = await api.post(f"/webhook_subscriptions/{subscription_id}/ping")
    assert response.status_code == 202
    [received] = await receiver.wait_for(1)
    event = json.loads(received.body)["event"]
    assert event["event_type"] == "pagey.ping"
    assert event["resource_type"] == "pagey"
    assert event["data"] == {"message": "Hello from your friend Pagey!", "type": "ping"}
    assert verify_signature(secret, received.body, received.headers["X-PagerDuty-Signature"])


async def test_filters_and_event_types_select_subscriptions(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, sim: SimulatorServer, receiver: Receiver
) -> None:
    on_checkout, _ = await subscribe(api, receiver.url, filter_id=CHECKOUT)
    await subscribe(api, receiver.url, filter_id=DATABASE)
    on_payments, _ = await subscribe(
        api, receiver.url, filter_type="team_reference", filter_id=TEAM_PAYMENTS
    )
    await subscribe(api, receiver.url, filter_type="team_reference", filter_id=TEAM_INFRA)
    on_account, _ = await subscribe(
        api, receiver.url, filter_type="account_reference", filter_id=None
    )
    await subscribe(api, receiver.url, filter_id=CHECKOUT, events=["incident.resolved"])
    await subscribe(api, receiver.url, filter_id=CHECKOUT, active=False)
    await trigger(admin, CHECKOUT)
    assert sim.state.deliveries is not None
    await sim.state.deliveries.wait_idle()
    got = {r.headers["X-Webhook-Subscription"] for r in receiver.received}
    assert got == {on_checkout, on_payments, on_account}
    assert len(receiver.received) == 3


async def test_acknowledge_and_resolve_produce_events(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    await subscribe(api, receiver.url)
    incident = await trigger(admin)
    await admin.post(f"/incidents/{incident['id']}/status", json={"status": "acknowledged"})
    await admin.post(f"/incidents/{incident['id']}/status", json={"status": "resolved"})
    received = await receiver.wait_for(3)
    assert [json.loads(r.body)["event"]["event_type"] for r in received] == [
        "incident.triggered",
        "incident.acknowledged",
        "incident.resolved",
    ]


async def test_retries_keep_the_webhook_id(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, sim: SimulatorServer, receiver: Receiver
) -> None:
    await subscribe(api, receiver.url)
    receiver.plan = [500, 429]
    await trigger(admin)
    received = await receiver.wait_for(3)
    assert len({r.headers["X-Webhook-Id"] for r in received}) == 1
    assert sim.state.deliveries is not None
    await sim.state.deliveries.wait_idle()
    record = list(sim.state.deliveries.records)[-1]
    assert record.outcome == "delivered"
    assert [a.status for a in record.attempts] == [500, 429, 200]


async def test_timeouts_are_retried(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, sim: SimulatorServer, receiver: Receiver
) -> None:
    await subscribe(api, receiver.url)
    receiver.plan = ["hang"]
    await trigger(admin)
    await receiver.wait_for(2)
    assert sim.state.deliveries is not None
    await sim.state.deliveries.wait_idle()
    record = list(sim.state.deliveries.records)[-1]
    assert [a.error for a in record.attempts] == ["timeout", None]
    assert record.outcome == "delivered"


async def test_other_4xx_drop_without_retry(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, sim: SimulatorServer, receiver: Receiver
) -> None:
    subscription_id, _ = await subscribe(api, receiver.url)
    receiver.plan = [410]
    await trigger(admin)
    assert sim.state.deliveries is not None
    await sim.state.deliveries.wait_idle()
    assert len(receiver.received) == 1
    assert list(sim.state.deliveries.records)[-1].outcome == "dropped"
    fetched = (await api.get(f"/webhook_subscriptions/{subscription_id}")).json()
    assert fetched["webhook_subscription"]["delivery_method"]["temporarily_disabled"] is False


async def test_three_consecutive_drops_disable_until_enabled(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, sim: SimulatorServer, receiver: Receiver
) -> None:
    subscription_id, _ = await subscribe(api, receiver.url)
    assert sim.state.deliveries is not None
    receiver.plan = [400, 200, 400, 400]
    for _ in range(2):  # a drop, then a success: the count of consecutive drops starts over
        await trigger(admin)
        await sim.state.deliveries.wait_idle()
    receiver.plan = [400, 400, 400]
    for _ in range(2):
        await trigger(admin)
        await sim.state.deliveries.wait_idle()
    path = f"/webhook_subscriptions/{subscription_id}"
    assert (await api.get(path)).json()["webhook_subscription"]["delivery_method"][
        "temporarily_disabled"
    ] is False
    await trigger(admin)
    await sim.state.deliveries.wait_idle()
    assert (await api.get(path)).json()["webhook_subscription"]["delivery_method"][
        "temporarily_disabled"
    ] is True
    before = len(receiver.received)
    await trigger(admin)  # discarded while disabled
    await sim.state.deliveries.wait_idle()
    assert len(receiver.received) == before
    assert list(sim.state.deliveries.records)[-1].outcome == "discarded"
    enabled = await api.post(f"{path}/enable")
    assert (
        enabled.json()["webhook_subscription"]["delivery_method"]["temporarily_disabled"] is False
    )
    await trigger(admin)
    await receiver.wait_for(before + 1)


async def test_exhausted_retries_count_as_a_drop(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, sim: SimulatorServer, receiver: Receiver
) -> None:
    await subscribe(api, receiver.url)
    receiver.plan = [503, 503, 503]
    await trigger(admin)
    assert sim.state.deliveries is not None
    await sim.state.deliveries.wait_idle()
    record = list(sim.state.deliveries.records)[-1]
    assert record.outcome == "dropped"
    assert len(record.attempts) == 3
    assert sim.state.account("acme").webhooks[record.subscription_id].consecutive_drops == 1


async def test_deliveries_are_listed_by_the_admin_api(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    subscription_id, _ = await subscribe(api, receiver.url)
    await api.post(f"/webhook_subscriptions/{subscription_id}/ping")
    listed = (
        await admin.get("/deliveries", params={"wait": "true", "subscription_id": subscription_id})
    ).json()
    [delivery] = listed["deliveries"]
    assert delivery["outcome"] == "delivered"
    assert delivery["event_type"] == "pagey.ping"
    assert delivery["payload"]["event"]["event_type"] == "pagey.ping"


async def test_retry_waits_run_on_the_simulator_clock(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, sim: SimulatorServer, receiver: Receiver
) -> None:
    await admin.put("/config", json={"delivery_retry_delays": [3600]})
    await subscribe(api, receiver.url)
    receiver.plan = [500]
    await trigger(admin)
    await receiver.wait_for(1)
    assert sim.state.deliveries is not None
    record = list(sim.state.deliveries.records)[-1]
    async with asyncio.timeout(10):
        # The attempt is recorded once the receiver's answer is read; only then does the worker
        # start waiting on the clock, so the advance below must come after it.
        while not record.attempts:  # noqa: ASYNC110 - polls the simulator's own record
            await asyncio.sleep(0.01)
    assert record.outcome == "pending"
    await admin.post("/clock/advance", json={"seconds": 3600})
    await receiver.wait_for(2)
    await sim.state.deliveries.wait_idle()
    assert record.outcome == "delivered"


async def test_basic_auth_in_the_url_is_sent(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    url = receiver.url.replace("http://", "http://hook-user:hook-pass@")
    await subscribe(api, url)
    fetched = (await api.get("/webhook_subscriptions")).json()["webhook_subscriptions"][0]
    assert fetched["delivery_method"]["url"] == url
    await trigger(admin)
    [received] = await receiver.wait_for(1)
    expected = "Basic " + base64.b64encode(b"hook-user:hook-pass").decode()
    assert received.headers["Authorization"] == expected

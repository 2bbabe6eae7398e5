"""Secrets never appear in reprs, logs or error bodies of the simulator."""

from __future__ import annotations

import logging

import httpx
import pytest
from sim_helpers import Receiver, oauth_token, webhook_body

from pagerduty_simulator import SimulatorConfig, SimulatorServer
from support.sim_seed import US_CLIENT_ID, US_CLIENT_SECRET, US_FULL, US_REFRESH_TOKEN


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(log_requests=True, delivery_retry_delays=())


async def test_no_secret_reaches_logs_or_reprs(
    sim: SimulatorServer,
    api: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    header_value = "header-secret-value-123"
    created = await api.post(
        "/webhook_subscriptions",
        json=webhook_body(receiver.url, headers=[{"name": "X-Key", "value": header_value}]),
    )
    signing_secret = created.json()["webhook_subscription"]["delivery_method"]["secret"]
    token = (
        await oauth_token(
            sim.us_url, US_CLIENT_ID, US_CLIENT_SECRET, "as_account-us.acme services.read"
        )
    ).json()["access_token"]
    async with httpx.AsyncClient(base_url=sim.us_url) as client:
        await client.get("/services", headers={"Authorization": f"Bearer {token}"})
        await client.get("/services", headers={"Authorization": "Token token=y_SIMfake_wrong_KEY1"})
        await client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": US_CLIENT_ID,
                "client_secret": "wrong-secret-456",
            },
        )
    await admin.post("/incidents", json={"service_id": "PCHKOUT"})
    receiver.plan = [500]
    assert sim.state.deliveries is not None
    await sim.state.deliveries.wait_idle()

    account = sim.state.account("acme")
    reprs = repr(account) + repr(sim.state.deliveries.records[-1]) + repr(sim.config)
    secrets = [
        US_FULL,
        US_CLIENT_SECRET,
        US_REFRESH_TOKEN,
        token,
        signing_secret,
        header_value,
        "cafe0000000000000000000000000001",
        "RSIMFAKEACME00000000000000000001",
        "y_SIMfake_wrong_KEY1",
        "wrong-secret-456",
    ]
    log_text = "\n".join(record.getMessage() for record in caplog.records)
    assert "GET /services -> 200" in log_text
    for secret in secrets:
        assert secret not in reprs, secret
        assert secret not in log_text, secret

"""Fixtures of the simulator tests: a fresh simulator per test and API clients for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sim_helpers import ClientFactory, Receiver, run_receiver, token_headers

from pagerduty_simulator import SimulatorConfig, SimulatorServer
from support.sim_seed import US_FULL


@pytest.fixture
def sim_config() -> SimulatorConfig:
    """Fast delivery timings; tests that need other settings override this fixture."""
    return SimulatorConfig(delivery_retry_delays=(0.01, 0.01), delivery_timeout_seconds=1.0)


@pytest.fixture
async def sim(sim_config: SimulatorConfig) -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(sim_config) as server:
        yield server


@pytest.fixture
async def make_client(sim: SimulatorServer) -> AsyncIterator[ClientFactory]:
    """`make_client(token=..., region="us", bearer=False)`: an httpx client for one origin."""
    clients: list[httpx.AsyncClient] = []

    def factory(
        token: str | None = US_FULL, region: str = "us", headers: dict[str, str] | None = None
    ) -> httpx.AsyncClient:
        base = sim.us_url if region == "us" else sim.eu_url
        merged = token_headers(token) if token is not None else {}
        merged.update(headers or {})
        client = httpx.AsyncClient(base_url=base, headers=merged, timeout=10.0)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()


@pytest.fixture
async def api(make_client: ClientFactory) -> httpx.AsyncClient:
    """A client with the US account's full API key."""
    return make_client()


@pytest.fixture
async def admin(sim: SimulatorServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.us_url + "/_simulator", timeout=40.0) as client:
        yield client


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with run_receiver() as running:
        yield running

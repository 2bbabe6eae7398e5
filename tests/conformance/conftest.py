"""Fixtures of the conformance tests: a simulator in a thread and the official client's routing.

The official `pagerduty` package is synchronous, so these tests are plain functions and the
simulator runs on its own event loop in a background thread (a fresh one per test).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pd_official import Official, SimulatorRouting, rest

from pagerduty_operator.simulator import SimulatorConfig, SimulatorServer
from pagerduty_operator.simulator.server import SimulatorHandle
from support.sim_seed import US_FULL


@pytest.fixture
def sim() -> Iterator[SimulatorHandle]:
    config = SimulatorConfig(delivery_retry_delays=(0.01,), delivery_timeout_seconds=1.0)
    handle = SimulatorServer(config).start_in_thread()
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def routing(sim: SimulatorHandle) -> Iterator[SimulatorRouting]:
    transport = SimulatorRouting.to(sim)
    yield transport
    transport.shutdown()


@pytest.fixture
def api(routing: SimulatorRouting) -> Iterator[Official]:
    """The official REST client with the US account's full API key."""
    official = rest(routing, US_FULL)
    yield official
    official.client.close()


@pytest.fixture
def admin(sim: SimulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.us_url + "/_simulator", timeout=30.0) as client:
        yield client

"""Fixtures of the conformance tests: a simulator in a thread and the official client's routing.

The official `pagerduty` package is synchronous, so these tests are plain functions and the
simulator runs on its own event loop in a background thread (a fresh one per test). Every test
runs with all loggers at DEBUG (the package logs each request there) and fails if a credential,
token, signing secret or routing key seen in the test shows up in the captured logs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pd_official import Official, SimulatorRouting, rest

from pagerduty_simulator import SimulatorConfig, SimulatorServer
from pagerduty_simulator.server import SimulatorHandle
from support import sim_seed
from support.sim_seed import US_FULL

SECRET_KEYS = {"access_token", "refresh_token", "secret", "integration_key", "routing_key"}


def secrets_in(node: Any, key: str = "") -> set[str]:
    """Secret values in a decoded answer (tokens, signing secrets, keys)."""
    if isinstance(node, dict):
        return {found for k, v in node.items() for found in secrets_in(v, k)}
    if isinstance(node, list):
        return {found for item in node for found in secrets_in(item, key)}
    return {node} if key in SECRET_KEYS and isinstance(node, str) and len(node) >= 6 else set()


@pytest.fixture
def secret_book() -> set[str]:
    """Secrets known during one test: the seed's, plus those in answers (added at teardown)."""
    return {
        value
        for name, value in vars(sim_seed).items()
        if name.isupper() and isinstance(value, str) and ("SIM" in value or "KEY" in name)
    }


@pytest.fixture(autouse=True)
def secret_guard(caplog: pytest.LogCaptureFixture, secret_book: set[str]) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    assert records, "nothing was logged: the guard would not see a leak"
    logged = "\n".join(record.getMessage() for record in records)
    leaked = sum(1 for value in secret_book if value in logged)  # a count: never echo secrets
    assert leaked == 0, f"{leaked} secret value(s) leaked into the logs"


@pytest.fixture
def sim() -> Iterator[SimulatorHandle]:
    config = SimulatorConfig(delivery_retry_delays=(0.01,), delivery_timeout_seconds=1.0)
    handle = SimulatorServer(config).start_in_thread()
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def routing(sim: SimulatorHandle, secret_book: set[str]) -> Iterator[SimulatorRouting]:
    transport = SimulatorRouting.to(sim)
    yield transport
    transport.shutdown()
    for exchange in transport.exchanges:
        secret_book |= secrets_in(exchange.body)


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

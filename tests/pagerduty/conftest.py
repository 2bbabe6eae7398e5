"""Fixtures of the client's simulator-backed tests, and the secret-leak guard.

Every test in this directory runs with all loggers at DEBUG and with every
:class:`PagerDutyError` the client creates recorded. After the test, the guard fails it if any
secret the simulator knows (API keys, OAuth client secrets, access and refresh tokens, signing
secrets, routing keys, custom header values) appears in the captured logs or in the text or repr
of any of those errors (or the exceptions they were raised from).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pd_sim_helpers import Admin, LinkedClock, SecretBook, leaks, make_pd_client

from pagerduty_operator.pagerduty import PagerDutyClient, PagerDutyError
from pagerduty_simulator import SimulatorConfig, SimulatorServer


@pytest.fixture
def secret_book() -> SecretBook:
    return SecretBook()


@pytest.fixture(autouse=True)
def secret_guard(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, secret_book: SecretBook
) -> Iterator[list[PagerDutyError]]:
    caplog.set_level(logging.DEBUG)
    raised: list[PagerDutyError] = []
    original = PagerDutyError.__init__

    def recording_init(self: PagerDutyError, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        raised.append(self)

    monkeypatch.setattr(PagerDutyError, "__init__", recording_init)
    yield raised
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    assert records, "nothing was logged: the guard would not see a leak"
    texts = [formatter.format(record) for record in records]
    for error in raised:
        texts += [str(error), repr(error), error.message, *error.errors]
        for linked in (error.__cause__, error.__context__):
            if linked is not None:
                texts += [str(linked), repr(linked)]
    leaked = leaks(texts, secret_book.values)
    assert not leaked, f"{len(leaked)} secret value(s) leaked into logs or exception text"


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(delivery_retry_delays=(0.01, 0.01), delivery_timeout_seconds=1.0)


@pytest.fixture
async def sim(
    sim_config: SimulatorConfig, secret_book: SecretBook
) -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(sim_config) as server:
        yield server
        admin = Admin(server.us_url)
        try:
            secret_book.values |= await admin.secrets()
        finally:
            await admin.aclose()


@pytest.fixture
async def admin(sim: SimulatorServer) -> AsyncIterator[Admin]:
    client = Admin(sim.us_url)
    yield client
    await client.aclose()


@pytest.fixture
def clock(admin: Admin) -> LinkedClock:
    return LinkedClock(admin)


@pytest.fixture
async def pd(sim: SimulatorServer, clock: LinkedClock) -> AsyncIterator[PagerDutyClient]:
    """A client with the US account's full API key, on time shared with the simulator."""
    async with make_pd_client(sim.us_url, clock=clock) as client:
        yield client

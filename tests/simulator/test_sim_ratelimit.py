"""Per-credential rate limits: headers, 429 with code 2020, windows on the simulator clock."""

from __future__ import annotations

import httpx
import pytest
from sim_helpers import ClientFactory

from pagerduty_simulator import SimulatorConfig
from support.sim_seed import US_READ_ONLY, US_USER_KEY


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(rate_limit_per_minute=5)


async def test_headers_count_down_then_429_with_2020(api: httpx.AsyncClient) -> None:
    remaining = []
    for _ in range(5):
        response = await api.get("/abilities")
        assert response.status_code == 200
        assert response.headers["ratelimit-limit"] == "5"
        assert 1 <= int(response.headers["ratelimit-reset"]) <= 60
        remaining.append(int(response.headers["ratelimit-remaining"]))
    assert remaining == [4, 3, 2, 1, 0]
    limited = await api.get("/abilities")
    assert limited.status_code == 429
    assert limited.json() == {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
    assert limited.headers["ratelimit-remaining"] == "0"
    assert limited.headers["ratelimit-limit"] == "5"


async def test_budgets_are_per_credential(
    api: httpx.AsyncClient, make_client: ClientFactory
) -> None:
    for _ in range(5):
        await api.get("/abilities")
    assert (await api.get("/abilities")).status_code == 429
    other_key = make_client(US_READ_ONLY)
    assert (await other_key.get("/abilities")).status_code == 200
    user_key = make_client(US_USER_KEY)
    assert (await user_key.get("/abilities")).status_code == 200


async def test_window_resets_when_the_clock_moves(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    for _ in range(6):
        await api.get("/abilities")
    assert (await api.get("/abilities")).status_code == 429
    await admin.post("/clock/advance", json={"seconds": 60})
    response = await api.get("/abilities")
    assert response.status_code == 200
    assert response.headers["ratelimit-remaining"] == "4"


async def test_errors_count_and_carry_headers_too(api: httpx.AsyncClient) -> None:
    response = await api.get("/services/PNOSUCH")
    assert response.status_code == 404
    assert response.headers["ratelimit-remaining"] == "4"


async def test_limit_can_be_changed_or_turned_off(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.put("/config", json={"rate_limit_per_minute": 0})
    for _ in range(8):
        response = await api.get("/abilities")
        assert response.status_code == 200
        assert "ratelimit-limit" not in response.headers
    await admin.put("/config", json={"rate_limit_per_minute": 960})
    assert (await api.get("/abilities")).headers["ratelimit-limit"] == "960"

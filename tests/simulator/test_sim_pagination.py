"""Classic offset pagination: default 25, at most 100, `more`, `total` only when asked, 10000."""

from __future__ import annotations

import httpx
import pytest
from sim_helpers import webhook_body

from pagerduty_simulator import SimulatorServer, load_seed

COUNT = 130


@pytest.fixture
async def many(sim: SimulatorServer) -> None:
    """130 account-scoped subscriptions, seeded directly (no API calls)."""
    hooks = [
        {"url": f"https://receiver.example/{index}", "filter": {"type": "account_reference"}}
        for index in range(COUNT)
    ]
    seed = load_seed({"accounts": [{"subdomain": "acme", "webhook_subscriptions": hooks}]})
    from pagerduty_simulator.seed import apply_seed

    apply_seed(sim.state, seed.document)


@pytest.mark.usefixtures("many")
async def test_default_page_is_25_without_total(api: httpx.AsyncClient) -> None:
    body = (await api.get("/webhook_subscriptions")).json()
    assert len(body["webhook_subscriptions"]) == 25
    assert (body["limit"], body["offset"], body["more"], body["total"]) == (25, 0, True, None)


@pytest.mark.usefixtures("many")
async def test_limit_is_capped_at_100_and_total_on_request(api: httpx.AsyncClient) -> None:
    body = (await api.get("/webhook_subscriptions", params={"limit": 500, "total": "true"})).json()
    assert len(body["webhook_subscriptions"]) == 100
    assert body["limit"] == 100
    assert body["total"] == COUNT
    assert body["more"] is True


@pytest.mark.usefixtures("many")
async def test_walking_pages_visits_every_item_once(api: httpx.AsyncClient) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        body = (
            await api.get("/webhook_subscriptions", params={"limit": 40, "offset": offset})
        ).json()
        seen.extend(s["id"] for s in body["webhook_subscriptions"])
        if not body["more"]:
            break
        offset += body["limit"]
    assert len(seen) == COUNT == len(set(seen))


@pytest.mark.usefixtures("many")
async def test_total_accepts_1_and_0(api: httpx.AsyncClient) -> None:
    assert (await api.get("/webhook_subscriptions", params={"total": 1})).json()["total"] == COUNT
    assert (await api.get("/webhook_subscriptions", params={"total": 0})).json()["total"] is None


async def test_offset_plus_limit_beyond_10000_is_400(api: httpx.AsyncClient) -> None:
    ok = await api.get("/services", params={"offset": 9900, "limit": 100})
    assert ok.status_code == 200
    assert ok.json()["services"] == []
    assert ok.json()["more"] is False
    refused = await api.get("/services", params={"offset": 9901, "limit": 100})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == 2001


@pytest.mark.parametrize("params", [{"limit": "ten"}, {"offset": "-1"}, {"total": "maybe"}])
async def test_malformed_parameters_are_400(api: httpx.AsyncClient, params: dict[str, str]) -> None:
    assert (await api.get("/priorities", params=params)).status_code == 400


async def test_priorities_are_paginated(api: httpx.AsyncClient) -> None:
    body = (await api.get("/priorities", params={"limit": 2, "offset": 3, "total": "true"})).json()
    assert [p["name"] for p in body["priorities"]] == ["P4", "P5"]
    assert body["more"] is False
    assert body["total"] == 5


async def test_created_items_appear_in_creation_order(api: httpx.AsyncClient) -> None:
    created = []
    for index in range(3):
        response = await api.post(
            "/webhook_subscriptions",
            json=webhook_body(
                f"https://r.example/{index}", filter_type="account_reference", filter_id=None
            ),
        )
        created.append(response.json()["webhook_subscription"]["id"])
    listed = (await api.get("/webhook_subscriptions")).json()["webhook_subscriptions"]
    assert [s["id"] for s in listed] == created

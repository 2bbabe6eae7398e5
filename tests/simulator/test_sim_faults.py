"""Fault injection: statuses, fractions, dropped connections, 429 storms, delays, after-effects."""

from __future__ import annotations

import httpx
import pytest
from sim_helpers import webhook_body


async def test_next_n_matching_requests_fail(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    added = await admin.post(
        "/faults", json={"method": "GET", "path": "/services*", "status": 503, "count": 2}
    )
    assert added.status_code == 201
    assert (await api.get("/abilities")).status_code == 200  # does not match
    assert (await api.get("/services")).status_code == 503
    failed = await api.get("/services/PCHKOUT")
    assert failed.status_code == 503
    assert failed.json()["error"]["code"] == 2000
    assert (await api.get("/services")).status_code == 200
    assert (await admin.get("/faults")).json()["faults"] == []
    log = (await admin.get("/requests")).json()["requests"]
    assert [r["fault"] for r in log if r["status"] == 503] == ["status:503", "status:503"]


async def test_a_fraction_of_requests_fail(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.post(
        "/faults", json={"path": "/abilities", "status": 500, "probability": 0.5, "seed": 7}
    )
    statuses = [(await api.get("/abilities")).status_code for _ in range(40)]
    assert 5 < statuses.count(500) < 35
    assert set(statuses) == {200, 500}
    assert (await admin.delete("/faults")).status_code == 204
    assert (await api.get("/abilities")).status_code == 200


async def test_dropped_connection(api: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    await admin.post("/faults", json={"path": "/priorities", "drop": True})
    with pytest.raises(httpx.RemoteProtocolError):
        await api.get("/priorities")
    assert (await api.get("/priorities")).status_code == 200
    log = (await admin.get("/requests")).json()["requests"]
    assert log[0]["status"] == 0
    assert log[0]["fault"] == "drop"


async def test_rate_limit_storm_with_and_without_headers(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.post(
        "/faults",
        json={
            "faults": [
                {"path": "/abilities", "rate_limit": True, "count": 2, "reset_seconds": 7},
                {"path": "/priorities", "rate_limit": True, "rate_limit_headers": False},
            ]
        },
    )
    for _ in range(2):
        storm = await api.get("/abilities")
        assert storm.status_code == 429
        assert storm.json()["error"]["code"] == 2020
        assert storm.headers["ratelimit-reset"] == "7"
        assert storm.headers["ratelimit-remaining"] == "0"
    bare = await api.get("/priorities")
    assert bare.status_code == 429
    assert bare.content == b""
    assert "ratelimit-limit" not in bare.headers


async def test_after_handler_fault_makes_an_ambiguous_create(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.post(
        "/faults",
        json={
            "method": "POST",
            "path": "/webhook_subscriptions",
            "drop": True,
            "after_handler": True,
        },
    )
    with pytest.raises(httpx.RemoteProtocolError):
        await api.post("/webhook_subscriptions", json=webhook_body("https://r.example/x"))
    # The create happened although the caller never saw the answer.
    listed = (await api.get("/webhook_subscriptions")).json()["webhook_subscriptions"]
    assert len(listed) == 1


async def test_delay_only_fault_still_answers(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.post("/faults", json={"path": "/abilities", "delay": 0.05})
    response = await api.get("/abilities")
    assert response.status_code == 200
    assert (await admin.get("/requests")).json()["requests"][-1]["fault"] == "delay:0.05"


async def test_region_and_method_matching(api: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    await admin.post(
        "/faults", json={"path": "/abilities", "status": 500, "region": "eu", "count": 1}
    )
    assert (await api.get("/abilities")).status_code == 200
    await admin.delete("/faults")
    await admin.post("/faults", json={"method": "POST", "path": "/abilities", "status": 500})
    assert (await api.get("/abilities")).status_code == 200


@pytest.mark.parametrize(
    "spec",
    [
        {"path": "/x"},
        {"status": 500, "drop": True},
        {"status": 99},
        {"probability": 0},
        {"status": 500, "count": 0},
        {"status": 500, "colour": "red"},
    ],
)
async def test_invalid_fault_specs_are_rejected(
    admin: httpx.AsyncClient, spec: dict[str, object]
) -> None:
    assert (await admin.post("/faults", json=spec)).status_code == 400


async def test_admin_requests_are_never_faulted(admin: httpx.AsyncClient) -> None:
    await admin.post("/faults", json={"path": "*", "status": 500, "probability": 1.0})
    assert (await admin.get("/state")).status_code == 200

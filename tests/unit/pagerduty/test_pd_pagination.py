"""Offset and cursor iterators: page size, termination, confused servers."""

from __future__ import annotations

import httpx
import pytest
from pd_unit_helpers import FakeClock, json_response, make_client

from pagerduty_operator.pagerduty import MalformedResponseError
from pagerduty_operator.pagerduty.pagination import iter_cursor, iter_offset

ITEMS = [{"id": f"P{i:03d}"} for i in range(250)]


def offset_server(seen: list[httpx.QueryParams], *, cap: int = 100, lie: bool = False):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params)
        limit = min(int(request.url.params["limit"]), cap)
        offset = int(request.url.params["offset"])
        page = ITEMS[offset : offset + limit]
        more = True if lie else offset + limit < len(ITEMS)
        return json_response(
            200, {"things": page, "limit": limit, "offset": offset, "more": more, "total": None}
        )

    return handler


async def test_offset_pages_of_100(clock: FakeClock) -> None:
    seen: list[httpx.QueryParams] = []
    async with make_client(offset_server(seen), clock=clock) as client:
        got = [i async for i in iter_offset(client, "/things", "things", params={"x": "1"})]
    assert got == ITEMS
    assert [(p["limit"], p["offset"], p["x"]) for p in seen] == [
        ("100", "0", "1"),
        ("100", "100", "1"),
        ("100", "200", "1"),
    ]


async def test_offset_follows_a_server_that_caps_the_limit(clock: FakeClock) -> None:
    seen: list[httpx.QueryParams] = []
    async with make_client(offset_server(seen, cap=25), clock=clock) as client:
        got = [i async for i in iter_offset(client, "/things", "things")]
    assert got == ITEMS
    assert [p["offset"] for p in seen][:3] == ["0", "25", "50"]
    assert len(seen) == 10


async def test_offset_stops_on_an_empty_page_even_if_more_is_claimed(clock: FakeClock) -> None:
    seen: list[httpx.QueryParams] = []
    async with make_client(offset_server(seen, lie=True), clock=clock) as client:
        got = [i async for i in iter_offset(client, "/things", "things")]
    assert got == ITEMS
    assert len(seen) == 4


async def test_page_without_the_key_is_malformed(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(200, {"other": []})

    async with make_client(handler, clock=clock) as client:
        with pytest.raises(MalformedResponseError):
            [i async for i in iter_offset(client, "/things", "things")]


async def test_cursor_iteration(clock: FakeClock) -> None:
    seen: list[httpx.QueryParams] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params)
        start = int(request.url.params.get("cursor", "0"))
        page = ITEMS[start : start + 100]
        nxt = str(start + 100) if start + 100 < len(ITEMS) else None
        return json_response(200, {"records": page, "limit": 100, "next_cursor": nxt})

    async with make_client(handler, clock=clock) as client:
        got = [i async for i in iter_cursor(client, "/audit/records", "records")]
    assert got == ITEMS
    assert [p.get("cursor") for p in seen] == [None, "100", "200"]
    assert all(p["limit"] == "100" for p in seen)

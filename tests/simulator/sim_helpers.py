"""Helpers for the simulator tests.

Credentials and ids of the default seed, request bodies, an independent signature verifier and a
webhook receiver on loopback with a programmable answer plan.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

from support.sim_seed import CHECKOUT

ACCEPT = "application/vnd.pagerduty+json;version=2"

ClientFactory = Callable[..., httpx.AsyncClient]
"""`make_client(token=..., region="us", headers=None)` (the `make_client` fixture)."""


def token_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Token token={token}", "Accept": ACCEPT}


def bearer_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": ACCEPT}


def webhook_body(
    url: str,
    *,
    filter_type: str = "service_reference",
    filter_id: str | None = CHECKOUT,
    events: list[str] | None = None,
    headers: list[dict[str, str]] | None = None,
    description: str = "test subscription",
    active: bool = True,
) -> dict[str, Any]:
    filter_obj: dict[str, Any] = {"type": filter_type}
    if filter_id is not None:
        filter_obj["id"] = filter_id
    return {
        "webhook_subscription": {
            "type": "webhook_subscription",
            "delivery_method": {
                "type": "http_delivery_method",
                "url": url,
                "custom_headers": headers or [],
            },
            "description": description,
            "events": events
            or ["incident.triggered", "incident.acknowledged", "incident.resolved"],
            "filter": filter_obj,
            "active": active,
        }
    }


def verify_signature(secret: str, raw_body: bytes, header: str) -> bool:
    """An independent verifier, written from PagerDuty's documentation (not the simulator's code).

    The header holds comma-separated `v1=<hex>` entries; the body is valid if any entry equals the
    lowercase hex HMAC-SHA256 of the raw body keyed with the subscription's secret.
    """
    expected = hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    for entry in header.split(","):
        if entry.startswith("v1=") and hmac.compare_digest(entry[3:], expected):
            return True
    return False


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver: answers from `plan` (status codes, or "hang"), then 200."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    plan: list[int | str] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        async with self.arrived:
            self.received.append(Received(dict(request.headers), body))
            self.arrived.notify_all()
        answer = self.plan.pop(0) if self.plan else 200
        if answer == "hang":
            await asyncio.sleep(30)
            return web.Response(status=200)
        return web.Response(status=int(answer))

    async def wait_for(self, count: int) -> list[Received]:
        """The first `count` webhooks received (fails after ten seconds without them)."""
        async with asyncio.timeout(10), self.arrived:
            await self.arrived.wait_for(lambda: len(self.received) >= count)
        return list(self.received)


@asynccontextmanager
async def run_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.base_events.Server)
    receiver.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hooks"
    try:
        yield receiver
    finally:
        await runner.cleanup()


async def oauth_token(
    base_url: str, client_id: str, client_secret: str, scope: str
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url) as client:
        return await client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
                "scope": scope,
            },
        )

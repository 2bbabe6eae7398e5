"""Helpers of the client's simulator-backed tests.

Seed credentials, an admin client, a clock shared with the simulator, and the collection of
every secret the simulator knows.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterable
from typing import Any

import httpx

from pagerduty_operator.pagerduty import (
    ApiToken,
    ClientMetrics,
    Clock,
    Credential,
    Endpoints,
    LimiterRegistry,
    PagerDutyClient,
    RateLimitConfig,
    RetryPolicy,
    SystemClock,
)
from support.sim_seed import (
    CHECKOUT_KEY,
    EU_CLIENT_SECRET,
    EU_FULL,
    US_CLIENT_SECRET,
    US_FULL,
    US_READ_ONLY,
    US_REFRESH_TOKEN,
    US_USER_KEY,
)

SEED_SECRETS = (
    US_FULL,
    US_READ_ONLY,
    US_USER_KEY,
    EU_FULL,
    US_CLIENT_SECRET,
    EU_CLIENT_SECRET,
    US_REFRESH_TOKEN,
    CHECKOUT_KEY,
)

# Keys of the simulator's state dump whose values are secrets.
_SECRET_KEYS = {"token", "client_secret", "secret", "integration_key", "routing_key"}


class SecretBook:
    """Secrets known during one test: the seed's, plus the simulator's state at teardown."""

    def __init__(self) -> None:
        self.values: set[str] = set(SEED_SECRETS)


class Admin:
    """The simulator's admin API (`/_simulator/`)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url + "/_simulator", timeout=30.0)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _json(self, method: str, path: str, body: Any = None) -> Any:
        response = await self.http.request(method, path, json=body)
        response.raise_for_status()
        return response.json() if response.content else None

    async def fault(self, **spec: Any) -> None:
        await self._json("POST", "/faults", spec)

    async def clear_faults(self) -> None:
        await self._json("DELETE", "/faults")

    async def config(self, **settings: Any) -> None:
        await self._json("PUT", "/config", settings)

    async def advance(self, seconds: float) -> None:
        await self._json("POST", "/clock/advance", {"seconds": seconds})

    async def state(self) -> dict[str, Any]:
        data: dict[str, Any] = await self._json("GET", "/state")
        return data

    async def mark(self) -> int:
        """The sequence number of the newest logged request (count what comes after it)."""
        data = await self._json("GET", "/requests?entries=false")
        return int(data["last_seq"])

    async def requests(self, since: int = 0) -> list[dict[str, Any]]:
        data = await self._json("GET", f"/requests?since={since}")
        entries: list[dict[str, Any]] = data["requests"]
        return entries

    async def statuses(self, since: int = 0, route: str | None = None) -> list[int]:
        return [
            int(r["status"])
            for r in await self.requests(since)
            if route is None or r["route"] == route
        ]

    async def secrets(self) -> set[str]:
        """Every secret value in the simulator's state (keys, tokens, signing secrets...)."""
        found: set[str] = set()

        def walk(node: Any, key: str = "") -> None:
            if isinstance(node, dict):
                if "name" in node and "value" in node and isinstance(node["value"], str):
                    found.add(node["value"])  # custom header values
                for k, v in node.items():
                    walk(v, k)
            elif isinstance(node, list):
                for item in node:
                    walk(item, key)
            elif isinstance(node, str) and key in _SECRET_KEYS and len(node) >= 6:
                found.add(node)

        walk(await self.state())
        return found


class LinkedClock(SystemClock):
    """Client time that moves with the simulator's clock: a sleep advances both, instantly.

    Rate-limit windows, backoffs and token expiry then run on a shared virtual time, so a test
    can cover minutes of pacing in a second of real time, without asserting on wall time.
    """

    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.offset = 0.0
        self.slept = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def time(self) -> float:
        return time.time() + self.offset

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        self.offset += seconds
        self.slept += seconds
        await self.admin.advance(seconds)


def make_pd_client(
    base_url: str,
    credential: Credential | None = None,
    *,
    region: str = "us",
    clock: Clock | None = None,
    config: RateLimitConfig | None = None,
    retry_policy: RetryPolicy | None = None,
    attempt_timeout: float | None = 10.0,
    metrics: ClientMetrics | None = None,
) -> PagerDutyClient:
    """A client of the simulator with its own limiter registry (no sharing between tests)."""
    clock = clock or SystemClock()
    registry = LimiterRegistry(config=config or RateLimitConfig(), clock=clock)
    return PagerDutyClient(
        credential or ApiToken(US_FULL),
        endpoints=Endpoints.single_host(base_url, region="eu" if region == "eu" else "us"),
        limiters=registry,
        retry_policy=retry_policy or RetryPolicy(base_delay=0.05, max_delay=0.5),
        attempt_timeout=attempt_timeout,
        clock=clock,
        rng=random.Random(11),
        metrics=metrics or ClientMetrics(),
    )


def leaks(texts: Iterable[str], secrets: Iterable[str]) -> list[str]:
    """The secrets that appear in any of the texts (empty when nothing leaked)."""
    blob = "\n".join(texts)
    return sorted(s for s in set(secrets) if s and s in blob)

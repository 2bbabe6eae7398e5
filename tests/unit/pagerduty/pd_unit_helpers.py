"""Helpers of the client's unit tests: virtual clocks and clients on `httpx.MockTransport`."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Coroutine
from typing import Any

import httpx

from pagerduty_operator.pagerduty import (
    ApiToken,
    ClientMetrics,
    Credential,
    Endpoints,
    PagerDutyClient,
    RateLimitConfig,
    RateLimiter,
    RetryPolicy,
)
from support.virtual_clock import SchedulerClock as SchedulerClock  # re-exported

BASE = "https://pd.test"
API_KEY = "unit-test-api-token-7f3a9c"

Handler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
)


class FakeClock:
    """Virtual time: `sleep` moves time forward instead of waiting."""

    def __init__(self, wall_start: float = 1_700_000_000.0) -> None:
        self.now = 0.0
        self.wall_start = wall_start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.wall_start + self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.now += seconds


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json", **(headers or {})},
    )


def make_client(
    handler: Handler,
    *,
    clock: FakeClock | SchedulerClock,
    credential: Credential | None = None,
    retry_policy: RetryPolicy | None = None,
    limiter: RateLimiter | None = None,
    attempt_timeout: float | None = 5.0,
    metrics: ClientMetrics | None = None,
) -> PagerDutyClient:
    """A client on a MockTransport, a virtual clock and a private (unbounded) limiter."""
    return PagerDutyClient(
        credential or ApiToken(API_KEY),
        endpoints=Endpoints.single_host(BASE),
        transport=httpx.MockTransport(handler),
        limiter=limiter
        or RateLimiter(RateLimitConfig(requests_per_minute=60_000, burst=1000), clock=clock),
        retry_policy=retry_policy or RetryPolicy(),
        attempt_timeout=attempt_timeout,
        clock=clock,
        rng=random.Random(7),
        metrics=metrics or ClientMetrics(),
    )

"""The limiter on virtual time: budget never exceeded, servers of several kinds, 429 handling."""

from __future__ import annotations

import asyncio
import math
import random
from collections import deque

import httpx
import pytest
from pd_unit_helpers import FakeClock, SchedulerClock, make_client

from pagerduty_operator.pagerduty import (
    ApiToken,
    LimiterRegistry,
    RateLimitConfig,
    RateLimiter,
    RetryPolicy,
)


def _max_in_any_window(times: list[float], window: float = 60.0) -> int:
    best = 0
    start = 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_bucket_keeps_every_minute_under_the_budget(clock: FakeClock) -> None:
    limiter = RateLimiter(RateLimitConfig(requests_per_minute=960), clock=clock)
    times = []
    for _ in range(2500):
        await limiter.acquire()
        limiter.release(status=200)
        times.append(clock.now)
    assert _max_in_any_window(times) <= 960 * 0.99
    achieved = (len(times) - 16) / times[-1] * 60
    assert achieved >= 960 * 0.96, achieved
    assert limiter.stats.acquired == 2500
    assert limiter.stats.waits >= 2500 - 16 - 1


def test_config_rate_and_capacity() -> None:
    cfg = RateLimitConfig(requests_per_minute=960)
    assert cfg.capacity == 16
    assert cfg.capacity + cfg.rate * 60 == pytest.approx(960 * 0.99)
    low = RateLimitConfig(requests_per_minute=30)
    assert low.capacity == 1
    assert low.capacity + low.rate * 60 <= 30
    with pytest.raises(ValueError, match="requests_per_minute"):
        RateLimitConfig(requests_per_minute=0)


class VirtualServer:
    """A PagerDuty-like REST endpoint in virtual time with a chosen rate-limit algorithm.

    Each request takes `latency` seconds each way, so many are in flight at once.
    """

    def __init__(
        self,
        clock: SchedulerClock,
        limit: int,
        kind: str,
        *,
        latency: float = 0.02,
        external_per_second: float = 0.0,
    ):
        self.clock = clock
        self.latency = latency
        self.limit = limit
        self.kind = kind
        self.external = external_per_second
        self.window_start: float | None = None
        self.used = 0
        self.log: deque[float] = deque()
        self.served = 0
        self.rejected = 0
        self.last_external = 0.0

    def _external_requests(self, now: float) -> None:
        if not self.external:
            return
        due = int(now * self.external) - int(self.last_external * self.external)
        self.last_external = now
        for _ in range(due):
            self._count(now)

    def _count(self, now: float) -> tuple[bool, int, int]:
        if self.kind == "fixed":
            if self.window_start is None or now - self.window_start >= 60:
                self.window_start, self.used = now, 0
            reset = max(1, math.ceil(self.window_start + 60 - now))
            if self.used >= self.limit:
                return False, 0, reset
            self.used += 1
            return True, self.limit - self.used, reset
        while self.log and now - self.log[0] >= 60:
            self.log.popleft()
        reset = max(1, math.ceil(self.log[0] + 60 - now)) if self.log else 60
        if len(self.log) >= self.limit:
            return False, 0, reset
        self.log.append(now)
        return True, self.limit - len(self.log), reset

    async def handler(self, request: httpx.Request) -> httpx.Response:
        await self.clock.sleep(self.latency)
        response = self._process()
        await self.clock.sleep(self.latency)
        return response

    def _process(self) -> httpx.Response:
        now = self.clock.now
        self._external_requests(now)
        allowed, remaining, reset = self._count(now)
        headers = {
            "ratelimit-limit": str(self.limit),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(reset),
        }
        if not allowed:
            self.rejected += 1
            return httpx.Response(429, headers=headers)
        self.served += 1
        return httpx.Response(200, json={"ok": True}, headers=headers)


async def _drive(
    clock: SchedulerClock,
    server: VirtualServer,
    *,
    total: int,
    workers: int,
    config: RateLimitConfig,
) -> RateLimiter:
    limiter = RateLimiter(config, clock=clock, rng=random.Random(5))
    client = make_client(
        server.handler, clock=clock, limiter=limiter, retry_policy=RetryPolicy(max_rate_limited=50)
    )
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await client.get_json("/services")

    async with client:
        await clock.run(asyncio.gather(*(worker() for _ in range(workers))))
    return limiter


@pytest.mark.parametrize("kind", ["fixed", "sliding"])
async def test_paces_at_the_budget_without_429(kind: str) -> None:
    clock = SchedulerClock()
    server = VirtualServer(clock, limit=960, kind=kind)
    limiter = await _drive(clock, server, total=2400, workers=25, config=RateLimitConfig())
    assert server.rejected == 0
    assert limiter.stats.rate_limited == 0
    assert server.served == 2400
    lower_bound = 2400 / 16
    assert clock.now / lower_bound <= 1.05, clock.now


@pytest.mark.parametrize("kind", ["fixed", "sliding"])
async def test_learns_a_lower_server_limit(kind: str) -> None:
    clock = SchedulerClock()
    server = VirtualServer(clock, limit=120, kind=kind)
    limiter = await _drive(clock, server, total=400, workers=10, config=RateLimitConfig())
    assert limiter.config.requests_per_minute == 120
    assert limiter.stats.learned_limit == 120
    assert server.rejected == 0
    assert server.served == 400
    assert clock.now / (400 / 2) <= 1.1


@pytest.mark.parametrize("kind", ["fixed", "sliding"])
async def test_the_initial_burst_needs_the_remaining_header(kind: str) -> None:
    # Control for the test above: without following `ratelimit-remaining`, the requests sent
    # before the lower limit was learned push the first window over it.
    clock = SchedulerClock()
    server = VirtualServer(clock, limit=120, kind=kind)
    config = RateLimitConfig(follow_remaining=False)
    await _drive(clock, server, total=400, workers=10, config=config)
    assert server.rejected > 0


@pytest.mark.parametrize(("follow", "expect_429"), [(True, False), (False, True)])
async def test_follows_remaining_when_someone_else_spends_the_budget(
    follow: bool, expect_429: bool
) -> None:
    # Another client spends a third of the same budget; only the headers reveal it.
    clock = SchedulerClock()
    server = VirtualServer(clock, limit=120, kind="fixed", external_per_second=40 / 60)
    config = RateLimitConfig(requests_per_minute=120, follow_remaining=follow)
    limiter = await _drive(clock, server, total=300, workers=5, config=config)
    assert server.served >= 300
    assert (server.rejected > 0) is expect_429
    assert limiter.stats.rate_limited == server.rejected


@pytest.mark.parametrize("seed", range(20))
async def test_429_waits_reset_plus_jitter(seed: int) -> None:
    # After the pause the bucket is empty, so the first request also waits one pacing interval
    # (1/rate): no burst follows a 429.
    clock = FakeClock()
    config = RateLimitConfig(jitter=1.0)
    limiter = RateLimiter(config, clock=clock, rng=random.Random(seed))
    await limiter.acquire()
    limiter.release(status=429, headers={"ratelimit-reset": "20", "ratelimit-remaining": "0"})
    waited = await limiter.acquire()
    assert 20.0 < waited <= 21.0 + 1 / config.rate + 1e-9
    assert limiter.stats.rate_limited == 1
    assert limiter.stats.pauses == 1


async def test_429_jitter_spreads_the_waits() -> None:
    config = RateLimitConfig(jitter=1.0)
    waits = []
    for seed in range(20):
        clock = FakeClock()
        limiter = RateLimiter(config, clock=clock, rng=random.Random(seed))
        await limiter.acquire()
        limiter.release(status=429, headers={"ratelimit-reset": "20"})
        waits.append(await limiter.acquire())
    assert max(waits) - min(waits) > 0.5


async def test_429_without_headers_backs_off_exponentially(clock: FakeClock) -> None:
    limiter = RateLimiter(RateLimitConfig(jitter=0.0, headerless_backoff=2.0), clock=clock)
    waits = []
    for _ in range(4):
        await limiter.acquire()
        limiter.release(status=429)
        waits.append(await limiter.acquire())
        limiter.release(status=None)
    assert waits == pytest.approx([2.0, 4.0, 8.0, 16.0], abs=0.1)


async def test_pauses_when_remaining_is_spent_by_requests_in_flight(clock: FakeClock) -> None:
    limiter = RateLimiter(RateLimitConfig(), clock=clock)
    for _ in range(3):
        await limiter.acquire()
    assert limiter.inflight == 3
    limiter.release(status=200, headers={"ratelimit-remaining": "2", "ratelimit-reset": "7"})
    limiter.release(status=200)
    limiter.release(status=200)
    waited = await limiter.acquire()
    assert waited == pytest.approx(7.0, abs=0.1)


async def test_ignores_garbage_headers(clock: FakeClock) -> None:
    limiter = RateLimiter(RateLimitConfig(), clock=clock)
    await limiter.acquire()
    limiter.release(
        status=200,
        headers={"ratelimit-limit": "lots", "ratelimit-remaining": "-3", "ratelimit-reset": "nan"},
    )
    assert limiter.config.requests_per_minute == 960
    assert await limiter.acquire() == 0.0


async def test_waiters_are_served_in_order(clock: FakeClock) -> None:
    limiter = RateLimiter(RateLimitConfig(requests_per_minute=60, burst=1), clock=clock)
    order: list[int] = []

    async def take(i: int) -> None:
        await limiter.acquire()
        order.append(i)
        limiter.release(status=200)

    await asyncio.gather(*(take(i) for i in range(8)))
    assert order == list(range(8))


def test_registry_shares_one_limiter_per_credential() -> None:
    registry = LimiterRegistry()
    a1 = registry.for_fingerprint(ApiToken("registry-token-aaaaaa").fingerprint)
    a2 = registry.for_fingerprint(ApiToken("registry-token-aaaaaa").fingerprint)
    b = registry.for_fingerprint(ApiToken("registry-token-bbbbbb").fingerprint)
    assert a1 is a2
    assert a1 is not b
    assert len(registry.stats()) == 2
    a1.stats.rate_limited = 2
    b.stats.rate_limited = 3
    assert registry.totals().rate_limited == 5
    for key in registry.stats():
        assert "registry-token" not in key


async def test_clients_of_one_credential_share_the_budget() -> None:
    clock = SchedulerClock()
    server = VirtualServer(clock, limit=120, kind="fixed")
    registry = LimiterRegistry(config=RateLimitConfig(requests_per_minute=120), clock=clock)
    token = "shared-credential-token-1"
    clients = [
        make_client(
            server.handler,
            clock=clock,
            credential=ApiToken(token),
            limiter=registry.for_fingerprint(ApiToken(token).fingerprint),
        )
        for _ in range(4)
    ]

    async def run(client_index: int) -> None:
        for _ in range(60):
            await clients[client_index].get_json("/services")

    await clock.run(asyncio.gather(*(run(i) for i in range(4))))
    for client in clients:
        await client.aclose()
    assert server.rejected == 0
    assert server.served == 240
    assert len(registry.stats()) == 1


def test_a_shared_limiter_survives_a_new_event_loop() -> None:
    limiter = RateLimiter(RateLimitConfig(requests_per_minute=6000, burst=1))

    async def contend() -> None:
        async def one() -> None:
            await limiter.acquire()
            limiter.release(status=200)

        await asyncio.gather(one(), one(), one())  # the third waits on the lock

    asyncio.run(contend())
    asyncio.run(contend())
    assert limiter.stats.acquired == 6

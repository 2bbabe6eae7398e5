"""Rate limiting and faults against the simulator: pacing, 429 storms, 5xx, drops, ambiguity.

Waits run on :class:`LinkedClock`, shared with the simulator, so minutes of pacing take a
moment of real time; assertions are on counts and on that virtual time, never on wall time.
"""

from __future__ import annotations

import asyncio

import pytest
from pd_sim_helpers import Admin, LinkedClock, make_pd_client

from pagerduty_operator.pagerduty import (
    AmbiguousWriteError,
    PagerDutyClient,
    RetryPolicy,
    ServerError,
)
from pagerduty_operator.pagerduty.resources import (
    NewWebhookSubscription,
    WebhookFilter,
    WebhookSubscriptionUpdate,
)
from pagerduty_simulator import SimulatorConfig, SimulatorServer
from support.sim_seed import CHECKOUT, WEB

SERVICE_ROUTE = "/services/{id}"
CREATE_ROUTE = "/webhook_subscriptions"


def _new(marker: str) -> NewWebhookSubscription:
    return NewWebhookSubscription(
        url=f"https://hooks.example/{marker}",
        events=["incident.triggered"],
        filter=WebhookFilter.service(WEB),
        description=f"pagerduty-operator marker {marker}",
    )


async def _count_by_marker(pd: PagerDutyClient, marker: str) -> int:
    subs = await pd.webhooks.list("service", WEB)
    return sum(1 for s in subs if (s.description or "").endswith(marker))


@pytest.mark.parametrize("limit", [60, 120])
async def test_paces_under_a_low_server_limit_with_zero_429(
    sim: SimulatorServer, admin: Admin, clock: LinkedClock, limit: int
) -> None:
    await admin.config(rate_limit_per_minute=limit)
    total = int(limit * 2.5)
    # The client starts believing PagerDuty's default (960/min) and learns the lower limit.
    async with make_pd_client(sim.us_url, clock=clock) as client:
        start = clock.monotonic()
        remaining = total

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await client.services.get(CHECKOUT, include_integrations=False)

        await asyncio.gather(*(worker() for _ in range(8)))
        elapsed = clock.monotonic() - start
        limiter = client.limiter
    statuses = await admin.statuses(route=SERVICE_ROUTE)
    assert statuses.count(200) == total
    assert 429 not in statuses
    assert limiter.stats.rate_limited == 0
    assert limiter.config.requests_per_minute == limit
    # Never over the budget (a count per window); how close it gets is bench/client_ratelimit.py's.
    assert total / elapsed * 60 <= limit


@pytest.mark.parametrize("headers", [True, False])
async def test_recovers_from_a_429_storm(admin: Admin, pd: PagerDutyClient, headers: bool) -> None:
    await admin.fault(
        path="/services/*", rate_limit=True, count=5, reset_seconds=3, rate_limit_headers=headers
    )
    service = await pd.services.get(CHECKOUT)
    assert service.id == CHECKOUT
    assert await admin.statuses(route=SERVICE_ROUTE) == [429] * 5 + [200]
    assert pd.limiter.stats.rate_limited == 5
    assert pd.limiter.stats.pauses == 5
    assert pd.metrics.rate_limited == 5


async def test_429_storm_shared_by_concurrent_callers(
    admin: Admin, pd: PagerDutyClient, clock: LinkedClock
) -> None:
    await admin.fault(path="/services/*", rate_limit=True, count=6, reset_seconds=2)
    results = await asyncio.gather(*(pd.services.get(CHECKOUT) for _ in range(10)))
    assert {r.id for r in results} == {CHECKOUT}
    statuses = await admin.statuses(route=SERVICE_ROUTE)
    assert statuses.count(429) == 6
    assert statuses.count(200) == 10
    assert clock.slept >= 2  # everyone waited for the reset


async def test_5xx_burst_on_reads_is_retried(admin: Admin, pd: PagerDutyClient) -> None:
    await admin.fault(path="/services/*", status=503, count=3)
    service = await pd.services.get(CHECKOUT)
    assert service.id == CHECKOUT
    assert await admin.statuses(route=SERVICE_ROUTE) == [503, 503, 503, 200]


async def test_5xx_beyond_the_retry_budget(
    sim: SimulatorServer, admin: Admin, clock: LinkedClock
) -> None:
    await admin.fault(path="/services/*", status=500, count=10)
    policy = RetryPolicy(max_attempts=3, base_delay=0.1)
    async with make_pd_client(sim.us_url, clock=clock, retry_policy=policy) as client:
        with pytest.raises(ServerError) as info:
            await client.services.get(CHECKOUT)
    assert info.value.attempts == 3
    assert await admin.statuses(route=SERVICE_ROUTE) == [500, 500, 500]


async def test_dropped_connections_on_reads_and_puts_are_retried(
    admin: Admin, pd: PagerDutyClient
) -> None:
    created = await pd.webhooks.create(_new("drop-put"))
    await admin.fault(path="/services/*", drop=True, count=2)
    await admin.fault(
        method="PUT", path="/webhook_subscriptions/*", drop=True, count=1, after_handler=True
    )
    assert (await pd.services.get(CHECKOUT)).id == CHECKOUT
    assert await admin.statuses(route=SERVICE_ROUTE) == [0, 0, 200]
    updated = await pd.webhooks.update(created.id, WebhookSubscriptionUpdate(active=False))
    assert updated.active is False


@pytest.mark.parametrize(
    ("fault", "happened"),
    [
        ({"status": 500, "after_handler": True}, True),
        ({"status": 502}, False),
        ({"drop": True, "after_handler": True}, True),
        ({"drop": True}, False),
    ],
)
async def test_ambiguous_create_is_not_repeated(
    admin: Admin, pd: PagerDutyClient, fault: dict[str, object], happened: bool
) -> None:
    marker = f"m-{abs(hash(str(fault))) % 10_000}"
    await admin.fault(method="POST", path=CREATE_ROUTE, count=1, **fault)
    with pytest.raises(AmbiguousWriteError) as info:
        await pd.webhooks.create(_new(marker))
    assert info.value.method == "POST"
    assert info.value.path == CREATE_ROUTE
    posts = [
        r for r in await admin.requests() if r["route"] == CREATE_ROUTE and r["method"] == "POST"
    ]
    assert len(posts) == 1
    # The caller looks before it retries: the marker tells whether the create happened.
    assert await _count_by_marker(pd, marker) == (1 if happened else 0)
    if not happened:
        await pd.webhooks.create(_new(marker))
    assert await _count_by_marker(pd, marker) == 1
    assert pd.metrics.ambiguous_writes == 1


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(delivery_retry_delays=(0.01,), delivery_timeout_seconds=1.0)


async def test_slow_responses_hit_the_attempt_deadline(
    sim: SimulatorServer, admin: Admin, clock: LinkedClock
) -> None:
    await admin.fault(path="/services/*", delay=1.0, count=1)
    await admin.fault(method="POST", path=CREATE_ROUTE, delay=1.0, count=1, after_handler=True)
    async with make_pd_client(sim.us_url, clock=clock, attempt_timeout=0.3) as client:
        assert (await client.services.get(CHECKOUT)).id == CHECKOUT
        with pytest.raises(AmbiguousWriteError) as info:
            await client.webhooks.create(_new("slow"))
        metrics = client.metrics
    assert info.value.cause == "deadline_exceeded"
    assert metrics.requests[("GET", SERVICE_ROUTE, "deadline_exceeded")] == 1
    assert metrics.requests[("GET", SERVICE_ROUTE, "200")] == 1
    assert metrics.requests[("POST", CREATE_ROUTE, "deadline_exceeded")] == 1
    assert metrics.total_requests() == 3

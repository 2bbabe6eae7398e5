"""The core request function on MockTransport: headers, retries, ambiguity, logging, counters."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest
from pd_unit_helpers import API_KEY, FakeClock, json_response, make_client

from pagerduty_operator.pagerduty import (
    AmbiguousWriteError,
    AuthenticationError,
    ClientMetrics,
    MalformedResponseError,
    NotFoundError,
    RateLimitConfig,
    RateLimitedError,
    RateLimiter,
    RetryPolicy,
    ServerError,
    UnreachableError,
)

SUB = {
    "id": "PSUB001",
    "type": "webhook_subscription",
    "active": True,
    "events": ["incident.triggered"],
    "filter": {"type": "account_reference"},
    "delivery_method": {"type": "http_delivery_method", "url": "https://hooks.example/pd"},
}


async def test_headers_url_and_json(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response(200, {"webhook_subscription": SUB})

    async with make_client(handler, clock=clock) as client:
        await client.send_json(
            "PUT", "/webhook_subscriptions/{id}", path_params={"id": "A/B"}, json={"x": 1}
        )
    (request,) = seen
    assert request.headers["authorization"] == f"Token token={API_KEY}"
    assert request.headers["accept"] == "application/vnd.pagerduty+json;version=2"
    assert request.headers["content-type"] == "application/json"
    assert request.url.raw_path == b"/webhook_subscriptions/A%2FB"
    assert json.loads(request.content) == {"x": 1}


async def test_query_lists_and_booleans(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response(200, {})

    async with make_client(handler, clock=clock) as client:
        await client.get_json(
            "/services/{id}",
            path_params={"id": "P1"},
            params={"include[]": ["integrations", "teams"], "total": True},
        )
    assert seen[0].url.params.get_list("include[]") == ["integrations", "teams"]
    assert seen[0].url.params["total"] == "true"


async def test_get_retries_5xx_then_succeeds(clock: FakeClock) -> None:
    statuses = iter([500, 502, 200])
    metrics = ClientMetrics()

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(statuses)
        if status == 200:
            return json_response(200, {"ok": True})
        return httpx.Response(
            status, content=b"<html>oops</html>", headers={"content-type": "text/html"}
        )

    async with make_client(handler, clock=clock, metrics=metrics) as client:
        assert await client.get_json("/services") == {"ok": True}
    assert len(clock.sleeps) == 2
    assert clock.sleeps[1] > clock.sleeps[0] * 0.9 or clock.sleeps[1] >= 0.5
    assert metrics.requests[("GET", "/services", "500")] == 1
    assert metrics.requests[("GET", "/services", "502")] == 1
    assert metrics.requests[("GET", "/services", "200")] == 1
    assert sum(metrics.retries.values()) == 2


async def test_get_gives_up_after_bounded_attempts(clock: FakeClock) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503)

    policy = RetryPolicy(max_attempts=3)
    async with make_client(handler, clock=clock, retry_policy=policy) as client:
        with pytest.raises(ServerError) as info:
            await client.get_json("/services")
    assert calls == 3
    assert info.value.attempts == 3
    assert info.value.status == 503


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_post_create_5xx_is_ambiguous_and_not_repeated(clock: FakeClock, status: int) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(status)

    async with make_client(handler, clock=clock) as client:
        with pytest.raises(AmbiguousWriteError) as info:
            await client.send_json("POST", "/webhook_subscriptions", json={})
    assert calls == 1
    assert info.value.status == status
    assert info.value.cause == f"http_{status}"
    assert client.metrics.ambiguous_writes == 1


@pytest.mark.parametrize(
    "exc", [httpx.ReadTimeout("t"), httpx.RemoteProtocolError("dropped"), httpx.ReadError("reset")]
)
async def test_post_create_maybe_sent_is_ambiguous(clock: FakeClock, exc: Exception) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise exc

    async with make_client(handler, clock=clock) as client:
        with pytest.raises(AmbiguousWriteError):
            await client.send_json("POST", "/webhook_subscriptions", json={})
    assert calls == 1


async def test_post_connect_error_is_retried_because_nothing_was_sent(clock: FakeClock) -> None:
    outcomes: list[Exception | None] = [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("t"),
        None,
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return json_response(200, {"webhook_subscription": SUB})

    async with make_client(handler, clock=clock) as client:
        data = await client.send_json("POST", "/webhook_subscriptions", json={})
    assert data["webhook_subscription"]["id"] == "PSUB001"
    assert outcomes == []


async def test_post_marked_idempotent_is_retried(clock: FakeClock) -> None:
    statuses = iter([502, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(next(statuses), {"webhook_subscription": SUB})

    async with make_client(handler, clock=clock) as client:
        sub = await client.webhooks.enable("PSUB001")
    assert sub.id == "PSUB001"


async def test_get_connection_failures_end_as_unreachable(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset")

    async with make_client(
        handler, clock=clock, retry_policy=RetryPolicy(max_attempts=2)
    ) as client:
        with pytest.raises(UnreachableError) as info:
            await client.get_json("/services")
    assert info.value.status is None
    assert "read_error" in str(info.value)


async def test_slow_response_hits_the_attempt_deadline(clock: FakeClock) -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(30)
        return json_response(200, {"ok": 1})

    async with make_client(handler, clock=clock, attempt_timeout=0.05) as client:
        assert await client.get_json("/services") == {"ok": 1}
        assert calls == 2
        calls = 0
        with pytest.raises(AmbiguousWriteError) as info:
            await client.send_json("POST", "/webhook_subscriptions", json={})
    assert calls == 1
    assert info.value.cause == "deadline_exceeded"


async def test_429_without_headers_or_body_is_waited_out(clock: FakeClock) -> None:
    statuses = iter([429, 429, 200])
    limiter = RateLimiter(
        RateLimitConfig(requests_per_minute=6000, burst=10, jitter=0.0), clock=clock
    )

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(statuses)
        return httpx.Response(429) if status == 429 else json_response(200, {"ok": 1})

    async with make_client(handler, clock=clock, limiter=limiter) as client:
        assert await client.get_json("/services") == {"ok": 1}
    assert limiter.stats.rate_limited == 2
    assert limiter.stats.waits >= 2
    # 2 s then 4 s of headerless backoff, in virtual time
    assert clock.now >= 6.0
    assert client.metrics.rate_limited == 2


async def test_429_post_is_retried_and_gives_up_as_rate_limited(clock: FakeClock) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return json_response(
            429,
            {"error": {"message": "Rate Limit Exceeded", "code": 2020}},
            {"ratelimit-reset": "1"},
        )

    policy = RetryPolicy(max_rate_limited=2)
    async with make_client(handler, clock=clock, retry_policy=policy) as client:
        with pytest.raises(RateLimitedError) as info:
            await client.send_json("POST", "/webhook_subscriptions", json={})
    assert calls == 3
    assert info.value.code == 2020
    assert info.value.retry_after == 1.0


async def test_4xx_is_not_retried(clock: FakeClock) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(404)

    async with make_client(handler, clock=clock) as client:
        with pytest.raises(NotFoundError):
            await client.get_json("/webhook_subscriptions/{id}", path_params={"id": "X"})
    assert calls == 1


async def test_401_with_api_token_is_final(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(401, {"error": {"message": "Authentication failed", "code": 2006}})

    async with make_client(handler, clock=clock) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.get_json("/services")
    assert info.value.code == 2006
    assert API_KEY not in str(info.value)


@pytest.mark.parametrize(
    ("content", "ctype"),
    [(b"<html>maintenance</html>", "text/html"), (b"{not json", "application/json"), (b"", "")],
)
async def test_malformed_success_bodies(clock: FakeClock, content: bytes, ctype: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=content, headers={"content-type": ctype} if ctype else {}
        )

    async with make_client(handler, clock=clock) as client:
        with pytest.raises(MalformedResponseError) as info:
            await client.get_json("/services")
    assert "maintenance" not in str(info.value)


async def test_wrong_shape_is_malformed_and_names_fields_not_values(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {
            "webhook_subscription": {"id": "X", "delivery_method": {"secret": "whsec-shape-777"}}
        }
        return json_response(200, body)

    async with make_client(handler, clock=clock) as client:
        with pytest.raises(MalformedResponseError) as info:
            await client.webhooks.get("X")
    assert "whsec-shape-777" not in str(info.value)
    assert "filter" in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


async def test_debug_log_line_per_attempt(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    statuses = iter([500, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(next(statuses), {"ok": 1})

    with caplog.at_level(logging.DEBUG, logger="pagerduty_operator.pagerduty"):
        async with make_client(handler, clock=clock) as client:
            await client.get_json("/webhook_subscriptions/{id}", path_params={"id": "PSECRETID"})
    lines = [r for r in caplog.records if r.name == "pagerduty_operator.pagerduty.transport"]
    assert len(lines) == 2
    first, second = lines
    assert first.pd_method == "GET"  # type: ignore[attr-defined]
    assert first.pd_path == "/webhook_subscriptions/{id}"  # type: ignore[attr-defined]
    assert first.pd_status == "500"  # type: ignore[attr-defined]
    assert first.pd_attempt == 1  # type: ignore[attr-defined]
    assert second.pd_attempt == 2  # type: ignore[attr-defined]
    assert isinstance(second.pd_duration_ms, float)  # type: ignore[attr-defined]
    assert "GET /webhook_subscriptions/{id} -> 200" in second.getMessage()
    assert "PSECRETID" not in caplog.text
    assert API_KEY not in caplog.text

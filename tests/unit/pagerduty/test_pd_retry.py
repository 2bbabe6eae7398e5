"""The one mapping from failures to retry decisions."""

from __future__ import annotations

import random

import httpx
import pytest

from pagerduty_operator.pagerduty.retry import (
    Action,
    CallState,
    FailureKind,
    RetryPolicy,
    classify_exception,
    classify_status,
    decide,
    is_idempotent,
)

POLICY = RetryPolicy(max_attempts=4, max_rate_limited=3, base_delay=0.5, max_delay=4.0)


def _decide(kind: FailureKind, idempotent: bool, state: CallState | None = None) -> Action:
    return decide(
        kind,
        idempotent=idempotent,
        state=state or CallState(),
        policy=POLICY,
        rng=random.Random(1),
    ).action


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ConnectError("refused"), FailureKind.NOT_SENT),
        (httpx.ConnectTimeout("slow"), FailureKind.NOT_SENT),
        (httpx.PoolTimeout("pool"), FailureKind.NOT_SENT),
        (httpx.ReadTimeout("slow"), FailureKind.MAYBE_SENT),
        (httpx.WriteTimeout("slow"), FailureKind.MAYBE_SENT),
        (httpx.RemoteProtocolError("dropped"), FailureKind.MAYBE_SENT),
        (httpx.ReadError("reset"), FailureKind.MAYBE_SENT),
        (TimeoutError(), FailureKind.MAYBE_SENT),
        (httpx.UnsupportedProtocol("ftp"), FailureKind.FINAL),
        (ValueError("x"), None),
    ],
)
def test_classify_exception(exc: BaseException, kind: FailureKind | None) -> None:
    assert classify_exception(exc) is kind


@pytest.mark.parametrize(
    ("status", "renewable", "kind"),
    [
        (429, False, FailureKind.RATE_LIMITED),
        (500, False, FailureKind.SERVER_ERROR),
        (503, True, FailureKind.SERVER_ERROR),
        (401, True, FailureKind.AUTH_REJECTED),
        (401, False, FailureKind.FINAL),
        (404, True, FailureKind.FINAL),
        (400, False, FailureKind.FINAL),
    ],
)
def test_classify_status(status: int, renewable: bool, kind: FailureKind) -> None:
    assert classify_status(status, renewable_auth=renewable) is kind


@pytest.mark.parametrize(
    ("kind", "idempotent", "action"),
    [
        (FailureKind.NOT_SENT, True, Action.RETRY),
        (FailureKind.NOT_SENT, False, Action.RETRY),
        (FailureKind.MAYBE_SENT, True, Action.RETRY),
        (FailureKind.MAYBE_SENT, False, Action.AMBIGUOUS),
        (FailureKind.SERVER_ERROR, True, Action.RETRY),
        (FailureKind.SERVER_ERROR, False, Action.AMBIGUOUS),
        (FailureKind.RATE_LIMITED, True, Action.RETRY),
        (FailureKind.RATE_LIMITED, False, Action.RETRY),
        (FailureKind.AUTH_REJECTED, False, Action.REFRESH_AUTH),
        (FailureKind.FINAL, True, Action.RAISE),
    ],
)
def test_first_failure(kind: FailureKind, idempotent: bool, action: Action) -> None:
    assert _decide(kind, idempotent) is action


def test_methods() -> None:
    assert all(is_idempotent(m) for m in ("GET", "put", "DELETE", "HEAD"))
    assert not is_idempotent("POST")


def test_transient_retries_are_bounded() -> None:
    state = CallState()
    actions = [_decide(FailureKind.SERVER_ERROR, True, state) for _ in range(5)]
    assert actions[:3] == [Action.RETRY] * 3
    assert actions[3] is Action.RAISE  # 4 attempts in all


def test_rate_limited_retries_are_bounded_separately() -> None:
    state = CallState()
    _decide(FailureKind.SERVER_ERROR, True, state)
    actions = [_decide(FailureKind.RATE_LIMITED, True, state) for _ in range(4)]
    assert actions == [Action.RETRY, Action.RETRY, Action.RETRY, Action.RAISE]
    assert state.transient_failures == 1


def test_auth_is_renewed_only_once() -> None:
    state = CallState()
    assert _decide(FailureKind.AUTH_REJECTED, True, state) is Action.REFRESH_AUTH
    assert _decide(FailureKind.AUTH_REJECTED, True, state) is Action.RAISE


def test_backoff_grows_with_jitter_and_cap() -> None:
    rng = random.Random(3)
    for failures, (low, high) in {
        1: (0.25, 0.5),
        2: (0.5, 1.0),
        3: (1.0, 2.0),
        6: (2.0, 4.0),
    }.items():
        delays = [POLICY.backoff(failures, rng) for _ in range(200)]
        assert all(low <= d <= high for d in delays)
        assert len(set(delays)) > 100  # jittered


def test_retry_after_is_honoured_within_the_cap() -> None:
    state = CallState()
    decision = decide(
        FailureKind.SERVER_ERROR,
        idempotent=True,
        state=state,
        policy=POLICY,
        rng=random.Random(1),
        retry_after=3.0,
    )
    assert decision.delay == 3.0
    decision = decide(
        FailureKind.SERVER_ERROR,
        idempotent=True,
        state=CallState(),
        policy=POLICY,
        rng=random.Random(1),
        retry_after=600.0,
    )
    assert decision.delay == POLICY.max_delay

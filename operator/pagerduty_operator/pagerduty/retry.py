"""The one mapping from a failed attempt to what happens next.

Every failure is first classified (:func:`classify_exception`, :func:`classify_status`), then
:func:`decide` turns the class, whether the call is idempotent and the call's history into one
:class:`Decision`:

- *not sent* (connect error or timeout, pool timeout): retried with backoff, bounded, for every
  call, since PagerDuty never saw the request;
- *maybe sent* (read/write timeout, dropped connection, per-attempt deadline) and *5xx*: retried
  with backoff (or `Retry-After`), bounded, for idempotent calls (GET/PUT/DELETE, or a POST
  marked idempotent); a non-idempotent write (a POST create) is **ambiguous**: never repeated,
  the caller gets :class:`~pagerduty_operator.pagerduty.errors.AmbiguousWriteError`;
- *429*: retried after the rate limiter's wait, bounded (a 429 was not processed);
- *401 with a renewable token*: the token is renewed once and the call retried;
- anything else: the typed error is raised.

Backoff is exponential with "equal jitter" (half fixed, half random), capped.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from enum import StrEnum

import httpx

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class FailureKind(StrEnum):
    """Why an attempt failed, as far as retrying is concerned."""

    NOT_SENT = "not_sent"
    MAYBE_SENT = "maybe_sent"
    SERVER_ERROR = "server_error"
    RATE_LIMITED = "rate_limited"
    AUTH_REJECTED = "auth_rejected"
    FINAL = "final"


class Action(StrEnum):
    """What the transport does after a failed attempt."""

    RETRY = "retry"
    REFRESH_AUTH = "refresh_auth"
    RAISE = "raise"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class Decision:
    action: Action
    delay: float = 0.0
    reason: str = ""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of the retry loop.

    `max_attempts` bounds attempts lost to transient failures (timeouts, connection errors, 5xx);
    `max_rate_limited` bounds the 429s one call tolerates (the limiter does the waiting).
    """

    max_attempts: int = 4
    max_rate_limited: int = 8
    base_delay: float = 0.5
    max_delay: float = 10.0

    def backoff(self, failures: int, rng: random.Random) -> float:
        """Delay before the retry that follows the `failures`-th transient failure."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** max(failures - 1, 0))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass
class CallState:
    """What one call has been through so far; :func:`decide` updates it."""

    transient_failures: int = 0
    rate_limited: int = 0
    auth_refreshed: bool = False


def is_idempotent(method: str) -> bool:
    return method.upper() in IDEMPOTENT_METHODS


def classify_exception(exc: BaseException) -> FailureKind | None:
    """Classify an exception raised while sending; `None` means it is not a transport failure."""
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return FailureKind.FINAL  # a configuration problem: retrying cannot help
    if isinstance(
        exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.ProxyError
    ):
        return FailureKind.NOT_SENT
    if isinstance(exc, httpx.TransportError | asyncio.TimeoutError):
        # Read/write timeouts, a connection dropped mid-exchange, protocol errors, and the
        # per-attempt deadline: the request may have reached PagerDuty.
        return FailureKind.MAYBE_SENT
    return None


def classify_status(status: int, *, renewable_auth: bool) -> FailureKind:
    if status == 429:
        return FailureKind.RATE_LIMITED
    if status >= 500:
        return FailureKind.SERVER_ERROR
    if status == 401 and renewable_auth:
        return FailureKind.AUTH_REJECTED
    return FailureKind.FINAL


def decide(
    kind: FailureKind,
    *,
    idempotent: bool,
    state: CallState,
    policy: RetryPolicy,
    rng: random.Random,
    retry_after: float | None = None,
) -> Decision:
    """Decide what follows a failed attempt, and record the failure in `state`."""
    if kind is FailureKind.RATE_LIMITED:
        state.rate_limited += 1
        if state.rate_limited > policy.max_rate_limited:
            return Decision(Action.RAISE, reason="rate limited too many times")
        return Decision(Action.RETRY, reason="rate limited; the limiter paces the retry")
    if kind is FailureKind.AUTH_REJECTED:
        if state.auth_refreshed:
            return Decision(Action.RAISE, reason="rejected again after renewing the token")
        state.auth_refreshed = True
        return Decision(Action.REFRESH_AUTH, reason="token rejected; renewing it once")
    if kind is FailureKind.FINAL:
        return Decision(Action.RAISE, reason="not retryable")
    if kind is not FailureKind.NOT_SENT and not idempotent:
        return Decision(Action.AMBIGUOUS, reason="a non-idempotent write may have happened")
    state.transient_failures += 1
    if state.transient_failures >= policy.max_attempts:
        return Decision(Action.RAISE, reason="transient failures exhausted the retries")
    delay = policy.backoff(state.transient_failures, rng)
    if retry_after is not None and kind is FailureKind.SERVER_ERROR:
        delay = min(max(retry_after, delay), policy.max_delay)
    return Decision(Action.RETRY, delay=delay, reason=f"transient failure ({kind.value})")

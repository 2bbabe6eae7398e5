"""Client-side rate limiting: one limiter per credential, shared by every caller.

PagerDuty allows 960 REST requests per minute per credential (account key, user, OAuth app per
account) and answers `ratelimit-limit`, `ratelimit-remaining` and `ratelimit-reset` (seconds until
the window resets) on each response; over the budget it answers 429, sometimes without headers or
body. The operator shares that budget between every reconcile, so the limiter is the place that
decides how fast it converges and whether it ever sees a 429.

How a :class:`RateLimiter` paces:

- A token bucket refills at `(limit * utilization - burst) / 60` tokens per second and holds at most
  `burst` tokens, so *any* 60-second interval carries at most `limit * utilization` requests: under
  the budget whatever the server's window alignment (fixed or sliding), with a small margin.
- The limit is learned from `ratelimit-limit` (a server configured lower or higher than the
  default is followed after the first response).
- When a response says the window is nearly spent (`ratelimit-remaining` no larger than the
  requests still in flight, plus one kept in reserve), every caller waits for `ratelimit-reset`:
  this covers other clients spending the same budget.
- When the server's window would run out at the current pace before it resets (fewer remaining
  requests than the bucket would send until `ratelimit-reset`), the pace drops to what is left
  for the rest of that window.
- On a 429 every caller waits `ratelimit-reset` plus jitter; a 429 without headers waits an
  exponential backoff (2 s, 4 s, ... capped) plus jitter.

Callers are served first come, first served. Counters (:class:`LimiterStats`) count waits, seconds
waited, pauses and 429s. :class:`LimiterRegistry` hands out the shared limiter for a credential
fingerprint (a hash, never the secret).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .clock import SYSTEM_CLOCK, Clock

DEFAULT_REQUESTS_PER_MINUTE = 960


@dataclass(frozen=True)
class RateLimitConfig:
    """Tuning of a limiter. The defaults suit PagerDuty's documented REST budget."""

    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE
    utilization: float = 0.99
    """Fraction of the budget any 60-second interval may carry."""
    burst: int = 16
    """Most requests sent back to back after an idle period (capped at one second of budget)."""
    learn_limit: bool = True
    """Follow `ratelimit-limit` from responses."""
    follow_remaining: bool = True
    """Slow down or pause according to `ratelimit-remaining`/`ratelimit-reset`."""
    jitter: float = 1.0
    """Upper bound of the random extra wait after a 429, in seconds."""
    headerless_backoff: float = 2.0
    """First wait after a 429 without `ratelimit-reset`; doubles per consecutive 429."""
    max_headerless_backoff: float = 60.0
    max_reset_wait: float = 120.0
    """Longest wait the limiter accepts from a `ratelimit-reset` header."""

    def __post_init__(self) -> None:
        if self.requests_per_minute < 1:
            raise ValueError("requests_per_minute must be at least 1")
        if not 0 < self.utilization <= 1:
            raise ValueError("utilization must be in (0, 1]")

    @property
    def capacity(self) -> float:
        return float(max(1, min(self.burst, self.requests_per_minute // 60)))

    @property
    def rate(self) -> float:
        """Tokens per second such that capacity + 60 s of refill stays within the budget."""
        budget = self.requests_per_minute * self.utilization
        return max(budget - self.capacity, budget / 2) / 60.0


@dataclass
class LimiterStats:
    """Counters of one limiter (plain numbers, for export by the operator)."""

    acquired: int = 0
    waits: int = 0
    wait_seconds: float = 0.0
    rate_limited: int = 0
    pauses: int = 0
    learned_limit: int | None = None


@dataclass
class _Window:
    """What the server last told about its window."""

    until: float = 0.0
    remaining_rate: float | None = None


def _header_number(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    if value != value or value < 0:  # NaN or negative
        return None
    return value


class RateLimiter:
    """A token bucket for one credential, adapted by the server's rate-limit headers."""

    def __init__(
        self,
        config: RateLimitConfig | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config or RateLimitConfig()
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = asyncio.Lock()
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._tokens = self._config.capacity
        self._last = clock.monotonic()
        self._paused_until = 0.0
        self._window = _Window()
        self._inflight = 0
        self._consecutive_429 = 0
        self.stats = LimiterStats()

    @property
    def config(self) -> RateLimitConfig:
        return self._config

    @property
    def inflight(self) -> int:
        return self._inflight

    def _rate(self, now: float) -> float:
        rate = self._config.rate
        window = self._window
        if window.remaining_rate is not None and now < window.until:
            rate = min(rate, window.remaining_rate)
        return rate

    def _refill(self, now: float) -> None:
        elapsed = now - self._last
        if elapsed > 0:
            self._tokens = min(self._config.capacity, self._tokens + elapsed * self._rate(now))
            self._last = now

    def _wait_needed(self, now: float) -> float:
        if now < self._paused_until:
            return self._paused_until - now
        if self._tokens >= 1:
            return 0.0
        rate = self._rate(now)
        deficit = (1 - self._tokens) / rate if rate > 0 else 0.0
        if self._window.remaining_rate == 0 and now < self._window.until:
            deficit = max(deficit, self._window.until - now)
        return max(deficit, 1e-6)

    async def acquire(self) -> float:
        """Wait for permission to send one request; returns the seconds waited.

        Every call must be followed by exactly one :meth:`release` once the response (or the
        failure) is known.
        """
        start = self._clock.monotonic()
        waited = False
        loop = asyncio.get_running_loop()
        if self._lock_loop is not loop:  # a process-wide limiter may outlive an event loop
            self._lock, self._lock_loop = asyncio.Lock(), loop
        async with self._lock:
            while True:
                now = self._clock.monotonic()
                self._refill(now)
                delay = self._wait_needed(now)
                if delay <= 0:
                    break
                waited = True
                await self._clock.sleep(delay)
            self._tokens -= 1
            self._inflight += 1
        seconds = max(self._clock.monotonic() - start, 0.0)
        self.stats.acquired += 1
        if waited:
            self.stats.waits += 1
            self.stats.wait_seconds += seconds
        return seconds

    def release(self, *, status: int | None, headers: Mapping[str, str] | None = None) -> None:
        """Record the outcome of a request sent after :meth:`acquire`."""
        self._inflight = max(self._inflight - 1, 0)
        now = self._clock.monotonic()
        hdrs = headers or {}
        limit = _header_number(hdrs, "ratelimit-limit")
        remaining = _header_number(hdrs, "ratelimit-remaining")
        reset = _header_number(hdrs, "ratelimit-reset")
        if reset is not None:
            reset = min(reset, self._config.max_reset_wait)
        if status == 429:
            self._on_429(now, reset)
            return
        if status is None:
            return
        self._consecutive_429 = 0
        if limit is not None and self._config.learn_limit:
            self._learn(now, int(limit))
        if self._config.follow_remaining and remaining is not None and reset is not None:
            self._follow(now, remaining, reset)

    def _learn(self, now: float, limit: int) -> None:
        if limit < 1 or limit == self._config.requests_per_minute:
            return
        self._refill(now)
        self._config = replace(self._config, requests_per_minute=limit)
        self._tokens = min(self._tokens, self._config.capacity)
        self.stats.learned_limit = limit

    def _follow(self, now: float, remaining: float, reset: float) -> None:
        # Requests still in flight were (probably) not counted in `remaining` yet; one request is
        # kept in reserve for whoever else spends this budget.
        spendable = remaining - self._inflight - 1
        if spendable <= 0:
            self._pause(now, reset)
            self._window = _Window(until=now + reset, remaining_rate=0.0)
            return
        if reset <= 0:
            self._window = _Window()
            return
        paced = self._config.rate * reset + self._tokens
        if spendable < paced:
            self._refill(now)
            self._window = _Window(until=now + reset, remaining_rate=spendable / reset)
        else:
            self._window = _Window()

    def _pause(self, now: float, seconds: float) -> None:
        until = now + seconds
        if until > self._paused_until:
            self._refill(now)
            self._paused_until = until
            self._tokens = min(self._tokens, 0.0)
            self._last = until
            self.stats.pauses += 1

    def _on_429(self, now: float, reset: float | None) -> None:
        self.stats.rate_limited += 1
        self._consecutive_429 += 1
        if reset is None:
            wait = min(
                self._config.headerless_backoff * 2 ** (self._consecutive_429 - 1),
                self._config.max_headerless_backoff,
            )
        else:
            wait = reset
        self._pause(now, wait + self._rng.uniform(0, self._config.jitter))


@dataclass
class LimiterRegistry:
    """The shared limiters, keyed by credential fingerprint; one per credential per process."""

    config: RateLimitConfig = field(default_factory=RateLimitConfig)
    clock: Clock = SYSTEM_CLOCK
    _limiters: dict[str, RateLimiter] = field(default_factory=dict)

    def for_fingerprint(self, fingerprint: str) -> RateLimiter:
        """The limiter for this credential, created on first use."""
        limiter = self._limiters.get(fingerprint)
        if limiter is None:
            limiter = RateLimiter(self.config, clock=self.clock)
            self._limiters[fingerprint] = limiter
        return limiter

    def stats(self) -> dict[str, LimiterStats]:
        """Counters per fingerprint."""
        return {fingerprint: lim.stats for fingerprint, lim in self._limiters.items()}

    def totals(self) -> LimiterStats:
        """Counters summed over every credential."""
        total = LimiterStats()
        for lim in self._limiters.values():
            total.acquired += lim.stats.acquired
            total.waits += lim.stats.waits
            total.wait_seconds += lim.stats.wait_seconds
            total.rate_limited += lim.stats.rate_limited
            total.pauses += lim.stats.pauses
        return total


_DEFAULT_REGISTRY = LimiterRegistry()


def default_registry() -> LimiterRegistry:
    """The process-wide registry used when a client is not given one."""
    return _DEFAULT_REGISTRY

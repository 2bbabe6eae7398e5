"""Per-credential REST rate limiting in fixed one-minute windows on the simulator clock."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pagerduty_simulator.clock import Clock

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        """PagerDuty's `ratelimit-*` response headers (`reset` is seconds until the window ends)."""
        return {
            "ratelimit-limit": str(self.limit),
            "ratelimit-remaining": str(self.remaining),
            "ratelimit-reset": str(self.reset_seconds),
        }


class RateLimiter:
    """Counts requests per key; a window opens at a key's first request and lasts a minute."""

    def __init__(self, clock: Clock, limit_per_minute: int) -> None:
        self._clock = clock
        self.limit_per_minute = limit_per_minute
        self._windows: dict[str, tuple[float, int]] = {}

    def reset(self) -> None:
        """Forget every window."""
        self._windows.clear()

    def check(self, key: str) -> RateDecision | None:
        """Count one request for `key`; None when rate limiting is off."""
        limit = self.limit_per_minute
        if limit <= 0:
            return None
        now = self._clock.time()
        start, used = self._windows.get(key, (now, 0))
        if now - start >= WINDOW_SECONDS:
            start, used = now, 0
        reset = max(1, math.ceil(start + WINDOW_SECONDS - now))
        if used >= limit:
            self._windows[key] = (start, used)
            return RateDecision(False, limit, 0, reset)
        used += 1
        self._windows[key] = (start, used)
        return RateDecision(True, limit, limit - used, reset)

"""A controllable clock: real time plus an offset that tests advance through the admin API.

Token expiry, rate-limit windows and webhook retry waits all read this clock, so a test can
jump a day ahead without sleeping.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime


class Clock:
    """Wall-clock seconds that can be moved forward, with sleeps that wake up on a jump."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    @property
    def offset(self) -> float:
        """Seconds the clock has been advanced in total."""
        return self._offset

    def time(self) -> float:
        """Seconds since the epoch, including every advance."""
        return time.time() + self._offset

    def now(self) -> datetime:
        """The current simulated time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def iso(self) -> str:
        """The current simulated time in PagerDuty's ISO 8601 form (`2024-01-01T12:00:00Z`)."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def advance(self, seconds: float) -> None:
        """Move the clock forward and wake every pending `sleep`."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
            waiters = list(self._waiters)
        for loop, event in waiters:
            if loop.is_closed():
                continue
            loop.call_soon_threadsafe(event.set)

    def reset(self) -> None:
        """Return to real time (used by a full simulator reset)."""
        with self._lock:
            self._offset = 0.0

    async def sleep(self, seconds: float) -> None:
        """Wait until `seconds` of simulated time have passed (real time or an advance)."""
        deadline = self.time() + seconds
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        entry = (loop, event)
        with self._lock:
            self._waiters.append(entry)
        try:
            while (remaining := deadline - self.time()) > 0:
                event.clear()
                try:
                    await asyncio.wait_for(event.wait(), timeout=remaining)
                except TimeoutError:
                    continue
        finally:
            with self._lock:
                self._waiters.remove(entry)


def iso_millis(moment: datetime) -> str:
    """`2020-10-02T18:45:22.169Z`, the timestamp format of webhook events."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

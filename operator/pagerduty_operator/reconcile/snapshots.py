"""Shared, refreshed snapshots of PagerDuty objects that many resources read on every resync.

A `Snapshots` holds the last value read of each key (an orchestration path, a service's
`active` flag), when that read started, and which resources read it. A resync reads the
snapshot while it is at most `max_age` (1.5 resync intervals) old instead of fetching its own,
so N rules of one path cost one read per interval instead of N. Every read is compared with the
value it replaces; the resources whose part differs are kicked (`Refresher`, which also re-reads
each watched key one interval after its last read started). Values this process wrote replace
the snapshot without a comparison: they are what the operator wanted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Hashable
from typing import Generic, TypeVar

from pagerduty_operator.reconcile.refresh import MAX_AGE_INTERVALS, Dependent, Refresher

T = TypeVar("T")
Diff = Callable[[T, T], Collection[str] | None]
"""The items (resource keys) that differ between two values; empty: none; None: every one."""


class Snapshots(Generic[T]):
    """Last read values by key, single-flight reads, and kicks for what changed."""

    def __init__(self, refresher: Refresher, diff: Diff[T], max_age: float | None = None) -> None:
        self.refresher = refresher
        self.max_age = refresher.interval * MAX_AGE_INTERVALS if max_age is None else max_age
        self._diff = diff
        self._values: dict[Hashable, tuple[float, T]] = {}
        self._in_flight: dict[Hashable, tuple[float, asyncio.Task[T]]] = {}
        self.reads = 0

    def fresh(self, key: Hashable) -> T | None:
        """The value of `key` if read (or written) at most `max_age` ago."""
        held = self._values.get(key)
        if held is None or self.max_age <= 0 or time.monotonic() - held[0] > self.max_age:
            return None
        return held[1]

    def watch(
        self,
        key: Hashable,
        dependent: Dependent,
        fetch: Callable[[], Awaitable[T]],
        item: str | None = None,
    ) -> None:
        """`dependent` reads `key` (its part `item`): refresh it every interval, kick on change."""

        async def refresh() -> None:
            await self.read(key, fetch)

        self.refresher.watch(key, dependent, refresh, item)

    async def get(self, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> T:
        """The fresh value of `key`, else a new read."""
        value = self.fresh(key)
        return value if value is not None else await self.read(key, fetch)

    async def read(self, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> T:
        """Read `key` now (joining a read that started at most a moment ago) and record it."""
        now = time.monotonic()
        in_flight = self._in_flight.get(key)
        if in_flight is not None and in_flight[0] >= now - 0.5:
            return await asyncio.shield(in_flight[1])

        async def run() -> T:
            try:
                self.reads += 1
                try:
                    value = await fetch()
                except Exception:
                    self._forget(key, now)  # its next reader reads again and meets the failure
                    raise
                await self.observed(key, value, now)
                return value
            finally:
                if self._in_flight.get(key, (None, None))[0] == now:
                    self._in_flight.pop(key, None)

        task = asyncio.create_task(run())
        self._in_flight[key] = (now, task)
        return await asyncio.shield(task)

    def _forget(self, key: Hashable, started_at: float) -> None:
        held = self._values.get(key)
        if held is not None and held[0] <= started_at:
            del self._values[key]

    async def observed(self, key: Hashable, value: T, started_at: float) -> None:
        """Record a value read from PagerDuty (the read started at `started_at`); kick changes."""
        self.refresher.fetched(key, started_at)
        held = self._values.get(key)
        if held is not None and held[0] > started_at:
            return  # a newer read or write is already recorded
        self._values[key] = (started_at, value)
        if held is None:
            return
        changed = self._diff(held[1], value)
        if changed is None or changed:
            await self.refresher.changed(key, changed)

    def wrote(self, key: Hashable, value: T, started_at: float | None = None) -> None:
        """Record a value this process just wrote (no comparison: it is the intended state)."""
        at = time.monotonic() if started_at is None else started_at
        held = self._values.get(key)
        if held is None or held[0] <= at:
            self._values[key] = (at, value)

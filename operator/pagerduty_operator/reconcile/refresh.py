"""Drift within one resync interval at one read per PagerDuty object per interval.

Resyncs read shared snapshots (a scope's webhook listing, an orchestration path, a service's
`active` flag) instead of fetching one each: per-object timers are spread over the interval, so
a snapshot reused by them is up to an interval old and a change made in PagerDuty right after it
was taken would be seen only by the resync after next (up to two intervals). The `Refresher`
closes that gap from the other side: it fetches each watched snapshot again one interval after
its last fetch started (whoever made it), the snapshot's owner compares the new snapshot with the
one it replaces, and the objects whose part differs are reconciled at once (a kick). A deletion
or edit made in PagerDuty at time t is therefore seen by a fetch that starts at most one interval
after t and corrected (or reported) right away: within one interval plus a reconcile, whatever
the timing, for one fetch per snapshot per interval.

Objects watch a key on every reconcile; a watch not renewed for `STALE_INTERVALS` intervals (the
object is gone, or uses another key now) lapses, and a key nobody watches is no longer fetched.
A failed fetch kicks every watcher, so each reports the failure (a revoked scope, a lost
credential) through its own call within the same interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Hashable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

Dependent = tuple[str, str, str]
"""(plural, namespace, name) of a custom resource that reads a snapshot."""
Kick = Callable[[str, str, str], Awaitable[None]]
Fetch = Callable[[], Awaitable[object]]

STALE_INTERVALS = 3.0
MAX_AGE_INTERVALS = 1.5
"""Resyncs reuse a snapshot up to this many intervals old. The refresher renews it every
interval; the extra half keeps a resync that fires just before a renewal lands from making a
read of its own (the refresher's read finds drift in time either way)."""


@dataclass
class _Watched:
    fetch: Fetch
    last_start: float = float("-inf")
    dependents: dict[Dependent, tuple[str | None, float]] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None


class Refresher:
    """Re-fetches every watched snapshot once per `interval` and kicks what changed in it."""

    def __init__(
        self,
        interval: float,
        kick: Kick | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self.kick = kick
        self._clock = clock
        self._sleep = sleep
        self._keys: dict[Hashable, _Watched] = {}
        self.refreshes = 0

    def watch(
        self, key: Hashable, dependent: Dependent, fetch: Fetch, item: str | None = None
    ) -> None:
        """`dependent` reads snapshot `key` (its part `item`, if the owner tells parts apart).

        `fetch` takes a new snapshot (and reports it through `fetched` and `changed`).
        """
        watched = self._keys.get(key)
        if watched is None:  # its first watcher reads it now: the first refresh is due after
            watched = self._keys[key] = _Watched(fetch, last_start=self._clock())
        watched.fetch = fetch  # the newest client of a rotated credential
        watched.dependents[dependent] = (item, self._clock())
        if self.interval > 0 and (watched.task is None or watched.task.done()):
            with contextlib.suppress(RuntimeError):  # no running loop: nothing to schedule
                watched.task = asyncio.get_running_loop().create_task(self._loop(key))

    def fetched(self, key: Hashable, started_at: float) -> None:
        """A fetch of `key` started at `started_at` (monotonic): the next one is due after it."""
        watched = self._keys.get(key)
        if watched is not None and started_at > watched.last_start:
            watched.last_start = started_at

    def last_start(self, key: Hashable) -> float:
        watched = self._keys.get(key)
        return watched.last_start if watched is not None else float("-inf")

    async def changed(self, key: Hashable, items: Collection[str] | None = None) -> None:
        """Kick the dependents of `key` whose item is among `items` (every one if None)."""
        watched = self._keys.get(key)
        if watched is None or self.kick is None:
            return
        for dependent, (item, _) in list(watched.dependents.items()):
            if items is None or item is None or item in items:
                await self.kick(*dependent)

    def dependents(self, key: Hashable) -> list[Dependent]:
        watched = self._keys.get(key)
        return list(watched.dependents) if watched is not None else []

    def _prune(self, watched: _Watched) -> None:
        oldest = self._clock() - STALE_INTERVALS * self.interval
        for dependent, (_, seen) in list(watched.dependents.items()):
            if seen < oldest:
                del watched.dependents[dependent]

    async def _loop(self, key: Hashable) -> None:
        while True:
            watched = self._keys.get(key)
            if watched is None:
                return
            wait = watched.last_start + self.interval - self._clock()
            if wait > 0:
                await self._sleep(wait)
                continue
            self._prune(watched)
            if not watched.dependents:
                self._keys.pop(key, None)
                return
            watched.last_start = self._clock()  # a failed fetch is not retried at once
            self.refreshes += 1
            try:
                await watched.fetch()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # each watcher's own call reports it
                log.info("a snapshot refresh failed (%s)", type(error).__name__)
                await self.changed(key)

    async def close(self) -> None:
        tasks = [w.task for w in self._keys.values() if w.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._keys.clear()

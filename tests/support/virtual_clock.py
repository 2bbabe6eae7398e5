"""Virtual time for unit tests: sleeps end when the test says, never by waiting."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable
from typing import Any


class SchedulerClock:
    """Virtual time driven like a discrete-event simulation.

    `sleep` parks the caller until virtual time reaches its deadline; :meth:`run` lets every
    runnable task run, then jumps time to the earliest deadline. Concurrent sleeps overlap, as
    they would in real time, so latency and pacing can be combined.
    """

    def __init__(self, wall_start: float = 1_700_000_000.0) -> None:
        self.now = 0.0
        self.wall_start = wall_start
        self._seq = itertools.count()
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.wall_start + self.now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (self.now + seconds, next(self._seq), future))
        await future

    async def run(self, coro: Awaitable[Any]) -> Any:
        task = asyncio.ensure_future(coro)
        while not task.done():
            for _ in range(10):
                await asyncio.sleep(0)
                if task.done():
                    break
            if task.done():
                continue
            if not self._waiters:
                task.cancel()
                raise RuntimeError("virtual time deadlock: tasks wait but nobody sleeps")
            deadline, _, future = heapq.heappop(self._waiters)
            self.now = max(self.now, deadline)
            if not future.done():
                future.set_result(None)
        return task.result()

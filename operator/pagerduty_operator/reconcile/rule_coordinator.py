"""Serialised, coalesced read-modify-write of orchestration paths.

PagerDuty's PUT replaces a whole path, so every change to one path goes through one worker: it
gathers the changes that arrive together (until none came for 50 ms; batches of one path at least
a second apart), reads the path once, applies them all (`edit_sets`), writes once if anything
changed, and answers every caller. N rule changes arriving together cost one GET and one PUT
instead of N of each. A lone change (the path idle, nothing arrived for `LONE_GAP`) waits for
nothing: it is applied at once, and only what follows it closely is gathered. A PUT PagerDuty
refuses as invalid is retried in halves, so one bad rule fails alone.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from pagerduty_operator.pagerduty import InvalidInputError, PagerDutyClient
from pagerduty_operator.pagerduty.resources.orchestrations import (
    OrchestrationPath,
    OrchestrationWarning,
    PathKind,
)
from pagerduty_operator.reconcile.rule_desired import Owner
from pagerduty_operator.reconcile.rule_path_edit import (
    Change,
    Inspect,
    RuleResult,
    edit_sets,
    locate_results,
)

GATHER_SECONDS = 0.05
"""A batch closes once no change arrived for this long..."""
MAX_GATHER_SECONDS = 1.0
"""...or once it has been gathering this long, however busy the path..."""
MIN_BATCH_INTERVAL = 1.0
"""...but a path's batches start at least this far apart: a burst of changes spread over T
seconds (kopf and the apiserver deliver them one by one) costs about T PUTs, not one per gap."""
LONE_GAP = 0.1
"""A change that finds its path idle, with no other change for this long, is applied at once:
no gather window and no batch interval (one change at a time is not a burst)."""


@dataclass(frozen=True)
class PathRef:
    """One orchestration path: a service's, or a global orchestration's global/router path."""

    kind: PathKind
    id: str


@dataclass
class Applied:
    """What a change came to: the rule's place, and PagerDuty's warnings if a PUT was made."""

    result: RuleResult
    wrote: bool
    warnings: list[OrchestrationWarning] | None = None


class PathObserver(Protocol):
    """Told of every read and write of a path (the resyncs' shared snapshots)."""

    async def path_read(
        self, client: PagerDutyClient, ref: PathRef, path: OrchestrationPath, started_at: float
    ) -> None: ...

    def path_written(
        self, client: PagerDutyClient, ref: PathRef, path: OrchestrationPath, started_at: float
    ) -> None: ...


@dataclass
class _Pending:
    change: Change
    futures: list[asyncio.Future[Applied]] = field(default_factory=list)


@dataclass
class PathStats:
    gets: int = 0
    puts: int = 0
    batches: int = 0


class _PathWorker:
    def __init__(
        self,
        client: PagerDutyClient,
        ref: PathRef,
        stats: PathStats,
        lock: asyncio.Lock,
        observer: PathObserver | None = None,
    ) -> None:
        self.client = client
        self.observer = observer
        self.ref = ref
        self.stats = stats
        self.lock = lock  # shared by every worker of this path (one per credential)
        self.pending: dict[Owner, _Pending] = {}
        self.task: asyncio.Task[None] | None = None
        self.arrivals = 0
        self.last_batch = float("-inf")
        self.last_arrival = float("-inf")
        self.lone = False

    def submit(self, change: Change) -> asyncio.Future[Applied]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Applied] = loop.create_future()
        now = loop.time()
        idle = self.task is None or self.task.done()
        # A lone change starts no burst: the path is idle and was quiet for LONE_GAP.
        lone = idle and not self.pending and now - self.last_arrival >= LONE_GAP
        self.last_arrival = now
        self.arrivals += 1
        entry = self.pending.get(change.owner)
        if entry is None:
            self.pending[change.owner] = _Pending(change, [future])
        else:  # the newest change of an owner wins; every caller gets its outcome
            entry.change = change
            entry.futures.append(future)
        if idle:
            self.lone = lone
            self.task = asyncio.create_task(self._run())
        return future

    async def _gather(self) -> None:
        """Wait while changes keep arriving, within the bounds above."""
        loop = asyncio.get_running_loop()
        if self.lone:
            self.lone = False
            await asyncio.sleep(0)  # changes submitted in the same tick still join
            self.last_batch = loop.time()
            return
        not_before = self.last_batch + MIN_BATCH_INTERVAL
        deadline = max(loop.time() + MAX_GATHER_SECONDS, not_before)
        while True:
            seen = self.arrivals
            await asyncio.sleep(max(0.0, min(GATHER_SECONDS, deadline - loop.time())))
            now = loop.time()
            if now >= deadline or (self.arrivals == seen and now >= not_before):
                self.last_batch = now
                return

    async def _run(self) -> None:
        while self.pending:
            await self._gather()
            batch, self.pending = self.pending, {}
            self.stats.batches += 1
            try:
                outcomes = await self._apply([p.change for p in batch.values()])
            except Exception as error:  # every caller of the batch sees the failure
                outcomes = dict.fromkeys(batch, error)
            for owner, entry in batch.items():
                outcome = outcomes[owner]
                for future in entry.futures:
                    if future.done():
                        continue
                    if isinstance(outcome, Exception):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)

    async def _apply(self, changes: list[Change]) -> dict[Owner, Applied | Exception]:
        async with self.lock:  # another credential's read-modify-write of the path waits
            self.stats.gets += 1
            started = time.monotonic()
            path = await self.client.orchestrations.get_path(self.ref.kind, self.ref.id)
            if self.observer is not None:
                await self.observer.path_read(self.client, self.ref, path, started)
            outcomes: dict[Owner, Applied | Exception] = {}
            sets = [dict(s) for s in path.get("sets", [])]
            await self._write(path, sets, changes, outcomes)
            return outcomes

    async def _write(
        self,
        path: OrchestrationPath,
        sets: list[dict[str, Any]],
        changes: list[Change],
        outcomes: dict[Owner, Applied | Exception],
    ) -> list[dict[str, Any]]:
        """Apply `changes` to `sets` with at most one PUT; return the sets PagerDuty now holds.

        When PagerDuty refuses the PUT as invalid, the changes are split in halves and tried
        again, so a rule PagerDuty refuses fails alone instead of holding back every other rule
        of the batch (and of every later batch it joins).
        """
        orchestrations = self.client.orchestrations
        new_sets, results = edit_sets(
            sets,
            changes,
            path.get("catch_all"),
            route_targets_are_sets=self.ref.kind != "router",
        )
        writes = [c for c in changes if not isinstance(c, Inspect)]
        if not writes or new_sets == sets:
            outcomes.update({o: Applied(r, wrote=False) for o, r in results.items()})
            return sets
        updated: OrchestrationPath = {"sets": new_sets}  # type: ignore[typeddict-item]
        if "catch_all" in path:
            updated["catch_all"] = path["catch_all"]
        self.stats.puts += 1
        started = time.monotonic()
        try:
            response = await orchestrations.put_path(self.ref.kind, self.ref.id, updated)
        except InvalidInputError as error:
            if len(changes) == 1:
                outcomes[changes[0].owner] = error
                return sets
            half = len(changes) // 2
            sets = await self._write(path, sets, changes[:half], outcomes)
            return await self._write(path, sets, changes[half:], outcomes)
        stored = [dict(s) for s in response.path.get("sets", new_sets)]
        if self.observer is not None:
            written = response.path if "sets" in response.path else updated
            self.observer.path_written(self.client, self.ref, written, started)
        placed = locate_results(stored, list(results))
        for owner, result in results.items():
            where = placed[owner]
            if where.found:
                result.rule_id, result.set_id, result.position = (
                    where.rule_id,
                    where.set_id,
                    where.position,
                )
            mine = [
                w
                for w in response.warnings
                if not w.get("rule_id") or w.get("rule_id") == result.rule_id
            ]
            outcomes[owner] = Applied(result, wrote=True, warnings=mine)
        return stored


class PathCoordinator:
    """One worker per (credential, path); callers `submit` changes and await their outcome.

    Integrations with different credentials may share a path (two teams' keys of one account):
    their workers take turns on one lock per path, so neither PUT drops the other's rules.
    """

    def __init__(self, observer: PathObserver | None = None) -> None:
        self.observer = observer
        self._workers: dict[tuple[str, str, str, str], _PathWorker] = {}
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}
        self.stats = PathStats()

    async def submit(self, client: PagerDutyClient, ref: PathRef, change: Change) -> Applied:
        key = (client.endpoints.rest_url, client.credential.fingerprint, ref.kind, ref.id)
        worker = self._workers.get(key)
        if worker is None:
            lock = self._locks.setdefault((key[0], ref.kind, ref.id), asyncio.Lock())
            worker = self._workers[key] = _PathWorker(client, ref, self.stats, lock, self.observer)
        worker.client = client  # a rotated credential of the same identity
        return await asyncio.shield(worker.submit(change))

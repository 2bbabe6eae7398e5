"""Serialised, coalesced read-modify-write of orchestration paths.

PagerDuty's PUT replaces a whole path, so every change to one path goes through one worker: it
gathers the changes of a batch, reads the path once, applies them all (`edit_sets`), writes once
if anything changed, and answers every caller. N rule changes cost one GET and one PUT instead of
N of each, whether they arrive together (one `kubectl apply`) or trickle in over seconds (a client
applying one object at a time, `kubectl delete` of many, kopf delivering them one by one).

A change is lone when its path is idle: no batch running or waiting, and none ended in the last
`MIN_BATCH_INTERVAL`. It waits for nothing: it is applied at once (with what joins in the same
event-loop tick). Any other change joins the path's next batch, which starts `MIN_BATCH_INTERVAL`
after the previous one ended, and then as soon as it holds `FULL_BATCH` changes, no change joined
for `QUIET_SECONDS`, or its oldest change waited `MAX_WAIT_SECONDS`. So a steady trickle costs a
PUT every few seconds, not one per change, and no batch keeps a change waiting longer than
`MAX_WAIT_SECONDS` before it starts. A PUT PagerDuty refuses as invalid is retried in halves, so
one bad rule fails alone.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from pagerduty_operator.pagerduty import SYSTEM_CLOCK, Clock, InvalidInputError, PagerDutyClient
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

MIN_BATCH_INTERVAL = 0.5
"""A path's batches start at least this long after the previous one ended; a change arriving
when the last batch ended longer ago than this (and none is waiting) is lone: applied at once."""
FULL_BATCH = 32
"""Past the interval, a batch of this many changes closes: waiting longer saves little (fewer
than the 50 reconciles the operator runs at once by default, which all wait for their batch)."""
QUIET_SECONDS = 0.5
"""Past the interval, a batch no change joined for this long closes: the burst has ended. Longer
than the gaps of a trickle (kubectl deletes one object about every 150 ms)."""
MAX_WAIT_SECONDS = 3.0
"""A batch closes once its oldest change has waited this long, however busy the path."""
POLL_SECONDS = 0.05
"""How often a gathering batch looks at what joined it."""


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
        clock: Clock,
        observer: PathObserver | None = None,
    ) -> None:
        self.client = client
        self.observer = observer
        self.ref = ref
        self.stats = stats
        self.lock = lock  # shared by every worker of this path (one per credential)
        self.clock = clock
        self.pending: dict[Owner, _Pending] = {}
        self.task: asyncio.Task[None] | None = None
        self.last_batch_end = float("-inf")
        self.first_arrival = float("-inf")  # of the oldest change waiting
        self.last_arrival = float("-inf")
        self.lone = False

    def submit(self, change: Change) -> asyncio.Future[Applied]:
        future: asyncio.Future[Applied] = asyncio.get_running_loop().create_future()
        now = self.clock.monotonic()
        idle = self.task is None or self.task.done()
        if not self.pending:
            self.first_arrival = now
        self.last_arrival = now
        entry = self.pending.get(change.owner)
        if entry is None:
            self.pending[change.owner] = _Pending(change, [future])
        else:  # the newest change of an owner wins; every caller gets its outcome
            entry.change = change
            entry.futures.append(future)
        if idle:
            # Lone: nothing else waits (a new task) and the path was idle for the interval.
            self.lone = now - self.last_batch_end >= MIN_BATCH_INTERVAL
            self.task = asyncio.create_task(self._run())
        return future

    def _closes_at(self) -> float:
        """When the waiting batch closes, as far as is known now (a full one: at once)."""
        opens = self.last_batch_end + MIN_BATCH_INTERVAL
        if len(self.pending) >= FULL_BATCH:
            return opens
        ends = min(self.last_arrival + QUIET_SECONDS, self.first_arrival + MAX_WAIT_SECONDS)
        return max(opens, ends)

    async def _gather(self) -> None:
        """Wait until the batch closes: at once if lone, else by the bounds above."""
        if self.lone:
            self.lone = False
            await asyncio.sleep(0)  # changes submitted in the same tick still join
            return
        while (left := self._closes_at() - self.clock.monotonic()) > 0:
            await self.clock.sleep(min(POLL_SECONDS, left))

    async def _run(self) -> None:
        while self.pending:
            await self._gather()
            batch, self.pending = self.pending, {}
            self.stats.batches += 1
            try:
                outcomes = await self._apply([p.change for p in batch.values()])
            except Exception as error:  # every caller of the batch sees the failure
                outcomes = dict.fromkeys(batch, error)
            finally:
                self.last_batch_end = self.clock.monotonic()
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

    def __init__(self, clock: Clock = SYSTEM_CLOCK, observer: PathObserver | None = None) -> None:
        self.observer = observer
        self._workers: dict[tuple[str, str, str, str], _PathWorker] = {}
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}
        self.clock = clock
        self.stats = PathStats()

    async def submit(self, client: PagerDutyClient, ref: PathRef, change: Change) -> Applied:
        key = (client.endpoints.rest_url, client.credential.fingerprint, ref.kind, ref.id)
        worker = self._workers.get(key)
        if worker is None:
            lock = self._locks.setdefault((key[0], ref.kind, ref.id), asyncio.Lock())
            worker = self._workers[key] = _PathWorker(
                client, ref, self.stats, lock, self.clock, self.observer
            )
        worker.client = client  # a rotated credential of the same identity
        return await asyncio.shield(worker.submit(change))

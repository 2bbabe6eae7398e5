"""The refresher: one read per watched snapshot per interval, and kicks for what changed."""

from __future__ import annotations

import asyncio

import pytest

from pagerduty_operator.reconcile.refresh import STALE_INTERVALS, Dependent, Refresher
from pagerduty_operator.reconcile.snapshots import Snapshots

INTERVAL = 10.0
WEBHOOK: Dependent = ("pagerdutywebhooks", "ns", "a")
OTHER: Dependent = ("pagerdutywebhooks", "ns", "b")
ANY: Dependent = ("pagerdutyincidentrules", "ns", "c")


class VirtualTime:
    """A clock that moves only when the refresher sleeps (no wall-clock time in the tests)."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class Kicks:
    def __init__(self) -> None:
        self.kicked: list[Dependent] = []

    async def __call__(self, plural: str, namespace: str, name: str) -> None:
        self.kicked.append((plural, namespace, name))


def _refresher(time: VirtualTime, kicks: Kicks | None = None) -> Refresher:
    return Refresher(INTERVAL, kicks, clock=time.clock, sleep=time.sleep)


async def _run_until_done(refresher: Refresher, key: str) -> None:
    for _ in range(1000):
        if not refresher.dependents(key) and key not in refresher._keys:
            return
        await asyncio.sleep(0)
    raise AssertionError("the refresher never stopped")


async def test_a_watched_key_is_read_once_per_interval_until_nobody_watches() -> None:
    time = VirtualTime()
    refresher = _refresher(time)
    reads: list[float] = []

    async def fetch() -> None:
        reads.append(time.now)

    refresher.watch("scope", WEBHOOK, fetch, "P1")  # its watcher reads it at 0
    await _run_until_done(refresher, "scope")
    # one read per interval after the last, until the watch (never renewed) lapses
    assert reads == [INTERVAL * k for k in range(1, int(STALE_INTERVALS) + 1)]


async def test_a_read_by_someone_else_postpones_the_refresh() -> None:
    time = VirtualTime()
    refresher = _refresher(time)
    reads: list[float] = []

    async def fetch() -> None:
        reads.append(time.now)

    refresher.watch("scope", WEBHOOK, fetch, "P1")
    refresher.fetched("scope", 4.0)  # a resync's own read started at 4
    refresher.fetched("scope", 2.0)  # an older one changes nothing
    await _run_until_done(refresher, "scope")
    assert reads[:2] == [14.0, 24.0]


async def test_changes_kick_the_dependents_of_the_changed_items() -> None:
    time = VirtualTime()
    kicks = Kicks()
    refresher = _refresher(time, kicks)

    async def fetch() -> None:
        return None

    refresher.watch("scope", WEBHOOK, fetch, "P1")
    refresher.watch("scope", OTHER, fetch, "P2")
    refresher.watch("scope", ANY, fetch)  # no item known yet: every change concerns it
    await refresher.changed("scope", {"P2"})
    assert kicks.kicked == [OTHER, ANY]
    kicks.kicked.clear()
    await refresher.changed("scope")
    assert kicks.kicked == [WEBHOOK, OTHER, ANY]
    await refresher.close()


async def test_a_failed_read_kicks_every_watcher_so_each_reports_it() -> None:
    time = VirtualTime()
    kicks = Kicks()
    refresher = _refresher(time, kicks)

    async def fetch() -> None:
        raise RuntimeError("403")

    refresher.watch("scope", WEBHOOK, fetch, "P1")
    refresher.watch("scope", OTHER, fetch, "P2")
    await _run_until_done(refresher, "scope")
    assert kicks.kicked[:2] == [WEBHOOK, OTHER]
    assert len(kicks.kicked) == 2 * int(STALE_INTERVALS)  # once per interval, not in a loop


async def test_snapshots_kick_only_for_changes_made_elsewhere() -> None:
    kicks = Kicks()
    refresher = Refresher(1000.0, kicks)  # the real clock: no refresh during the test

    def diff(before: dict[str, int], after: dict[str, int]) -> set[str]:
        return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}

    snapshots: Snapshots[dict[str, int]] = Snapshots(refresher, diff)
    stored = {"a": 1, "b": 1}

    async def fetch() -> dict[str, int]:
        return dict(stored)

    snapshots.watch("path", WEBHOOK, fetch, "a")
    snapshots.watch("path", OTHER, fetch, "b")
    assert await snapshots.get("path", fetch) == {"a": 1, "b": 1}
    assert snapshots.reads == 1
    assert await snapshots.get("path", fetch) == {"a": 1, "b": 1}
    assert snapshots.reads == 1, "a fresh snapshot is read again"
    stored["b"] = 2  # this process writes b
    snapshots.wrote("path", dict(stored))
    await snapshots.read("path", fetch)
    assert kicks.kicked == [], "the operator's own write is no drift"
    stored["a"] = 5  # someone edits a in PagerDuty
    await snapshots.read("path", fetch)
    assert kicks.kicked == [WEBHOOK]
    await refresher.close()


async def test_a_failed_read_drops_the_snapshot_so_its_readers_meet_the_failure() -> None:
    refresher = Refresher(1000.0)
    snapshots: Snapshots[int] = Snapshots(refresher, lambda a, b: None if a != b else ())
    answers: list[int | Exception] = [1, RuntimeError("403"), 2]

    async def fetch() -> int:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert await snapshots.get("path", fetch) == 1
    with pytest.raises(RuntimeError):
        await snapshots.read("path", fetch)
    assert snapshots.fresh("path") is None
    assert await snapshots.get("path", fetch) == 2
    await refresher.close()

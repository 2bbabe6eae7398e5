"""Leader-election decisions with a fake clock, and the elector against an in-memory Lease.

The in-memory Lease behaves as the apiserver does for these calls: 404 when absent, 409 on a
create of an existing Lease and on a replace carrying an old resourceVersion. The real apiserver
is exercised by tests/e2e/test_leader_election.py.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from pagerduty_operator.runtime.arguments import add_run_arguments, config_from_arguments
from pagerduty_operator.runtime.leader_election import LeaderElector, Timings
from pagerduty_operator.runtime.lease import ElectionState, LeaseRecord, validate_timings

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _record(holder: str, duration: int = 15, transitions: int = 0, at: float = 0) -> LeaseRecord:
    when = T0 + timedelta(seconds=at)
    return LeaseRecord(holder, duration, when, when, transitions)


# --- the pure decisions -------------------------------------------------------------------------


def test_a_lease_held_by_another_is_valid_for_its_duration_after_it_was_seen() -> None:
    state = ElectionState("me", 15)
    assert state.claim(_record("other"), now=100.0, wall=T0) is None
    assert state.claim(_record("other"), now=114.9, wall=T0) is None  # unchanged record
    taken = state.claim(_record("other"), now=115.0, wall=T0)
    assert taken is not None
    assert taken.holder == "me"
    assert taken.transitions == 1


def test_a_renewal_seen_restarts_the_wait() -> None:
    state = ElectionState("me", 15)
    assert state.claim(_record("other", at=0), now=100.0, wall=T0) is None
    assert state.claim(_record("other", at=10), now=110.0, wall=T0) is None
    assert state.claim(_record("other", at=10), now=124.9, wall=T0) is None
    assert state.claim(_record("other", at=10), now=125.0, wall=T0) is not None


def test_the_lease_duration_comes_from_the_record_not_from_our_settings() -> None:
    state = ElectionState("me", 15)
    assert state.claim(_record("other", duration=60), now=0.0, wall=T0) is None
    assert state.claim(_record("other", duration=60), now=59.0, wall=T0) is None
    assert state.claim(_record("other", duration=60), now=60.0, wall=T0) is not None


def test_a_released_lease_is_free_at_once() -> None:
    state = ElectionState("me", 15)
    released = LeaseRecord("", 1, T0, T0, 4)
    taken = state.claim(released, now=0.0, wall=T0)
    assert taken is not None
    assert taken.transitions == 5


def test_the_holder_renews_keeping_its_acquire_time_and_transitions() -> None:
    state = ElectionState("me", 15)
    mine = _record("me", transitions=3)
    later = T0 + timedelta(seconds=30)
    renewed = state.claim(mine, now=50.0, wall=later)
    assert renewed == LeaseRecord("me", 15, T0, later, 3)
    state.written(renewed, 50.0)
    fast = state.renewal(later + timedelta(seconds=2))
    assert fast is not None
    assert fast.acquire_time == T0
    assert fast.transitions == 3


def test_only_the_leader_has_a_fast_path_and_a_release() -> None:
    state = ElectionState("me", 15)
    state.observe(_record("other"), 0.0)
    assert state.renewal(T0) is None
    assert state.release_record(T0) is None
    state.written(_record("me", transitions=2), 1.0)
    released = state.release_record(T0)
    assert released == LeaseRecord("", 1, T0, T0, 2)


def test_the_record_round_trips_through_the_lease_spec() -> None:
    record = LeaseRecord("me", 15, T0, T0 + timedelta(microseconds=123456), 7)
    spec = record.spec()
    assert spec["renewTime"] == "2026-01-01T00:00:00.123456Z"
    assert LeaseRecord.from_spec(spec) == record
    assert LeaseRecord.from_spec(None) == LeaseRecord("", 0)


@pytest.mark.parametrize(
    ("lease", "renew", "retry"),
    [(10, 10, 2), (15, 10, 9), (15.5, 10, 2), (0, 0.5, 0.1), (15, 10, 0)],
)
def test_timings_are_checked_as_client_go_does(lease: float, renew: float, retry: float) -> None:
    with pytest.raises(ValueError, match="must"):
        validate_timings(lease, renew, retry)


# --- the elector against an in-memory Lease -----------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> datetime:
        return T0 + timedelta(seconds=self.now)

    async def pause(self, seconds: float, done: asyncio.Future[None]) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class MemoryLease:
    """One Lease shared by several candidates' `LeaseApi` views."""

    def __init__(self) -> None:
        self.spec: dict[str, Any] | None = None
        self.version = 0
        self.failing = False


class MemoryLeaseApi:
    namespace = "ns"
    name = "lease"

    def __init__(self, store: MemoryLease) -> None:
        self.store = store
        self.seen: int | None = None

    def _check(self) -> None:
        if self.store.failing:
            raise ApiException(status=503, reason="Service Unavailable")

    async def get(self) -> LeaseRecord | None:
        self._check()
        if self.store.spec is None:
            return None
        self.seen = self.store.version
        return LeaseRecord.from_spec(self.store.spec)

    async def create(self, record: LeaseRecord) -> None:
        self._check()
        if self.store.spec is not None:
            raise ApiException(status=409, reason="AlreadyExists")
        self.store.spec, self.store.version = record.spec(), 1
        self.seen = 1

    async def replace(self, record: LeaseRecord) -> None:
        self._check()
        if self.store.spec is None or self.seen != self.store.version:
            raise ApiException(status=409, reason="Conflict")
        self.store.spec = record.spec()
        self.store.version += 1
        self.seen = self.store.version


def _elector(store: MemoryLease, clock: FakeClock, name: str) -> LeaderElector:
    return LeaderElector(
        MemoryLeaseApi(store),  # type: ignore[arg-type]
        name,
        Timings(15, 10, 2),
        monotonic=clock.monotonic,
        wall=clock.wall,
        pause=clock.pause,
    )


async def test_the_first_candidate_creates_the_lease_the_second_waits_for_it() -> None:
    store, clock = MemoryLease(), FakeClock()
    a, b = _elector(store, clock, "a"), _elector(store, clock, "b")
    assert await a.try_acquire_or_renew()
    assert not await b.try_acquire_or_renew()
    clock.now += 14
    assert not await b.try_acquire_or_renew()
    clock.now += 1  # a never renewed: 15 s since b first saw the record
    assert await b.try_acquire_or_renew()
    assert LeaseRecord.from_spec(store.spec).holder == "b"
    assert LeaseRecord.from_spec(store.spec).transitions == 1
    # a's fast path conflicts, its slow path sees b's valid lease.
    assert not await a.try_acquire_or_renew()


async def test_a_stale_view_cannot_overwrite_a_newer_holder() -> None:
    store, clock = MemoryLease(), FakeClock()
    a, b, c = (_elector(store, clock, n) for n in "abc")
    assert await a.try_acquire_or_renew()
    assert not await b.try_acquire_or_renew()
    assert not await c.try_acquire_or_renew()
    clock.now += 16
    # b and c both read the expired record, then both write: the second write conflicts.
    current = LeaseRecord.from_spec(store.spec)
    for elector in (b, c):
        await elector.api.get()
    b_claim = b.state.claim(current, clock.now, clock.wall())
    c_claim = c.state.claim(current, clock.now, clock.wall())
    assert b_claim is not None
    assert c_claim is not None
    await b.api.replace(b_claim)
    with pytest.raises(ApiException) as conflict:
        await c.api.replace(c_claim)
    assert conflict.value.status == 409
    assert LeaseRecord.from_spec(store.spec).holder == "b"


async def test_keep_leading_returns_when_renewals_fail_for_the_renew_deadline() -> None:
    store, clock = MemoryLease(), FakeClock()
    changes: list[bool] = []
    a = LeaderElector(
        MemoryLeaseApi(store),  # type: ignore[arg-type]
        "a",
        Timings(15, 10, 2),
        monotonic=clock.monotonic,
        wall=clock.wall,
        pause=clock.pause,
        on_change=changes.append,
    )
    await a.acquire()
    assert changes == [True]
    start = clock.now
    store.failing = True
    await a.keep_leading()
    assert changes == [True, False]
    # One retry period before the first attempt, then retries until 10 s have passed.
    assert 2 + 10 <= clock.now - start < 15


async def test_keep_leading_stops_between_attempts_when_done() -> None:
    store, clock = MemoryLease(), FakeClock()
    a = _elector(store, clock, "a")
    await a.acquire()
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    await a.keep_leading(done)
    assert a.leading  # stopped by its owner, not lost
    assert await a.release()
    assert LeaseRecord.from_spec(store.spec).holder == ""
    assert not a.leading


async def test_release_retries_a_conflict_while_still_the_holder() -> None:
    store, clock = MemoryLease(), FakeClock()
    a = _elector(store, clock, "a")
    await a.acquire()
    store.version += 1  # a renewal written by an abandoned thread, say
    assert await a.release()
    assert LeaseRecord.from_spec(store.spec).holder == ""


async def test_release_gives_up_when_someone_else_holds_the_lease() -> None:
    store, clock = MemoryLease(), FakeClock()
    a = _elector(store, clock, "a")
    await a.acquire()
    store.spec = _record("b").spec()
    store.version += 1
    assert not await a.release()
    assert LeaseRecord.from_spec(store.spec).holder == "b"


# --- the options ----------------------------------------------------------------------------


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    return parser.parse_args(list(argv))


def test_leader_election_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PDO_LEADER_ELECT", raising=False)
    assert config_from_arguments(_parse()).leader_election is None


def test_leader_election_options_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POD_NAMESPACE", "ops")
    monkeypatch.setattr(
        "pagerduty_operator.runtime.leader_arguments.SERVICE_ACCOUNT_NAMESPACE",
        Path("/nonexistent/namespace"),
    )
    election = config_from_arguments(_parse("--leader-elect")).leader_election
    assert election is not None
    assert (election.namespace, election.lease_name) == ("ops", "pagerduty-operator")
    assert (election.lease_duration, election.renew_deadline, election.retry_period) == (15, 10, 2)
    monkeypatch.setenv("PDO_LEADER_ELECT", "true")
    election = config_from_arguments(
        _parse(
            "--leader-election-namespace",
            "x",
            "--leader-election-id",
            "pd",
            "--leader-elect-lease-duration",
            "30",
            "--leader-elect-renew-deadline",
            "20",
            "--leader-elect-retry-period",
            "4",
        )
    ).leader_election
    assert election is not None
    assert (election.namespace, election.lease_name, election.lease_duration) == ("x", "pd", 30)


def test_leader_election_needs_a_namespace_outside_a_pod(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POD_NAMESPACE", raising=False)
    monkeypatch.delenv("PDO_LEADER_ELECTION_NAMESPACE", raising=False)
    monkeypatch.setattr(
        "pagerduty_operator.runtime.leader_arguments.SERVICE_ACCOUNT_NAMESPACE",
        Path("/nonexistent/namespace"),
    )
    with pytest.raises(ValueError, match="leader-election-namespace"):
        config_from_arguments(_parse("--leader-elect"))
    with pytest.raises(ValueError, match="renew deadline"):
        config_from_arguments(
            _parse(
                "--leader-elect",
                "--leader-election-namespace",
                "x",
                "--leader-elect-renew-deadline",
                "20",
            )
        )

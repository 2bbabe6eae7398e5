"""The Lease elector against the real apiserver: one leader, hand-over, expiry, races.

Short timings (a 2 s lease, 0.2 s retry period) keep the tests quick. Assertions are on who leads,
on attempt counts and on the Lease's fields; measured hand-over times are printed, not asserted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from kubernetes import client

from pagerduty_operator.runtime.leader_election import LeaderElector, LeaseApi, Timings
from pagerduty_operator.runtime.lease import LeaseRecord
from pagerduty_operator.runtime.lease_watch import LeaseWatch

TIMINGS = Timings(lease_duration=2, renew_deadline=1.5, retry_period=0.2)
LEASE = "pdo-election"


class Counting(LeaderElector):
    """An elector that counts its attempts and remembers when it last succeeded."""

    attempts = 0
    successes = 0

    async def try_acquire_or_renew(self, within: float | None = None) -> bool:
        self.attempts += 1
        won = await super().try_acquire_or_renew(within)
        self.successes += int(won)
        return won


def _elector(
    api: client.ApiClient,
    namespace: str,
    name: str,
    timings: Timings = TIMINGS,
    monotonic: Callable[[], float] = time.monotonic,
) -> Counting:
    lease = LeaseApi(api, namespace, LEASE, request_timeout=timings.renew_deadline)
    return Counting(lease, name, timings, monotonic=monotonic)


async def _read(api: client.ApiClient, namespace: str) -> LeaseRecord:
    record = await LeaseApi(api, namespace, LEASE, 5).get()
    assert record is not None
    return record


async def _wait(task: asyncio.Task[bool]) -> None:
    async with asyncio.timeout(30):
        await asyncio.shield(task)


async def _until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(30):
        while True:
            if check():
                return
            await asyncio.sleep(TIMINGS.retry_period / 2)


async def test_exactly_one_of_two_candidates_leads(
    k8s_api: client.ApiClient, namespace: str
) -> None:
    a, b = _elector(k8s_api, namespace, "a"), _elector(k8s_api, namespace, "b")
    tasks = {e.identity: asyncio.create_task(e.acquire()) for e in (a, b)}
    done, _ = await asyncio.wait(tasks.values(), return_when=asyncio.FIRST_COMPLETED, timeout=30)
    assert len(done) == 1
    leader, standby = (a, b) if tasks["a"] in done else (b, a)
    renewing = asyncio.create_task(leader.keep_leading())
    # The standby keeps trying while the leader renews: ten more attempts, none wins.
    before = standby.attempts
    while standby.attempts < before + 10:
        await asyncio.sleep(TIMINGS.retry_period / 2)
        assert not tasks[standby.identity].done()
        assert (await _read(k8s_api, namespace)).holder == leader.identity
    assert leader.successes > 5  # renewals went on meanwhile
    assert standby.successes == 0
    assert not standby.leading
    assert leader.leading
    renewing.cancel()
    tasks[standby.identity].cancel()
    await asyncio.gather(renewing, tasks[standby.identity], return_exceptions=True)


async def test_a_released_lease_is_taken_at_the_next_attempt(
    k8s_api: client.ApiClient, namespace: str
) -> None:
    leader, standby = _elector(k8s_api, namespace, "a"), _elector(k8s_api, namespace, "b")
    await leader.acquire()
    waiting = asyncio.create_task(standby.acquire())
    await _until(lambda: standby.attempts >= 3)
    before = standby.attempts
    released_at = time.monotonic()
    assert await leader.release()
    await _wait(waiting)
    took = time.monotonic() - released_at
    # The released lease (empty holder) is free at once: no waiting out its duration.
    assert standby.attempts - before <= 2, standby.attempts - before
    record = await _read(k8s_api, namespace)
    assert record.holder == "b"
    assert record.transitions == 1
    print(f"released lease taken after {took:.3f}s (retry period {TIMINGS.retry_period}s)")


async def test_a_watching_standby_leads_when_the_lease_is_released_not_a_retry_period_later(
    k8s_api: client.ApiClient, namespace: str
) -> None:
    leader = _elector(k8s_api, namespace, "a")
    # The standby's retry period (60 s) is longer than the test may wait for it to lead (30 s):
    # only the watch can wake it in time.
    slow = Timings(lease_duration=100, renew_deadline=80, retry_period=60)
    watch = LeaseWatch(k8s_api, namespace, LEASE, slow.retry_period)
    lease = LeaseApi(k8s_api, namespace, LEASE, request_timeout=5)
    standby = Counting(lease, "b", slow, watch=watch)
    await leader.acquire()
    stop_renewing: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    renewing = asyncio.create_task(leader.keep_leading(stop_renewing))
    waiting = asyncio.create_task(standby.acquire())
    await _until(lambda: leader.successes >= 10)  # renewals: the same holder wakes nobody
    assert standby.attempts == 1
    assert watch.hand_overs == 0
    stop_renewing.set_result(None)
    await renewing
    released_at = time.monotonic()
    assert await leader.release()
    await _wait(waiting)
    took = time.monotonic() - released_at
    assert standby.attempts == 2
    assert watch.hand_overs >= 1  # the release (and then, maybe, its own acquisition)
    record = await _read(k8s_api, namespace)
    assert (record.holder, record.transitions) == ("b", 1)
    print(f"released lease taken by a watching standby after {took:.3f}s")


async def test_a_holder_that_stops_renewing_is_replaced_after_the_lease_duration(
    k8s_api: client.ApiClient, namespace: str
) -> None:
    leader, standby = _elector(k8s_api, namespace, "a"), _elector(k8s_api, namespace, "b")
    await leader.acquire()
    renewing = asyncio.create_task(leader.keep_leading())
    waiting = asyncio.create_task(standby.acquire())
    await _until(lambda: leader.successes >= 4)
    renewing.cancel()  # a crash: no release
    await asyncio.gather(renewing, return_exceptions=True)
    last_renewal = (await _read(k8s_api, namespace)).renew_time
    stopped_at, before = time.monotonic(), standby.attempts
    await _wait(waiting)
    took = time.monotonic() - stopped_at
    # The standby saw the record unchanged for a whole lease duration before taking it.
    needed = int(TIMINGS.lease_duration / TIMINGS.retry_period) - 1
    assert standby.attempts - before >= needed, (standby.attempts - before, needed)
    record = await _read(k8s_api, namespace)
    assert record.holder == "b"
    assert record.transitions == 1
    assert record.acquire_time is not None
    assert last_renewal is not None
    assert record.acquire_time > last_renewal
    print(f"expired lease taken after {took:.3f}s (lease duration {TIMINGS.lease_duration}s)")


async def test_concurrent_attempts_never_make_two_leaders(
    k8s_api: client.ApiClient, namespace: str
) -> None:
    """Eight candidates race for a new Lease, then for an expired one, then a released one."""
    offset = [0.0]

    def clock() -> float:
        return time.monotonic() + offset[0]

    electors = [_elector(k8s_api, namespace, f"c{i}", monotonic=clock) for i in range(8)]
    winners: list[str] = []
    for round_ in range(6):
        results = await asyncio.gather(*(e.try_acquire_or_renew() for e in electors))
        won = [e.identity for e, ok in zip(electors, results, strict=True) if ok]
        assert len(won) == 1, f"round {round_}: {won} all won"
        assert (await _read(k8s_api, namespace)).holder == won[0]
        winners.append(won[0])
        # Let every loser observe the winner's record, then move the clocks past its expiry
        # (odd rounds) or have the winner release it (even rounds).
        await asyncio.gather(*(e.try_acquire_or_renew() for e in electors if e.identity != won[0]))
        if round_ % 2:
            offset[0] += TIMINGS.lease_duration + 1
        else:
            winner = next(e for e in electors if e.identity == won[0])
            assert await winner.release()
    # A new holder counts one transition: after a release (empty holder) always, after an
    # expiry only when somebody else won.
    expected = sum(
        1 for i in range(1, len(winners)) if (i - 1) % 2 == 0 or winners[i] != winners[i - 1]
    )
    record = await _read(k8s_api, namespace)
    assert record.transitions == expected
    print(f"winners by round: {winners}; leaseTransitions {record.transitions}")

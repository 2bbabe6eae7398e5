"""A leader's stop: kopf gets a grace period, then is cancelled; a standby is woken by a watch."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import kopf
import pytest

from pagerduty_operator.config import OperatorConfig
from pagerduty_operator.runtime.leader_runner import Candidate
from pagerduty_operator.runtime.lease_watch import LeaseWatch, holder_of


def _candidate(grace: float) -> Candidate:
    elector: Any = SimpleNamespace()
    return Candidate(OperatorConfig(), elector, kopf.OperatorRegistry(), stop_grace=grace)


async def _forever() -> None:
    await asyncio.sleep(3600)


async def test_reconciles_still_running_after_the_grace_period_are_cancelled() -> None:
    candidate = _candidate(0.01)
    operator, renewing = asyncio.create_task(_forever()), asyncio.create_task(_forever())
    candidate.stopping.set_result(None)
    assert await candidate._stop_within_grace(operator, renewing)
    assert operator.cancelled()
    assert not renewing.done()
    renewing.cancel()


async def test_a_kopf_that_stops_within_the_grace_period_is_not_cancelled() -> None:
    candidate = _candidate(30)
    stopped = asyncio.Event()

    async def kopf_stopping() -> None:
        await stopped.wait()

    operator, renewing = asyncio.create_task(kopf_stopping()), asyncio.create_task(_forever())
    candidate.stopping.set_result(None)
    asyncio.get_running_loop().call_soon(stopped.set)
    assert not await candidate._stop_within_grace(operator, renewing)
    assert operator.done()
    assert not operator.cancelled()
    renewing.cancel()


async def test_without_a_stop_signal_nothing_is_cancelled() -> None:
    candidate = _candidate(0.01)
    operator = asyncio.create_task(asyncio.sleep(0))
    renewing = asyncio.create_task(_forever())
    await operator
    assert not await candidate._stop_within_grace(operator, renewing)
    renewing.cancel()


def _event(kind: str, holder: str | None, version: int) -> bytes:
    spec = {} if holder is None else {"holderIdentity": holder}
    lease = {"metadata": {"name": "lease", "resourceVersion": str(version)}, "spec": spec}
    return json.dumps({"type": kind, "object": lease}).encode()


def _watch() -> LeaseWatch:
    return LeaseWatch(None, "ns", "lease", retry_period=2)  # type: ignore[arg-type]


async def test_renewals_wake_nobody_a_release_or_a_new_holder_does() -> None:
    watch = _watch()
    watch._loop = asyncio.get_running_loop()
    holder, version = watch._on_line(_event("ADDED", "a", 1), None, "")
    assert (holder, version, watch.hand_overs) == ("a", "1", 0)
    for rv in (2, 3, 4):  # the leader renewing
        holder, version = watch._on_line(_event("MODIFIED", "a", rv), holder, version)
    assert (holder, version, watch.hand_overs) == ("a", "4", 0)
    holder, version = watch._on_line(_event("MODIFIED", "", 5), holder, version)  # released
    assert watch.hand_overs == 1
    holder, version = watch._on_line(_event("MODIFIED", "b", 6), holder, version)
    assert watch.hand_overs == 2
    holder, version = watch._on_line(_event("DELETED", "b", 7), holder, version)
    assert (holder, watch.hand_overs) == ("", 3)
    assert watch._on_line(b"  ", holder, version) == (holder, version)


async def test_a_lease_already_released_when_the_watch_starts_wakes_the_standby() -> None:
    watch = _watch()
    watch._loop = asyncio.get_running_loop()
    watch._on_line(_event("ADDED", None, 1), None, "")
    assert watch.hand_overs == 1


async def test_a_hand_over_between_the_read_and_the_wait_is_not_missed() -> None:
    watch = _watch()
    watch._loop = asyncio.get_running_loop()
    seen = watch.hand_overs  # the standby notes the count, then reads the Lease
    watch._on_line(_event("ADDED", "a", 1), None, "")
    watch._on_line(_event("MODIFIED", "", 2), "a", "1")  # released before the standby waits
    assert watch.changed(seen).done()
    later = watch.changed(watch.hand_overs)
    assert not later.done()
    watch._on_line(_event("MODIFIED", "c", 3), "", "2")
    await asyncio.wait_for(later, 5)


def test_an_error_event_restarts_the_watch() -> None:
    from kubernetes.client.exceptions import ApiException

    gone = json.dumps({"type": "ERROR", "object": {"code": 410}}).encode()
    with pytest.raises(ApiException) as raised:
        _watch()._on_line(gone, "a", "9")
    assert raised.value.status == 410
    assert holder_of({"type": "BOOKMARK", "object": {}}) is None

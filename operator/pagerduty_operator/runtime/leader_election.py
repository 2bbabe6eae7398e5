"""Leader election on a `coordination.k8s.io/v1` Lease, in asyncio.

Why not the `kubernetes` client's own `kubernetes.leaderelection` (evaluated with client 37):

- it never releases the lease: `LeaderElection.run()` cannot be stopped, so a graceful stop
  (SIGTERM, a rolling update) leaves the standby waiting a whole lease duration instead of
  client-go's `ReleaseOnCancel` hand-over;
- a released lease (empty `holderIdentity`) is not free to it: it waits for the lease to expire;
- it runs in threads with blocking `time.sleep` and ends a lost election by calling a callback
  from a worker thread, while the operator (kopf) is asyncio;
- it builds `CoordinationV1Api()` on the global default configuration, and its configuration
  checks call `sys.exit`;
- `LeaseLock` does not maintain `leaseTransitions`.

So this module is client-go's algorithm (see `lease` for the decisions), with plain JSON bodies
through the `ApiClient` (as `kube` does: no generated API module). Writes are optimistic: a
replace carries the `resourceVersion` last read, so of two candidates writing at once one gets
409 Conflict.

The blocking client calls run in threads, never in the event loop, but in a small pool of the
elector's own rather than `asyncio.to_thread`'s shared default pool: under load every reconcile
queues its Kubernetes calls there (six threads on two cores), and a renewal waiting behind them
would let the lease expire while this process still reconciles; measured in the failover test, a
standby took over from a leader that was still running. Each attempt is bounded by the renew
deadline (`asyncio.timeout`, which creates no task: see `wake_after`), and every HTTP request by
the same timeout.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from pagerduty_operator.runtime.lease import ElectionState, LeaseRecord, validate_timings

logger = logging.getLogger(__name__)

FAILURES = (ApiException, HTTPError, OSError, TimeoutError, ValueError)
"""What one apiserver call may fail with: the attempt fails, the election goes on."""


@dataclass(frozen=True)
class Timings:
    """controller-runtime's defaults: 15 s lease, 10 s renew deadline, 2 s retry period."""

    lease_duration: int = 15
    renew_deadline: float = 10.0
    retry_period: float = 2.0

    def __post_init__(self) -> None:
        validate_timings(self.lease_duration, self.renew_deadline, self.retry_period)


class LeaseApi:
    """Get, create and replace one Lease (blocking calls, each run in a thread)."""

    def __init__(
        self, api: client.ApiClient, namespace: str, name: str, request_timeout: float
    ) -> None:
        self._api = api
        self.namespace = namespace
        self.name = name
        self._timeout = request_timeout
        self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lease")
        self._object: dict[str, Any] | None = None
        """The Lease last read or written: its metadata (resourceVersion) goes back on replace."""

    async def _run(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, self._call, method, path, body)

    @property
    def _collection(self) -> str:
        return f"/apis/coordination.k8s.io/v1/namespaces/{quote(self.namespace, safe='')}/leases"

    def _call(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        method_, url, headers_, body_, post = self._api.param_serialize(
            method=method,
            resource_path=path,
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        response = self._api.call_api(
            method_, url, headers_, body_, post, _request_timeout=self._timeout
        )
        response.read()  # type: ignore[no-untyped-call]
        answer = self._api.response_deserialize(response, {"2XX": "object"}).data
        return dict(answer) if isinstance(answer, dict) else {}

    async def get(self) -> LeaseRecord | None:
        """The Lease's record, or None when the Lease does not exist."""
        path = f"{self._collection}/{quote(self.name, safe='')}"
        try:
            lease = await self._run("GET", path, None)
        except ApiException as error:
            if error.status == 404:
                self._object = None
                return None
            raise
        self._object = lease
        return LeaseRecord.from_spec(lease.get("spec"))

    async def create(self, record: LeaseRecord) -> None:
        """Create the Lease; 409 (`ApiException`) when someone else created it first."""
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": record.spec(),
        }
        self._object = await self._run("POST", self._collection, body)

    async def replace(self, record: LeaseRecord) -> None:
        """Replace the Lease last read or written; 409 when it changed since."""
        if self._object is None:  # deleted (404 on the last read) or never read
            raise ApiException(status=404, reason="Lease not found")
        body = dict(self._object)
        body["spec"] = record.spec()
        path = f"{self._collection}/{quote(self.name, safe='')}"
        self._object = await self._run("PUT", path, body)


class HandOverWatch(Protocol):
    """Wakes a standby when the Lease changes hands (`lease_watch.LeaseWatch`)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    hand_overs: int

    def changed(self, since: int) -> asyncio.Future[None]: ...


class LeaderElector:
    """One candidate: `acquire()` until leading, `keep_leading()` until lost, `release()`."""

    def __init__(
        self,
        api: LeaseApi,
        identity: str,
        timings: Timings,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        pause: Callable[[float, asyncio.Future[None]], Awaitable[None]] | None = None,
        on_change: Callable[[bool], None] | None = None,
        watch: HandOverWatch | None = None,
    ) -> None:
        self.api = api
        self.watch = watch
        self.identity = identity
        self.timings = timings
        self.state = ElectionState(identity, timings.lease_duration)
        self._monotonic, self._wall = monotonic, wall
        self._pause_for = pause or wake_after
        self._on_change = on_change
        self.contacted = False
        """The apiserver answered at least once (the readiness of a candidate)."""
        self.leading = False

    def _set_leading(self, leading: bool) -> None:
        if leading != self.leading:
            self.leading = leading
            if self._on_change is not None:
                self._on_change(leading)

    async def _bounded(self, call: Awaitable[Any]) -> Any:
        async with asyncio.timeout(self.timings.renew_deadline):
            return await call

    async def try_acquire_or_renew(self, within: float | None = None) -> bool:
        """One attempt (client-go's `tryAcquireOrRenew`); True when this candidate now leads.

        The whole attempt takes at most `within` seconds (default: the renew deadline).
        """
        try:
            async with asyncio.timeout(within or self.timings.renew_deadline):
                return await self._attempt()
        except TimeoutError:
            logger.warning("Lease %s: attempt timed out.", self.api.name)
            return False

    async def _attempt(self) -> bool:
        now, wall = self._monotonic(), self._wall()
        renewal = self.state.renewal(wall) if self.state.lease_valid(now) else None
        if renewal is not None:  # fast path: the leader assumes nobody wrote since
            try:
                await self.api.replace(renewal)
            except FAILURES as error:
                logger.info("Optimistic lease renewal failed (%s); reading the lease.", _why(error))
            else:
                self.state.written(renewal, self._monotonic())
                return True
        try:
            current = await self.api.get()
        except FAILURES as error:
            logger.warning("Cannot read lease %s: %s", self.api.name, _why(error))
            return False
        self.contacted = True
        try:
            if current is None:
                record = self.state.new_record(wall)
                await self.api.create(record)
            else:
                claimed = self.state.claim(current, now, wall)
                if claimed is None:
                    return False
                record = claimed
                await self.api.replace(record)
        except FAILURES as error:
            logger.info("Lease %s not taken: %s", self.api.name, _why(error))
            return False
        self.state.written(record, self._monotonic())
        return True

    async def acquire(self, done: asyncio.Future[None] | None = None) -> bool:
        """Try every retry period until this candidate holds the lease (True) or `done` (False).

        `done` is checked between attempts, never in the middle of a write, so a stopped
        candidate never leaves behind a lease it took without knowing. No jitter between
        attempts (client-go adds up to 120 %): with a handful of replicas the extra requests cost
        nothing. With a `watch`, a released lease is taken as soon as the release is seen, else
        within one retry period.
        """
        done = done or asyncio.get_running_loop().create_future()
        if self.watch is not None:
            self.watch.start()
        try:
            while True:
                seen = self.watch.hand_overs if self.watch is not None else 0
                if await self.try_acquire_or_renew():
                    break
                if await self._standby_pause(done, seen):
                    return False
        finally:
            if self.watch is not None:
                self.watch.stop()
        logger.info("Leading: lease %s/%s acquired.", self.api.namespace, self.api.name)
        self._set_leading(True)
        return True

    async def _standby_pause(self, done: asyncio.Future[None], seen: int) -> bool:
        """One retry period, cut short by a hand-over after the `seen`th; True when `done`."""
        if self.watch is None:
            return await self._pause(self.timings.retry_period, done)
        changed = self.watch.changed(seen)
        either: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake(_: object) -> None:
            if not either.done():
                either.set_result(None)

        done.add_done_callback(wake)
        changed.add_done_callback(wake)
        try:
            await self._pause(self.timings.retry_period, either)
        finally:
            done.remove_done_callback(wake)
            changed.remove_done_callback(wake)
            changed.cancel()
        return done.done()

    async def keep_leading(self, done: asyncio.Future[None] | None = None) -> None:
        """Renew every retry period; return when no renewal succeeded for the renew deadline.

        Completing `done` ends the loop between two attempts (never in the middle of a write: a
        write abandoned in its thread would still change the Lease's resourceVersion).
        """
        done = done or asyncio.get_running_loop().create_future()
        while not await self._pause(self.timings.retry_period, done):
            deadline = self._monotonic() + self.timings.renew_deadline
            # Every attempt ends by the deadline: a slow one cannot stretch it past the lease.
            while not await self.try_acquire_or_renew(max(deadline - self._monotonic(), 0.001)):
                left = deadline - self._monotonic()
                if left <= 0:
                    logger.error(
                        "Lease %s lost: not renewed within the renew deadline.", self.api.name
                    )
                    self._set_leading(False)
                    return
                if await self._pause(min(self.timings.retry_period, left), done):
                    return

    async def _pause(self, seconds: float, done: asyncio.Future[None]) -> bool:
        """Wait `seconds` or until `done`; True when `done`."""
        if not done.done():
            await self._pause_for(seconds, done)
        return done.done()

    async def release(self) -> bool:
        """Give the lease up (empty holder) so that a standby leads at once; True when done.

        A conflict (the Lease changed since this candidate last wrote it) is retried once with
        the Lease read again, as long as it still names this candidate.
        """
        self._set_leading(False)
        for attempt in range(2):
            record = self.state.release_record(self._wall())
            if record is None:
                return True
            try:
                await self._bounded(self.api.replace(record))
            except FAILURES as error:
                conflict = isinstance(error, ApiException) and error.status == 409
                if attempt == 0 and conflict and await self._reread():
                    continue
                logger.warning("Lease %s not released: %s", self.api.name, _why(error))
                return False
            self.state.written(record, self._monotonic())
            logger.info("Lease %s/%s released.", self.api.namespace, self.api.name)
            return True
        return False  # pragma: no cover - the loop always returns

    async def _reread(self) -> bool:
        """Read the Lease again; True when it still names this candidate as its holder."""
        try:
            current = await self._bounded(self.api.get())
        except FAILURES:
            return False
        if current is None:
            return False
        self.state.observe(current, self._monotonic())
        return self.state.is_leader()


async def wake_after(seconds: float, done: asyncio.Future[None]) -> None:
    """Sleep `seconds`, or less if `done` completes first.

    Creates no task: kopf, once started in this loop, takes every task created after its start
    for one of its own, waits for it when it stops and then cancels it.
    """
    loop = asyncio.get_running_loop()
    wake: asyncio.Future[None] = loop.create_future()

    def wake_up(*_: object) -> None:
        if not wake.done():
            wake.set_result(None)

    timer = loop.call_later(seconds, wake_up)
    done.add_done_callback(wake_up)
    try:
        await wake
    finally:
        timer.cancel()
        done.remove_done_callback(wake_up)


def _why(error: BaseException) -> str:
    """A short reason (status and reason only: never a response body or headers)."""
    if isinstance(error, ApiException):
        return f"{error.status} {error.reason}"
    if isinstance(error, TimeoutError):
        return "timed out"
    return type(error).__name__

"""`pagerduty-operator run --leader-elect`: kopf runs only while this process holds the Lease.

The process lives as a candidate: it serves `/healthz` (alive) and `/readyz` (the apiserver
answered the election) for its whole life, since kopf's own liveness endpoint exists only while
kopf runs, and exports the `pagerduty_operator_leader` gauge. Once the Lease is acquired, kopf
starts in the same event loop (`kopf.operator` with a stop flag) while the lease is renewed
beside it.

- Lease lost (no renewal within the renew deadline): the process exits at once with status 1,
  without waiting for kopf to wind down, as controller-runtime does: another replica may lead
  as soon as the lease duration has passed, so this one must stop writing first. The pod
  restarts as a standby.
- SIGTERM or SIGINT: kopf is asked to stop; reconciles still running `STOP_GRACE_SECONDS`
  later are cancelled (kopf itself would wait 5 s for them, and longer for its own shutdown
  under load), then the lease is released (empty holder, client-go's `ReleaseOnCancel`); exit
  status 0. The standby, watching the Lease (`lease_watch`), leads as soon as it sees the
  release. Cancelling a reconcile is as safe as a crash, which the kill tests cover: creates
  that are not idempotent carry a marker and are looked for before they are repeated. A
  standby just exits.
- kopf failing while leading: the lease is released and the process exits with status 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import uuid
from collections.abc import Callable

import kopf
from aiohttp import web
from kubernetes import client

from pagerduty_operator.config import LeaderElection, OperatorConfig
from pagerduty_operator.runtime.leader_election import LeaderElector, LeaseApi, Timings
from pagerduty_operator.runtime.lease_watch import LeaseWatch
from pagerduty_operator.runtime.metrics import LEADER

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
STOP_GRACE_SECONDS = 1.0
"""How long reconciles in flight may finish after SIGTERM before they are cancelled."""


def new_identity() -> str:
    """The host name (a pod's name) and a random suffix: unique even across restarts."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


def build_elector(settings: LeaderElection, api_client: client.ApiClient) -> LeaderElector:
    api = LeaseApi(
        api_client, settings.namespace, settings.lease_name, request_timeout=settings.renew_deadline
    )
    timings = Timings(settings.lease_duration, settings.renew_deadline, settings.retry_period)
    watch = LeaseWatch(api_client, settings.namespace, settings.lease_name, settings.retry_period)
    return LeaderElector(
        api,
        settings.identity or new_identity(),
        timings,
        on_change=lambda leading: LEADER.set(1 if leading else 0),
        watch=watch,
    )


async def serve_probes(address: str, elector: LeaderElector) -> web.AppRunner:
    """`/healthz` (the process is alive) and `/readyz` (the election reached the apiserver)."""

    def answer(status: int, text: str) -> web.Response:
        # One request per connection, said so (`Connection: close`): a kept-alive connection's
        # task would outlive kopf's start, and kopf waits for such tasks when it stops.
        response = web.Response(status=status, text=text)
        response.force_close()
        return response

    async def healthz(_: web.Request) -> web.Response:
        return answer(200, "ok")

    async def readyz(_: web.Request) -> web.Response:
        if elector.contacted:
            return answer(200, "ok")
        return answer(503, "waiting for the apiserver")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=0)
    await runner.setup()
    host, _, port = address.rpartition(":")
    await web.TCPSite(runner, host or "0.0.0.0", int(port)).start()
    return runner


def _exit_now(status: int) -> None:
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()
    os._exit(status)


class Candidate:
    """One process taking part in the election and running kopf while it leads."""

    def __init__(
        self,
        config: OperatorConfig,
        elector: LeaderElector,
        registry: kopf.OperatorRegistry,
        exit_now: Callable[[int], None] = _exit_now,
        stop_grace: float = STOP_GRACE_SECONDS,
    ) -> None:
        self.config = config
        self.elector = elector
        self.registry = registry
        self.stopping: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.kopf_stop = asyncio.Event()
        self._exit_now = exit_now
        self.stop_grace = stop_grace

    def _on_signal(self) -> None:
        if not self.stopping.done():
            self.stopping.set_result(None)
        self.kopf_stop.set()

    def _handle_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self._on_signal)

    async def run(self) -> int:
        """Wait for the lease, lead until stopped or lost; returns the exit status."""
        self._handle_signals()
        LEADER.set(0)
        probes = await serve_probes(self.config.health_address, self.elector)
        try:
            logger.info(
                "Waiting for lease %s/%s as %s.",
                self.elector.api.namespace,
                self.elector.api.name,
                self.elector.identity,
            )
            if not await self.elector.acquire(self.stopping):
                logger.info("Stopped while standing by.")
                return 0
            if self.stopping.done():  # stopped during the attempt that took the lease
                await self.elector.release()
                return 0
            return await self._lead()
        finally:
            await probes.cleanup()

    async def _lead(self) -> int:
        config = self.config
        # The renewal task exists before kopf starts: kopf treats every task created while it
        # runs as its own, waits for it when stopping (5 s) and then cancels it.
        done_leading: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        renewing = asyncio.create_task(
            self.elector.keep_leading(done_leading), name="lease renewal"
        )
        await asyncio.sleep(0)
        started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        operator = asyncio.create_task(
            kopf.operator(
                registry=self.registry,
                clusterwide=config.clusterwide,
                namespaces=config.namespaces,
                standalone=config.standalone,
                stop_flag=self.kopf_stop,
                ready_flag=started,
            ),
            name="kopf",
        )
        await asyncio.wait({operator, renewing, started}, return_when=asyncio.FIRST_COMPLETED)
        if started.done():
            # kopf has installed its signal handlers by now; ours replace them and stop kopf
            # through its stop flag. (kopf, given both, leaves its stop-flag waiter pending after
            # a signal and waits 5 s for that "hung" task before it returns.)
            self._handle_signals()
        await asyncio.wait({operator, renewing, self.stopping}, return_when=asyncio.FIRST_COMPLETED)
        cancelled_on_stop = await self._stop_within_grace(operator, renewing)
        if renewing.done():
            logger.error(
                "Leader election lost: exiting so that this process restarts as a standby."
            )
            self._exit_now(1)
            operator.cancel()  # only reached when exit_now returns (tests)
            with contextlib.suppress(BaseException):
                await operator
            return 1
        # The renewal in flight, if any, completes: no write is abandoned in its thread.
        done_leading.set_result(None)
        await renewing
        self._handle_signals()  # kopf may have replaced our handlers while it ran
        failed = not cancelled_on_stop and (
            operator.cancelled() or operator.exception() is not None
        )
        if failed:
            error = None if operator.cancelled() else operator.exception()
            logger.error("The operator stopped (%s); releasing the lease.", type(error).__name__)
        await self.elector.release()
        return 1 if failed else 0

    async def _stop_within_grace(
        self, operator: asyncio.Task[None], renewing: asyncio.Task[None]
    ) -> bool:
        """After a stop signal, give kopf the grace period, then cancel it; True if cancelled."""
        if not self.stopping.done() or operator.done() or renewing.done():
            return False
        await asyncio.wait(
            {operator, renewing}, timeout=self.stop_grace, return_when=asyncio.FIRST_COMPLETED
        )
        if operator.done() or renewing.done():
            return False
        logger.info(
            "Reconciles still running %.1fs after the stop signal: cancelling them.",
            self.stop_grace,
        )
        operator.cancel()
        await asyncio.wait({operator, renewing}, return_when=asyncio.FIRST_COMPLETED)
        return operator.cancelled()


def run_with_leader_election(
    config: OperatorConfig, registry: kopf.OperatorRegistry, api_client: client.ApiClient
) -> int:
    """Run as a candidate until stopped; returns the process exit status."""
    assert config.leader_election is not None
    elector = build_elector(config.leader_election, api_client)

    async def candidate() -> int:  # the Candidate's futures belong to asyncio.run's loop
        return await Candidate(config, elector, registry).run()

    return asyncio.run(candidate())

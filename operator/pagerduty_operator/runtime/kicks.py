"""Background reconciles requested outside kopf's own triggers (dependents, changed Secrets)."""

from __future__ import annotations

import asyncio
import logging

import kopf

from pagerduty_operator.handlers.common import KindHandlers, reconcile_by_name
from pagerduty_operator.reconcile.context import ReconcileContext

log = logging.getLogger(__name__)

ERROR_RETRY_SECONDS = (1.0, 5.0, 15.0, 30.0)
"""Waits before retrying a kicked reconcile that failed unexpectedly (e.g. the apiserver was
unreachable); after the last one the error is logged and the resync takes over."""


class Kicker:
    """Runs a reconcile of (plural, namespace, name) soon; one pending kick per object.

    A kick that arrives while the object's kicked reconcile runs makes it run once more
    afterwards: that reconcile may have read what the kick says has changed before it changed.
    """

    def __init__(self, dispatch: dict[str, KindHandlers]) -> None:
        self._dispatch = dispatch
        self._pending: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        self._again: set[tuple[str, str, str]] = set()
        self.ctx: ReconcileContext | None = None

    async def __call__(self, plural: str, namespace: str, name: str) -> None:
        key = (plural, namespace, name)
        if plural not in self._dispatch:
            return
        if key in self._pending:
            self._again.add(key)
            return
        task = asyncio.create_task(self._run(key))
        self._pending[key] = task
        task.add_done_callback(lambda _: self._pending.pop(key, None))

    async def _run(self, key: tuple[str, str, str]) -> None:
        """Reconcile until it succeeds or fails for good; kopf retries none of this.

        A transient failure (`kopf.TemporaryError`, status already written) is retried after
        its delay, as kopf would for its own triggers; an unexpected error a few times with
        backoff. Kicks arriving meanwhile for the same object are covered by the retry.
        """
        plural, namespace, name = key
        if self.ctx is None:  # pragma: no cover - wiring error
            return
        errors = 0
        while True:
            self._again.discard(key)
            try:
                await reconcile_by_name(self.ctx, self._dispatch[plural], namespace, name)
                if key not in self._again:
                    return
                continue
            except kopf.TemporaryError as error:
                delay = float(error.delay or ERROR_RETRY_SECONDS[-1])
            except Exception as error:
                if errors == len(ERROR_RETRY_SECONDS):
                    log.exception("reconcile of %s %s/%s failed", plural, namespace, name)
                    self._again.discard(key)
                    return
                delay = ERROR_RETRY_SECONDS[errors]
                errors += 1
                log.warning(
                    "reconcile of %s %s/%s failed (%s); retrying in %.0f s",
                    plural,
                    namespace,
                    name,
                    type(error).__name__,
                    delay,
                )
            await asyncio.sleep(delay)

    async def drain(self) -> None:
        tasks = list(self._pending.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

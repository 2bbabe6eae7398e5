"""Background reconciles requested outside kopf's own triggers (dependents, changed Secrets).

The Kicker and the `ReconcileContext` need each other: the context (and the `ClientRegistry`
and `Refresher` in it) kick through the Kicker, and the Kicker reconciles with the context. So
the Kicker is built first and given its context once, with `bind(ctx)`, the only way to attach
one (runtime/runner.py `build_context`, right after building the context, before anything can
kick). Everything else gets the Kicker at construction. A kick before `bind` is a wiring error
and fails at once, in the caller (`KickerNotBound`), rather than being lost in a background
task; binding twice fails too.
"""

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


class KickerNotBound(RuntimeError):
    """A kick before `Kicker.bind`: the operator's wiring is wrong."""


class Kicker:
    """Runs a reconcile of (plural, namespace, name) soon; one pending kick per object.

    A kick for an object whose reconcile is already running marks it dirty, as
    controller-runtime's workqueue does: that reconcile may have read the Secret or the
    dependency before it changed, so it runs once more when it ends.
    """

    def __init__(self, dispatch: dict[str, KindHandlers]) -> None:
        self._dispatch = dispatch
        self._pending: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        self._dirty: set[tuple[str, str, str]] = set()
        self._ctx: ReconcileContext | None = None

    def bind(self, ctx: ReconcileContext) -> None:
        """Attach the context the kicked reconciles use; once, before the first kick."""
        if self._ctx is not None:
            raise RuntimeError("this Kicker is already bound to a ReconcileContext")
        self._ctx = ctx

    @property
    def ctx(self) -> ReconcileContext:
        """The bound context; `KickerNotBound` before `bind`."""
        if self._ctx is None:
            raise KickerNotBound("Kicker.bind(ctx) must be called before the first kick")
        return self._ctx

    async def __call__(self, plural: str, namespace: str, name: str) -> None:
        ctx = self.ctx  # refuse here, in the caller, not later in the task
        key = (plural, namespace, name)
        if plural not in self._dispatch:
            return
        if key in self._pending:
            self._dirty.add(key)
            return
        task = asyncio.create_task(self._run(ctx, key))
        self._pending[key] = task
        task.add_done_callback(lambda _: self._pending.pop(key, None))

    async def _run(self, ctx: ReconcileContext, key: tuple[str, str, str]) -> None:
        """Reconcile until it succeeds or fails for good; kopf retries none of this.

        A transient failure (`kopf.TemporaryError`, status already written) is retried after
        its delay, as kopf would for its own triggers; an unexpected error a few times with
        backoff. A kick arriving meanwhile for the same object is covered by the retry, or, after
        a success, by one more reconcile.
        """
        plural, namespace, name = key
        errors = 0
        while True:
            self._dirty.discard(key)
            try:
                await reconcile_by_name(ctx, self._dispatch[plural], namespace, name)
                if key in self._dirty:
                    errors = 0
                    continue
                return
            except kopf.TemporaryError as error:
                delay = float(error.delay or ERROR_RETRY_SECONDS[-1])
            except Exception as error:
                if errors == len(ERROR_RETRY_SECONDS):
                    log.exception("reconcile of %s %s/%s failed", plural, namespace, name)
                    self._dirty.discard(key)
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

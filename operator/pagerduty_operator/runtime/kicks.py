"""Background reconciles requested outside kopf's own triggers (dependents, changed Secrets)."""

from __future__ import annotations

import asyncio
import logging

import kopf

from pagerduty_operator.handlers.common import KindHandlers, reconcile_by_name
from pagerduty_operator.reconcile.context import ReconcileContext

log = logging.getLogger(__name__)


class Kicker:
    """Runs a reconcile of (plural, namespace, name) soon; one pending kick per object."""

    def __init__(self, dispatch: dict[str, KindHandlers]) -> None:
        self._dispatch = dispatch
        self._pending: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        self.ctx: ReconcileContext | None = None

    async def __call__(self, plural: str, namespace: str, name: str) -> None:
        key = (plural, namespace, name)
        if key in self._pending or plural not in self._dispatch:
            return
        task = asyncio.create_task(self._run(key))
        self._pending[key] = task
        task.add_done_callback(lambda _: self._pending.pop(key, None))

    async def _run(self, key: tuple[str, str, str]) -> None:
        plural, namespace, name = key
        if self.ctx is None:  # pragma: no cover - wiring error
            return
        try:
            await reconcile_by_name(self.ctx, self._dispatch[plural], namespace, name)
        except kopf.TemporaryError:
            pass  # status already says what is wrong; kopf's own retries and the timer go on
        except Exception:
            log.exception("reconcile of %s %s/%s failed", plural, namespace, name)

    async def drain(self) -> None:
        tasks = list(self._pending.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

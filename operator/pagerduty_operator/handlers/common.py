"""What every kind's handlers share: serialised reconciles, status writes, metrics, events."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

import kopf

from pagerduty_operator.reconcile.context import EventType, ReconcileContext
from pagerduty_operator.runtime.metrics import RECONCILE_SECONDS, RECONCILES

StatusResult = tuple[dict[str, Any], float | None]
Reconciler = Callable[[ReconcileContext, dict[str, Any]], Awaitable[StatusResult]]


def plain(body: Mapping[str, Any]) -> dict[str, Any]:
    """A deep, plain-dict copy of a kopf body (reconcilers never see kopf types)."""
    copied: dict[str, Any] = json.loads(json.dumps(dict(body), default=dict))
    return copied


def context_of(memo: Mapping[str, Any]) -> ReconcileContext:
    ctx = memo["ctx"]
    if not isinstance(ctx, ReconcileContext):  # pragma: no cover - wiring error
        raise TypeError("the operator context is missing from kopf's memo")
    return ctx


def post_kopf_event(body: dict[str, Any], type_: EventType, reason: str, message: str) -> None:
    """The `EventSink` of the running operator: kopf posts it as a Kubernetes Event."""
    kopf.event(cast(kopf.Body, body), type=type_, reason=reason, message=message)


def _ready(status: Mapping[str, Any]) -> Mapping[str, Any]:
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready":
            return dict(condition)
    return {}


async def reconcile_and_report(
    kind: str,
    plural: str,
    ctx: ReconcileContext,
    body: dict[str, Any],
    reconciler: Reconciler,
) -> dict[str, Any]:
    """Run one reconcile under the object's lock, write its whole status, and report it.

    Raises `kopf.TemporaryError` for transient failures so kopf retries with a delay.
    """
    meta = body["metadata"]
    async with ctx.lock_for(meta["uid"]):
        fresh = await ctx.kube.get_object(plural, meta["namespace"], meta["name"])
        if fresh is None or fresh["metadata"].get("deletionTimestamp"):
            return {}
        started = time.monotonic()
        status, retry_after = await reconciler(ctx, fresh)
        RECONCILE_SECONDS.labels(kind).observe(time.monotonic() - started)
        await ctx.kube.patch_status(plural, meta["namespace"], meta["name"], status)
    before, after = _ready(fresh.get("status") or {}), _ready(status)
    if after.get("status") != "True" and after.get("reason") != before.get("reason"):
        ctx.post_event(fresh, "Warning", str(after.get("reason")), str(after.get("message")))
    result = "ok" if after.get("status") == "True" else "failed"
    if retry_after is not None:
        RECONCILES.labels(kind, "transient").inc()
        raise kopf.TemporaryError(str(after.get("message")), delay=retry_after)
    RECONCILES.labels(kind, result).inc()
    return status

"""What every kind's handlers share: triggers, serialised reconciles, status writes, metrics.

Each kind supplies a `KindHandlers`: its identity, its level-based reconcile (returning an
`Outcome` with the kind's typed status) and its finalizer. `register_kind`
turns every kopf trigger (create, update, resume, the resync timer) into that one reconcile, and
`reconcile_by_name` runs it for kicks from outside kopf (a changed Secret, a recovered
integration).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

import kopf

from pagerduty_operator.config import OperatorConfig
from pagerduty_operator.handlers.metrics import (
    CHANGES,
    DRIFT_CORRECTIONS,
    RECONCILE_SECONDS,
    RECONCILES,
)
from pagerduty_operator.models.identity import GROUP, VERSION
from pagerduty_operator.models.reasons import Problem
from pagerduty_operator.models.resources import ResourceKind
from pagerduty_operator.pagerduty import PagerDutyError
from pagerduty_operator.reconcile.context import EventType, ReconcileContext
from pagerduty_operator.reconcile.failures import describe_failure
from pagerduty_operator.reconcile.run import Outcome, RetryLater

Reconciler = Callable[[ReconcileContext, dict[str, Any]], Awaitable[Outcome[Any]]]
Finalizer = Callable[[ReconcileContext, dict[str, Any]], Awaitable[None]]

TRIGGER: ContextVar[str] = ContextVar("pagerduty_operator_trigger", default="change")
CHANGE_REASONS = frozenset(
    {"Created", "Updated", "Replaced", "Deleted", "DeletedDuplicate", "Enabled", "Activated"}
)


@dataclass(frozen=True)
class KindHandlers:
    """One kind's identity, reconcile and finalizer, as kopf-free functions."""

    resource: ResourceKind
    reconcile: Reconciler
    finalize: Finalizer

    @property
    def kind(self) -> str:
        return self.resource.kind

    @property
    def plural(self) -> str:
        return self.resource.plural


def plain(body: Mapping[str, Any]) -> dict[str, Any]:
    """A deep, plain-dict copy of a kopf body (reconcilers never see kopf types)."""
    copied: dict[str, Any] = json.loads(json.dumps(dict(body), default=dict))
    return copied


def context_of(memo: Mapping[str, Any]) -> ReconcileContext:
    ctx = memo["ctx"]
    if not isinstance(ctx, ReconcileContext):  # pragma: no cover - wiring error
        raise TypeError("the operator context is missing from kopf's memo")
    return ctx


@contextmanager
def triggered_by(trigger: str) -> Iterator[None]:
    token = TRIGGER.set(trigger)
    try:
        yield
    finally:
        TRIGGER.reset(token)


def post_kopf_event(body: dict[str, Any], type_: EventType, reason: str, message: str) -> None:
    """The `EventSink` of the running operator: a Kubernetes Event, and the change metrics."""
    kopf.event(cast(kopf.Body, body), type=type_, reason=reason, message=message)
    if type_ == "Normal" and reason in CHANGE_REASONS:
        kind = str(body.get("kind") or "")
        CHANGES.labels(kind, reason).inc()
        if TRIGGER.get() == "resync":
            DRIFT_CORRECTIONS.labels(kind).inc()


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
    async with ctx.lock_for(meta["uid"]), ctx.turn():
        # Re-read unless the body cannot be older than a status this process wrote.
        fresh = (
            await ctx.kube.get_object(plural, meta["namespace"], meta["name"])
            if ctx.may_be_stale(body)
            else body
        )
        if fresh is None or fresh["metadata"].get("deletionTimestamp"):
            return {}
        started = time.monotonic()
        outcome = await reconciler(ctx, fresh)
        status, retry_after = outcome.dumped(), outcome.retry_after
        RECONCILE_SECONDS.labels(kind).observe(time.monotonic() - started)
        ctx.wrote_status(meta["uid"])  # before the write: a failed one may have landed
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


async def reconcile_by_name(
    ctx: ReconcileContext, handlers: KindHandlers, namespace: str, name: str
) -> None:
    """Reconcile an object outside kopf's triggers (a kick)."""
    body = await ctx.kube.get_object(handlers.plural, namespace, name)
    if body is not None:
        with triggered_by("kick"):
            await reconcile_and_report(
                handlers.kind, handlers.plural, ctx, body, handlers.reconcile
            )


def register_kind(
    registry: kopf.OperatorRegistry, config: OperatorConfig, handlers: KindHandlers
) -> None:
    """Attach one kind's triggers, resync timer and finalizer to `registry`."""
    kind, plural = handlers.kind, handlers.plural

    @kopf.on.resume(GROUP, VERSION, plural, id="reconcile", registry=registry)
    @kopf.on.create(GROUP, VERSION, plural, id="reconcile", registry=registry)
    @kopf.on.update(GROUP, VERSION, plural, id="reconcile", registry=registry)
    async def changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        with triggered_by("change"):
            await reconcile_and_report(
                kind, plural, context_of(memo), plain(body), handlers.reconcile
            )

    # The first resync waits a whole interval: create/resume already reconciled the object.
    @kopf.timer(
        GROUP,
        VERSION,
        plural,
        interval=config.resync_seconds,
        initial_delay=config.resync_seconds,
        id="resync",
        registry=registry,
    )
    async def resync(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        with triggered_by("resync"):
            await reconcile_and_report(
                kind, plural, context_of(memo), plain(body), handlers.reconcile
            )

    @kopf.on.delete(GROUP, VERSION, plural, id="cleanup", registry=registry)
    async def deleted(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        ctx = context_of(memo)
        plain_body = plain(body)
        uid = plain_body["metadata"]["uid"]
        try:
            async with ctx.lock_for(uid):
                await handlers.finalize(ctx, plain_body)
        except RetryLater as wait:
            raise kopf.TemporaryError(wait.message, delay=wait.delay) from None
        except (PagerDutyError, Problem) as error:
            failure = describe_failure(error)
            raise kopf.TemporaryError(failure.message, delay=failure.retry_after or 30) from None
        ctx.forget(uid)

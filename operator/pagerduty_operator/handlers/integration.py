"""kopf triggers for PagerDutyIntegration, and the kicks that tell its dependents."""

from __future__ import annotations

from typing import Any

import kopf

from pagerduty_operator.handlers.common import context_of, plain, reconcile_and_report
from pagerduty_operator.models.resources import GROUP, VERSION
from pagerduty_operator.reconcile.context import ReconcileContext
from pagerduty_operator.reconcile.integration import PLURAL, reconcile_integration
from pagerduty_operator.runtime.config import OperatorConfig

KIND = "PagerDutyIntegration"
DEPENDENT_PLURALS = ("pagerdutywebhooks", "pagerdutyincidentrules")


async def _reconcile(ctx: ReconcileContext, body: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    meta = body["metadata"]
    before = ctx.clients.cached(meta["namespace"], meta["name"])
    before_digest = before.digest if before is not None else None
    was_ready = _is_ready(body.get("status") or {})
    outcome = await reconcile_integration(ctx, body)
    after = ctx.clients.cached(meta["namespace"], meta["name"])
    rotated = after is not None and before_digest is not None and after.digest != before_digest
    if outcome.ready and (not was_ready or rotated):
        await kick_dependents(ctx, meta["namespace"], meta["name"])
    return outcome.status, outcome.retry_after


def _is_ready(status: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )


async def dependents(ctx: ReconcileContext, namespace: str, name: str) -> list[tuple[str, str]]:
    """(plural, name) of every webhook and rule in `namespace` that uses integration `name`."""
    found = []
    for plural in DEPENDENT_PLURALS:
        for obj in await ctx.kube.list_objects(plural, namespace):
            ref = (obj.get("spec") or {}).get("integrationRef") or {}
            if ref.get("name") == name:
                found.append((plural, obj["metadata"]["name"]))
    return found


async def kick_dependents(ctx: ReconcileContext, namespace: str, name: str) -> None:
    for plural, dependent in await dependents(ctx, namespace, name):
        await ctx.kick(plural, namespace, dependent)


async def reconcile_integration_by_name(ctx: ReconcileContext, namespace: str, name: str) -> None:
    """Reconcile an integration outside kopf's triggers (a kick from a changed Secret)."""
    ctx.clients.invalidate(namespace, name)
    body = await ctx.kube.get_object(PLURAL, namespace, name)
    if body is not None:
        await reconcile_and_report(KIND, PLURAL, ctx, body, _reconcile)


def register(registry: kopf.OperatorRegistry, config: OperatorConfig) -> None:
    """Attach the integration handlers to `registry`."""

    @kopf.on.resume(GROUP, VERSION, PLURAL, id="reconcile", registry=registry)
    @kopf.on.create(GROUP, VERSION, PLURAL, id="reconcile", registry=registry)
    @kopf.on.update(GROUP, VERSION, PLURAL, id="reconcile", registry=registry)
    async def integration_changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        ctx = context_of(memo)
        ctx.clients.invalidate(body.metadata.namespace or "", body.metadata.name or "")
        await reconcile_and_report(KIND, PLURAL, ctx, plain(body), _reconcile)

    @kopf.timer(
        GROUP, VERSION, PLURAL, interval=config.resync_seconds, id="resync", registry=registry
    )
    async def integration_resync(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        ctx = context_of(memo)
        ctx.clients.invalidate(body.metadata.namespace or "", body.metadata.name or "")
        await reconcile_and_report(KIND, PLURAL, ctx, plain(body), _reconcile)

    @kopf.on.delete(GROUP, VERSION, PLURAL, id="cleanup", registry=registry)
    async def integration_deleted(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        # Dependents need this integration's credentials to clean up after themselves in
        # PagerDuty, so it stays until they are gone.
        ctx = context_of(memo)
        namespace, name = body.metadata.namespace or "", body.metadata.name or ""
        users = await dependents(ctx, namespace, name)
        if users:
            listed = ", ".join(f"{p}/{n}" for p, n in users[:5])
            raise kopf.TemporaryError(
                f"waiting for {len(users)} resources that use this integration: {listed}",
                delay=10,
            )

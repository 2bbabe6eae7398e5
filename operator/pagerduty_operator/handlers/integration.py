"""PagerDutyIntegration: kopf triggers, and the kicks that tell its dependents."""

from __future__ import annotations

from typing import Any

import kopf

from pagerduty_operator.config import OperatorConfig
from pagerduty_operator.handlers.common import KindHandlers, register_kind
from pagerduty_operator.models.resources import INCIDENT_RULE, INTEGRATION, WEBHOOK
from pagerduty_operator.reconcile.context import ReconcileContext
from pagerduty_operator.reconcile.integration import reconcile_integration

DEPENDENT_PLURALS = (WEBHOOK.plural, INCIDENT_RULE.plural)


def _is_ready(status: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )


async def _reconcile(ctx: ReconcileContext, body: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    meta = body["metadata"]
    namespace, name = meta["namespace"], meta["name"]
    ctx.clients.invalidate(namespace, name)  # always re-read the Secrets of the integration
    before = ctx.clients.cached(namespace, name)
    before_digest = before.digest if before is not None else None
    was_ready = _is_ready(body.get("status") or {})
    outcome = await reconcile_integration(ctx, body)
    after = ctx.clients.cached(namespace, name)
    rotated = after is not None and before_digest is not None and after.digest != before_digest
    if outcome.ready and (not was_ready or rotated):
        await kick_dependents(ctx, namespace, name)
    return outcome.status, outcome.retry_after


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


async def _finalize(ctx: ReconcileContext, body: dict[str, Any]) -> None:
    # Dependents need this integration's credentials to clean up after themselves in
    # PagerDuty, so it stays until they are gone.
    meta = body["metadata"]
    users = await dependents(ctx, meta["namespace"], meta["name"])
    if users:
        listed = ", ".join(f"{p}/{n}" for p, n in users[:5])
        raise kopf.TemporaryError(
            f"waiting for {len(users)} resources that use this integration: {listed}", delay=10
        )


HANDLERS = KindHandlers(INTEGRATION.kind, INTEGRATION.plural, _reconcile, _finalize)


def register(registry: kopf.OperatorRegistry, config: OperatorConfig) -> None:
    register_kind(registry, config, HANDLERS)

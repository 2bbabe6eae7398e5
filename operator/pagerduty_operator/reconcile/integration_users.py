"""A PagerDutyIntegration and the resources that use it: kicks when it recovers, and deletion.

`sync_integration` is the reconcile the handlers run for the kind: it re-reads the integration's
Secrets, reconciles it, and kicks every webhook and rule that uses it when it becomes Ready or
its credentials rotated (they may have been waiting for it). `finalize_integration` keeps the
integration until its users are gone: they need its credentials to clean up in PagerDuty.
"""

from __future__ import annotations

from typing import Any

from pagerduty_operator.models.resources import INCIDENT_RULE, WEBHOOK
from pagerduty_operator.reconcile.context import ReconcileContext
from pagerduty_operator.reconcile.integration import IntegrationOutcome, reconcile_integration
from pagerduty_operator.reconcile.run import RetryLater

DEPENDENT_PLURALS = (WEBHOOK.plural, INCIDENT_RULE.plural)
FINALIZE_RETRY_SECONDS = 10.0


def _is_ready(status: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )


async def sync_integration(ctx: ReconcileContext, body: dict[str, Any]) -> IntegrationOutcome:
    """Reconcile one integration and kick its dependents when it became usable or rotated."""
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
    return outcome


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


async def finalize_integration(ctx: ReconcileContext, body: dict[str, Any]) -> None:
    """Wait (`RetryLater`) while webhooks or rules still use this integration."""
    meta = body["metadata"]
    users = await dependents(ctx, meta["namespace"], meta["name"])
    if users:
        listed = ", ".join(f"{p}/{n}" for p, n in users[:5])
        raise RetryLater(
            f"waiting for {len(users)} resources that use this integration: {listed}",
            FINALIZE_RETRY_SECONDS,
        )

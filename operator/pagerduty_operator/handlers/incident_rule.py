"""kopf triggers for PagerDutyIncidentRule: every one runs the same level-based reconcile."""

from __future__ import annotations

from typing import Any

import kopf

from pagerduty_operator.handlers.common import context_of, plain, reconcile_and_report
from pagerduty_operator.models.resources import GROUP, VERSION
from pagerduty_operator.pagerduty import PagerDutyError
from pagerduty_operator.reconcile.clients import IntegrationUnavailable
from pagerduty_operator.reconcile.context import ReconcileContext
from pagerduty_operator.reconcile.failures import describe_failure
from pagerduty_operator.reconcile.incident_rule import (
    PLURAL,
    finalize_incident_rule,
    reconcile_incident_rule,
)
from pagerduty_operator.runtime.config import OperatorConfig

KIND = "PagerDutyIncidentRule"


async def _reconcile(ctx: ReconcileContext, body: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    outcome = await reconcile_incident_rule(ctx, body)
    return outcome.status, outcome.retry_after


async def reconcile_incident_rule_by_name(ctx: ReconcileContext, namespace: str, name: str) -> None:
    """Reconcile a rule outside kopf's triggers (a kick from its integration)."""
    body = await ctx.kube.get_object(PLURAL, namespace, name)
    if body is not None:
        await reconcile_and_report(KIND, PLURAL, ctx, body, _reconcile)


def register(registry: kopf.OperatorRegistry, config: OperatorConfig) -> None:
    """Attach the incident-rule handlers to `registry`."""

    @kopf.on.resume(GROUP, VERSION, PLURAL, id="reconcile", registry=registry)
    @kopf.on.create(GROUP, VERSION, PLURAL, id="reconcile", registry=registry)
    @kopf.on.update(GROUP, VERSION, PLURAL, id="reconcile", registry=registry)
    async def incident_rule_changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        await reconcile_and_report(KIND, PLURAL, context_of(memo), plain(body), _reconcile)

    @kopf.timer(
        GROUP, VERSION, PLURAL, interval=config.resync_seconds, id="resync", registry=registry
    )
    async def incident_rule_resync(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        await reconcile_and_report(KIND, PLURAL, context_of(memo), plain(body), _reconcile)

    @kopf.on.delete(GROUP, VERSION, PLURAL, id="cleanup", registry=registry)
    async def incident_rule_deleted(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        ctx = context_of(memo)
        plain_body = plain(body)
        try:
            async with ctx.lock_for(plain_body["metadata"]["uid"]):
                await finalize_incident_rule(ctx, plain_body)
        except (PagerDutyError, IntegrationUnavailable) as error:
            failure = describe_failure(error)
            raise kopf.TemporaryError(failure.message, delay=failure.retry_after or 30) from None
        ctx.forget(plain_body["metadata"]["uid"])

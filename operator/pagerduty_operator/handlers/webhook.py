"""PagerDutyWebhook: kopf triggers for the level-based webhook reconcile."""

from __future__ import annotations

from typing import Any

import kopf

from pagerduty_operator.config import OperatorConfig
from pagerduty_operator.handlers.common import KindHandlers, register_kind
from pagerduty_operator.models.resources import WEBHOOK
from pagerduty_operator.reconcile.context import ReconcileContext
from pagerduty_operator.reconcile.webhook import finalize_webhook, reconcile_webhook


async def _reconcile(ctx: ReconcileContext, body: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    outcome = await reconcile_webhook(ctx, body)
    return outcome.status, outcome.retry_after


HANDLERS = KindHandlers(WEBHOOK.kind, WEBHOOK.plural, _reconcile, finalize_webhook)


def register(registry: kopf.OperatorRegistry, config: OperatorConfig) -> None:
    register_kind(registry, config, HANDLERS)

"""PagerDutyWebhook: kopf triggers for the level-based webhook reconcile."""

from __future__ import annotations

from typing import Any

import kopf

from pagerduty_operator.handlers.common import KindHandlers, register_kind
from pagerduty_operator.reconcile.context import ReconcileContext
from pagerduty_operator.reconcile.webhook import PLURAL, finalize_webhook, reconcile_webhook
from pagerduty_operator.runtime.config import OperatorConfig


async def _reconcile(ctx: ReconcileContext, body: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    outcome = await reconcile_webhook(ctx, body)
    return outcome.status, outcome.retry_after


HANDLERS = KindHandlers("PagerDutyWebhook", PLURAL, _reconcile, finalize_webhook)


def register(registry: kopf.OperatorRegistry, config: OperatorConfig) -> None:
    register_kind(registry, config, HANDLERS)

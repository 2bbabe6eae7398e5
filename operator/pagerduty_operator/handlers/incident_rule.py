"""PagerDutyIncidentRule: kopf triggers for the level-based incident-rule reconcile."""

from __future__ import annotations

from typing import Any

import kopf

from pagerduty_operator.config import OperatorConfig
from pagerduty_operator.handlers.common import KindHandlers, register_kind
from pagerduty_operator.models.resources import INCIDENT_RULE
from pagerduty_operator.reconcile.context import ReconcileContext
from pagerduty_operator.reconcile.incident_rule import (
    finalize_incident_rule,
    reconcile_incident_rule,
)


async def _reconcile(ctx: ReconcileContext, body: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    outcome = await reconcile_incident_rule(ctx, body)
    return outcome.status, outcome.retry_after


HANDLERS = KindHandlers(
    INCIDENT_RULE.kind, INCIDENT_RULE.plural, _reconcile, finalize_incident_rule
)


def register(registry: kopf.OperatorRegistry, config: OperatorConfig) -> None:
    register_kind(registry, config, HANDLERS)

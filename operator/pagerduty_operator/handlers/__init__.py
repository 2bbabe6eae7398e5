"""kopf handlers: one `KindHandlers` per kind (its reconcile and finalizer), and `register_all`.

A kind is registered by one line in `KINDS`: its identity from `models/resources.py`, the
reconcile that returns an `Outcome`, and the finalizer. Everything kopf-specific (triggers, the
resync timer, status writes, events, metrics) is in `handlers/common.py`, once for all kinds.
"""

from __future__ import annotations

import kopf

from pagerduty_operator.config import OperatorConfig
from pagerduty_operator.handlers import secrets
from pagerduty_operator.handlers.common import KindHandlers, register_kind
from pagerduty_operator.models.resources import INCIDENT_RULE, INTEGRATION, WEBHOOK
from pagerduty_operator.reconcile.incident_rule import (
    finalize_incident_rule,
    reconcile_incident_rule,
)
from pagerduty_operator.reconcile.integration_users import finalize_integration, sync_integration
from pagerduty_operator.reconcile.webhook import finalize_webhook, reconcile_webhook

KINDS: tuple[KindHandlers, ...] = (
    KindHandlers(INTEGRATION, sync_integration, finalize_integration),
    KindHandlers(WEBHOOK, reconcile_webhook, finalize_webhook),
    KindHandlers(INCIDENT_RULE, reconcile_incident_rule, finalize_incident_rule),
)


def register_all(registry: kopf.OperatorRegistry, config: OperatorConfig) -> None:
    """Attach the handlers of every kind, and the Secret watch, to `registry`."""
    for handlers in KINDS:
        register_kind(registry, config, handlers)
    secrets.register(registry)

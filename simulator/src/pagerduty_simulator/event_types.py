"""The v3 webhook event types PagerDuty documents (a subscription may only list these).

One list serves the operator's API and the simulator: `models.webhook.WebhookEventType`.
"""

from __future__ import annotations

from pagerduty_operator.models.webhook import WEBHOOK_EVENT_TYPES as _DOCUMENTED

INCIDENT_EVENT_TYPES: tuple[str, ...] = tuple(e for e in _DOCUMENTED if e.startswith("incident."))
SERVICE_EVENT_TYPES: tuple[str, ...] = tuple(e for e in _DOCUMENTED if e.startswith("service."))
WEBHOOK_EVENT_TYPES: frozenset[str] = frozenset(_DOCUMENTED)

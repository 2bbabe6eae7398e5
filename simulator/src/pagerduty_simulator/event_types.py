"""The v3 webhook event types PagerDuty documents (a subscription may only list these).

The simulator's own list, written from PagerDuty's developer documentation (webhooks/01-Overview.md,
"Event Types"; summarised in ../shared/design/pagerduty-facts.md, section 1.6), because the REST
OpenAPI document does not enumerate them (`WebhookSubscription.events` is a plain string array).
It deliberately does not come from the operator's model: a name the operator gets wrong is then
refused here, as PagerDuty refuses it, and tests/unit/test_webhook_event_types.py compares both.
`pagey.ping` is not in the list: only the ping endpoint sends it, no subscription can name it.
"""

from __future__ import annotations

INCIDENT_EVENT_TYPES: tuple[str, ...] = (
    "incident.acknowledged",
    "incident.action_invocation.created",
    "incident.action_invocation.terminated",
    "incident.action_invocation.updated",
    "incident.annotated",
    "incident.conference_bridge.updated",
    "incident.custom_field_values.updated",
    "incident.delegated",
    "incident.escalated",
    "incident.incident_type.changed",
    "incident.priority_updated",
    "incident.reassigned",
    "incident.reopened",
    "incident.resolved",
    "incident.responder.added",
    "incident.responder.replied",
    "incident.role.assigned",
    "incident.service_updated",
    "incident.status_update_published",
    "incident.task.completed",
    "incident.task.created",
    "incident.task.updated",
    "incident.triggered",
    "incident.unacknowledged",
    "incident.workflow.completed",
    "incident.workflow.started",
)
"""The 26 incident event types (`resource_type` incident); the two workflow ones need the
`incident_workflows.read` scope, the others `incidents.read`."""

SERVICE_EVENT_TYPES: tuple[str, ...] = (
    "service.created",
    "service.custom_field_values.updated",
    "service.deleted",
    "service.updated",
)
"""The 4 service event types (`resource_type` service, scope `services.read`)."""

WEBHOOK_EVENT_TYPES: frozenset[str] = frozenset(INCIDENT_EVENT_TYPES + SERVICE_EVENT_TYPES)

"""The v3 webhook event types PagerDuty documents (a subscription may only list these)."""

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
SERVICE_EVENT_TYPES: tuple[str, ...] = (
    "service.created",
    "service.custom_field_values.updated",
    "service.deleted",
    "service.updated",
)
WEBHOOK_EVENT_TYPES: frozenset[str] = frozenset(INCIDENT_EVENT_TYPES + SERVICE_EVENT_TYPES)

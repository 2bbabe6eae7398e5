"""Service request bodies in the shapes PagerDuty's OpenAPI document and docs give them.

The simulator's contract and behaviour tests send these, and tests/pagerduty checks them
against the spec: they are the shapes the operator sends for a PagerDutyService.
"""

from __future__ import annotations

from typing import Any

SUPPORT_HOURS: dict[str, Any] = {
    "type": "fixed_time_per_day",
    "time_zone": "America/Lima",
    "days_of_week": [1, 2, 3, 4, 5],
    "start_time": "09:00:00",
    "end_time": "17:00:00",
}
SUPPORT_HOURS_RULE: dict[str, Any] = {
    "type": "use_support_hours",
    "during_support_hours": {"type": "constant", "urgency": "high"},
    "outside_support_hours": {"type": "constant", "urgency": "low"},
}
SCHEDULED_ACTIONS: list[dict[str, Any]] = [
    {
        "type": "urgency_change",
        "at": {"type": "named_time", "name": "support_hours_start"},
        "to_urgency": "high",
    }
]


def policy_ref(policy_id: str = "PEPPAY1") -> dict[str, str]:
    return {"id": policy_id, "type": "escalation_policy_reference"}


def service_body(name: str, **fields: Any) -> dict[str, Any]:
    """`{"service": {...}}` with the required type and escalation policy plus `fields`."""
    return {
        "service": {"type": "service", "name": name, "escalation_policy": policy_ref(), **fields}
    }


def full_service_body(name: str) -> dict[str, Any]:
    """A create body that sets every field PagerDuty accepts on a service."""
    return service_body(
        name,
        description="Every setting",
        status="active",
        teams=[{"id": "PT2PAYM", "type": "team_reference"}],
        acknowledgement_timeout=600,
        auto_resolve_timeout=14400,
        incident_urgency_rule=SUPPORT_HOURS_RULE,
        support_hours=SUPPORT_HOURS,
        scheduled_actions=SCHEDULED_ACTIONS,
        alert_creation="create_alerts_and_incidents",
        alert_grouping_parameters={"type": "time", "config": {"timeout": 2}},
        auto_pause_notifications_parameters={"enabled": True, "timeout": 300},
    )

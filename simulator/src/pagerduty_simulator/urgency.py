"""The urgency of a new incident: the service's urgency rule, the event severity and the clock.

Severity-based urgency follows PagerDuty's Dynamic Notifications mapping (critical and error
are high, warning and info low, no severity high). A support-hours rule picks its
`during_support_hours` or `outside_support_hours` part from the time of day in the support
hours' time zone, on the simulator clock.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from pagerduty_simulator.models import JSON, Service

HIGH_SEVERITIES = frozenset({"critical", "error"})
LOW_SEVERITIES = frozenset({"warning", "info"})


def severity_urgency(severity: object) -> str:
    """Dynamic Notifications: critical/error high, warning/info low, anything else high."""
    return "low" if severity in LOW_SEVERITIES else "high"


def in_support_hours(hours: JSON, moment: datetime) -> bool:
    """Whether `moment` falls on a support day between start (inclusive) and end (exclusive)."""
    local = moment.astimezone(ZoneInfo(str(hours["time_zone"])))
    start = time.fromisoformat(str(hours["start_time"]))
    end = time.fromisoformat(str(hours["end_time"]))
    return local.isoweekday() in hours["days_of_week"] and start <= local.time() < end


def _apply(part: JSON, severity: object) -> str:
    urgency = str(part.get("urgency", "high"))
    return severity_urgency(severity) if urgency == "severity_based" else urgency


def incident_urgency(service: Service, severity: object, moment: datetime) -> str:
    """The urgency an event-created incident gets on `service` at `moment`."""
    rule = service.incident_urgency_rule
    if rule.get("type") == "use_support_hours" and service.support_hours is not None:
        side = (
            "during_support_hours"
            if in_support_hours(service.support_hours, moment)
            else "outside_support_hours"
        )
        return _apply(rule[side], severity)
    return _apply(rule, severity)

"""The settings of a service PagerDuty validates: urgency rule, support hours, grouping, timeouts.

Each function takes the raw JSON value of one field of a `POST/PUT /services` body and returns
the canonical value the service stores and renders, or raises 400 (code 2001) with a message.
Messages PagerDuty is known to send are reused verbatim (see docs/simulator.md, "Services");
the others are the simulator's own and name the field and the bad value.
"""

from __future__ import annotations

import re
import zoneinfo
from functools import cache
from typing import Any

from pagerduty_simulator.errors import invalid_input
from pagerduty_simulator.models import JSON

URGENCIES = ("high", "low", "severity_based")
# Recorded from PagerDuty (terraform-provider-pagerduty issues #415 and #535).
ACTIVE_URGENCY = "Active urgency must be in high, low, or severity_based."
# Recorded from PagerDuty (terraform-provider-pagerduty issue #1015).
NULL_TIMEOUT = "timeout cannot be null"
RULE_TYPES = ("constant", "use_support_hours")
GROUPING_TYPES = ("time", "content_based", "intelligent")
AUTO_PAUSE_TIMEOUTS = (0, 120, 180, 300, 600, 900)
ALERT_CREATION = ("create_incidents", "create_alerts_and_incidents")
SCHEDULED_AT = ("support_hours_start", "support_hours_end")
TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


@cache
def time_zones() -> frozenset[str]:
    """The IANA time zone names this machine knows."""
    return frozenset(zoneinfo.available_timezones())


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_input(f"{name} must be an object")
    return value


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def timeout_seconds(value: Any, name: str) -> int | None:
    """`auto_resolve_timeout`/`acknowledgement_timeout`: 0 and null both mean off (null)."""
    if value is None:
        return None
    if not _integer(value) or value < 0:
        raise invalid_input(f"{name} must be a non-negative integer or null, not {value!r}")
    return int(value) or None


def _constant(value: Any, name: str, message: str) -> JSON:
    rule = _object(value, name)
    if rule.get("type", "constant") != "constant":
        raise invalid_input(f"{name}.type must be constant, not {rule.get('type')!r}")
    if rule.get("urgency") not in URGENCIES:
        raise invalid_input(message)
    return {"type": "constant", "urgency": rule["urgency"]}


def urgency_rule(value: Any) -> JSON:
    """`incident_urgency_rule`: constant (high, low, severity_based) or by support hours."""
    rule = _object(value, "incident_urgency_rule")
    kind = rule.get("type", "constant")
    if kind not in RULE_TYPES:
        raise invalid_input(
            f"incident_urgency_rule.type must be constant or use_support_hours, not {kind!r}"
        )
    if kind == "constant":
        return _constant(rule, "incident_urgency_rule", ACTIVE_URGENCY)
    if rule.get("urgency") is not None:
        raise invalid_input(
            "incident_urgency_rule.urgency must be left out when the type is use_support_hours"
        )
    parts: JSON = {"type": "use_support_hours"}
    for side in ("during_support_hours", "outside_support_hours"):
        if rule.get(side) is None:
            raise invalid_input(
                f"incident_urgency_rule.{side} is required when the type is use_support_hours"
            )
        name = f"incident_urgency_rule.{side}"
        parts[side] = _constant(
            rule[side], name, f"{name}.urgency must be in high, low, or severity_based."
        )
    return parts


def _time_of_day(value: Any, name: str) -> str:
    match = TIME.match(value) if isinstance(value, str) else None
    if match is None:
        raise invalid_input(f"{name} must be a time of day such as 09:00:00, not {value!r}")
    return f"{match.group(1)}:{match.group(2)}:{match.group(3) or '00'}"


def support_hours(value: Any) -> JSON | None:
    """`support_hours`: fixed time per day, an IANA time zone, days 1-7, start before end."""
    if value is None:
        return None
    hours = _object(value, "support_hours")
    kind = hours.get("type", "fixed_time_per_day")
    if kind != "fixed_time_per_day":
        raise invalid_input(f"support_hours.type must be fixed_time_per_day, not {kind!r}")
    zone = hours.get("time_zone")
    if not isinstance(zone, str) or zone not in time_zones():
        raise invalid_input(
            f"support_hours.time_zone must be a time zone such as America/Lima, not {zone!r}"
        )
    days = hours.get("days_of_week")
    if (
        not isinstance(days, list)
        or not days
        or not all(_integer(day) and 1 <= day <= 7 for day in days)
        or len(set(days)) != len(days)
    ):
        raise invalid_input(
            f"support_hours.days_of_week must list distinct days 1 (Monday) to 7, not {days!r}"
        )
    start = _time_of_day(hours.get("start_time"), "support_hours.start_time")
    end = _time_of_day(hours.get("end_time"), "support_hours.end_time")
    if start >= end:
        raise invalid_input(
            f"support_hours.start_time ({start}) must be before support_hours.end_time ({end})"
        )
    return {
        "type": "fixed_time_per_day",
        "time_zone": zone,
        "days_of_week": sorted(days),
        "start_time": start,
        "end_time": end,
    }


def scheduled_actions(value: Any) -> list[JSON]:
    """`scheduled_actions`: urgency changes to high at the start or end of support hours."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid_input("scheduled_actions must be an array")
    actions: list[JSON] = []
    for index, item in enumerate(value):
        name = f"scheduled_actions[{index}]"
        action = _object(item, name)
        at = _object(action.get("at"), f"{name}.at")
        if (
            action.get("type") != "urgency_change"
            or at.get("type") != "named_time"
            or at.get("name") not in SCHEDULED_AT
            or action.get("to_urgency") != "high"
        ):
            raise invalid_input(
                f"{name} must be an urgency_change to high at the named_time "
                "support_hours_start or support_hours_end"
            )
        actions.append(
            {
                "type": "urgency_change",
                "at": {"type": "named_time", "name": at["name"]},
                "to_urgency": "high",
            }
        )
    return actions


def check_urgency_setup(rule: JSON, hours: JSON | None, actions: list[JSON]) -> None:
    """The combination rules: support hours go with a support-hours rule and only with it."""
    if rule["type"] == "constant":
        if hours is not None:
            # PagerDuty's answer to support hours next to a constant rule (tf-pd #535).
            raise invalid_input(ACTIVE_URGENCY)
        if actions:
            raise invalid_input(
                "scheduled_actions are only allowed when incident_urgency_rule.type is "
                "use_support_hours"
            )
    elif hours is None:
        raise invalid_input(
            "support_hours are required when incident_urgency_rule.type is use_support_hours"
        )


def _window(value: Any, name: str, allowed_max: int, extra: tuple[int, ...]) -> int:
    if not _integer(value) or not (value == 0 or 300 <= value <= allowed_max or value in extra):
        tail = f" or {', '.join(map(str, extra))}" if extra else ""
        raise invalid_input(
            f"{name} must be 0 or between 300 and {allowed_max}{tail}, not {value!r}"
        )
    return int(value)


def alert_grouping(value: Any) -> JSON:
    """`alert_grouping_parameters`: time, content_based, intelligent, or off (type null)."""
    if value is None:
        return {"type": None}
    params = _object(value, "alert_grouping_parameters")
    kind = params.get("type")
    if kind is None:
        return {"type": None}
    if kind not in GROUPING_TYPES:
        raise invalid_input(
            "alert_grouping_parameters.type must be time, content_based, intelligent or null, "
            f"not {kind!r}"
        )
    config = params.get("config")
    if kind == "time":
        config = _object(config, "alert_grouping_parameters.config")
        timeout = config.get("timeout")
        if timeout is None:
            raise invalid_input(NULL_TIMEOUT)
        if not _integer(timeout) or not 0 <= timeout <= 1440:
            raise invalid_input(
                "alert_grouping_parameters.config.timeout must be minutes from 0 (until the "
                f"incident resolves) to 1440, not {timeout!r}"
            )
        return {"type": "time", "config": {"timeout": timeout}}
    if kind == "content_based":
        config = _object(config, "alert_grouping_parameters.config")
        aggregate, fields = config.get("aggregate"), config.get("fields")
        if aggregate not in ("all", "any"):
            raise invalid_input(
                f"alert_grouping_parameters.config.aggregate must be all or any, not {aggregate!r}"
            )
        if (
            not isinstance(fields, list)
            or not fields
            or not all(isinstance(f, str) and f for f in fields)
        ):
            raise invalid_input(
                "alert_grouping_parameters.config.fields must be a non-empty array of field names"
            )
        window = _window(
            config.get("time_window", 300),
            "alert_grouping_parameters.config.time_window",
            3600,
            (86400,),
        )
        return {
            "type": "content_based",
            "config": {"aggregate": aggregate, "fields": list(fields), "time_window": window},
        }
    config = _object(config if config is not None else {}, "alert_grouping_parameters.config")
    window = _window(
        config.get("time_window", 0), "alert_grouping_parameters.config.time_window", 3600, ()
    )
    return {"type": "intelligent", "config": {"time_window": window}}


def auto_pause(value: Any) -> JSON:
    """`auto_pause_notifications_parameters`: enabled, and a timeout PagerDuty offers."""
    params = _object(value, "auto_pause_notifications_parameters")
    enabled = params.get("enabled", False)
    if not isinstance(enabled, bool):
        raise invalid_input("auto_pause_notifications_parameters.enabled must be a boolean")
    timeout = params.get("timeout")
    if timeout is None:
        timeout = 0
    if not _integer(timeout) or timeout not in AUTO_PAUSE_TIMEOUTS:
        raise invalid_input(
            "auto_pause_notifications_parameters.timeout must be one of "
            f"{', '.join(map(str, AUTO_PAUSE_TIMEOUTS))}, not {timeout!r}"
        )
    return {"enabled": enabled, "timeout": timeout}


def alert_creation(value: Any) -> str:
    if value not in ALERT_CREATION:
        raise invalid_input(
            f"alert_creation must be create_incidents or create_alerts_and_incidents, not {value!r}"
        )
    return str(value)

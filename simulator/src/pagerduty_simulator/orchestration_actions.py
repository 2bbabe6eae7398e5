"""Event orchestration actions: which keys each path type supports, and their canonical shape.

PagerDuty's readers and writers use the full action object: Terraform's client (heimweh
go-pagerduty's `EventOrchestrationPathRuleActions`, every key without `omitempty`) sends every
key, unset ones zero-valued (`null`, `false`, `""`), on every path type, and PagerDuty accepts
it. So a PUT may carry a key the path type does not support as long as its value is zero; a
*non-zero* value of such a key is refused. Zero values are dropped when stored (an unset action),
and a read returns every key the path type supports, unset ones with the defaults below.
Sources: the OpenAPI document's per-path action schemas (which keys), heimweh go-pagerduty's
struct (their zero values: `bool` -> false, pointers -> null, slices -> []), docs/simulator.md.
"""

from __future__ import annotations

import copy
from typing import Any

from pagerduty_simulator.models import JSON, PathKind

ACTION_DEFAULTS: dict[str, Any] = {
    "route_to": None,
    "dynamic_route_to": None,
    "drop_event": False,
    "suppress": False,
    "suspend": None,
    "priority": None,
    "escalation_policy": None,
    "annotate": None,
    "severity": None,
    "event_action": None,
    "variables": [],
    "extractions": [],
    "automation_actions": [],
    "pagerduty_automation_actions": [],
    "incident_custom_field_updates": [],
}
"""Every action key, in the order reads list them, with the value of an unset action."""

_GLOBAL = frozenset(
    {
        "route_to",
        "suppress",
        "suspend",
        "drop_event",
        "priority",
        "escalation_policy",
        "annotate",
        "severity",
        "event_action",
        "variables",
        "extractions",
        "automation_actions",
        "incident_custom_field_updates",
    }
)
RULE_ACTIONS: dict[PathKind, frozenset[str]] = {
    "router": frozenset({"route_to", "dynamic_route_to"}),
    "global": _GLOBAL,
    "service": (_GLOBAL - {"drop_event"}) | {"pagerduty_automation_actions"},
    "unrouted": frozenset({"route_to", "severity", "event_action", "variables", "extractions"}),
}
CATCH_ALL_ACTIONS: dict[PathKind, frozenset[str]] = {
    "router": frozenset({"route_to"}),
    "global": RULE_ACTIONS["global"] - {"route_to"},
    "service": RULE_ACTIONS["service"] - {"route_to"},
    "unrouted": RULE_ACTIONS["unrouted"] - {"route_to"},
}


def is_zero(value: Any) -> bool:
    """`null`, `false`, `""` or `[]`: the value of an unset action (never `0`)."""
    return (
        value is None
        or value is False
        or (isinstance(value, str) and not value)
        or (isinstance(value, list) and not value)
    )


def supported(kind: PathKind, *, catch_all: bool) -> frozenset[str]:
    """The action keys a rule (or the catch-all) of a `kind` path supports."""
    return (CATCH_ALL_ACTIONS if catch_all else RULE_ACTIONS)[kind]


def canonical(kind: PathKind, stored: JSON, *, catch_all: bool) -> JSON:
    """The full action object a read returns: every supported key, unset ones defaulted."""
    keys = supported(kind, catch_all=catch_all)
    return {
        name: copy.deepcopy(stored.get(name, default))
        for name, default in ACTION_DEFAULTS.items()
        if name in keys
    }

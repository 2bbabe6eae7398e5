"""The full action objects PagerDuty reads back, per orchestration path type, as tests expect them.

Written down here rather than imported from the simulator (like `sim_seed`), so a change to the
simulator's canonical shape shows in the tests. Every action key the path type supports is
present; unset ones are `null`, `false` or `[]` (docs/simulator.md, "Event orchestrations").
"""

from __future__ import annotations

from typing import Any

_GLOBAL: dict[str, Any] = {
    "route_to": None,
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
    "incident_custom_field_updates": [],
}
_SERVICE: dict[str, Any] = {
    **{k: v for k, v in _GLOBAL.items() if k != "drop_event"},
    "pagerduty_automation_actions": [],
}
RULE_DEFAULTS: dict[str, dict[str, Any]] = {
    "router": {"route_to": None, "dynamic_route_to": None},
    "global": _GLOBAL,
    "service": _SERVICE,
    "unrouted": {
        "route_to": None,
        "severity": None,
        "event_action": None,
        "variables": [],
        "extractions": [],
    },
}
CATCH_ALL_DEFAULTS: dict[str, dict[str, Any]] = {
    "router": {"route_to": "unrouted"},
    **{
        kind: {k: v for k, v in defaults.items() if k != "route_to"}
        for kind, defaults in RULE_DEFAULTS.items()
        if kind != "router"
    },
}


def full_actions(kind: str, **set_actions: Any) -> dict[str, Any]:
    """The action object of a rule of a `kind` path that sets `set_actions`, as reads return it."""
    unknown = set(set_actions) - set(RULE_DEFAULTS[kind])
    assert not unknown, f"{sorted(unknown)} are not actions of a {kind} path"
    return {**RULE_DEFAULTS[kind], **set_actions}


def full_catch_all(kind: str, **set_actions: Any) -> dict[str, Any]:
    """The `catch_all` of a `kind` path that sets `set_actions`, as reads return it."""
    unknown = set(set_actions) - set(CATCH_ALL_DEFAULTS[kind])
    assert not unknown, f"{sorted(unknown)} are not catch-all actions of a {kind} path"
    return {"actions": {**CATCH_ALL_DEFAULTS[kind], **set_actions}}


def set_actions(actions: dict[str, Any]) -> dict[str, Any]:
    """Only the actions that are set (not null, false, "" or [])."""
    return {
        k: v
        for k, v in actions.items()
        if not (v is None or v is False or (isinstance(v, str | list) and not v))
    }


def go_client_actions(**values: Any) -> dict[str, Any]:
    """An action object as Terraform's client (heimweh go-pagerduty) sends it.

    Every key of its struct on every path type, unset ones zero-valued (`""`, `false`, `null`).
    """
    actions: dict[str, Any] = {
        "drop_event": False,
        "route_to": "",
        "dynamic_route_to": None,
        "suppress": False,
        "suspend": None,
        "priority": "",
        "annotate": "",
        "pagerduty_automation_actions": None,
        "automation_actions": None,
        "incident_custom_field_updates": None,
        "severity": "",
        "event_action": "",
        "variables": None,
        "extractions": None,
        "escalation_policy": None,
    }
    return {**actions, **values}

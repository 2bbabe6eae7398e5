"""Event orchestration paths: validating a PUT body, building the new path, warnings, rendering.

A PUT replaces the whole path: rules and sets that are not sent are deleted, rule ids that are
sent are kept, and rules without an id get a new 8-hex id. Rules using features the account's
plan lacks are saved but reported in `warnings`. Actions are canonical
(`orchestration_actions`): zero-valued keys are accepted and dropped, reads return every key the
path type supports.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pagerduty_simulator import ids
from pagerduty_simulator.errors import ApiError, invalid_input
from pagerduty_simulator.models import (
    JSON,
    Account,
    OrchestrationPath,
    PathKind,
    Rule,
    RuleSet,
)
from pagerduty_simulator.orchestration_actions import (
    CATCH_ALL_ACTIONS,
    RULE_ACTIONS,
    canonical,
    is_zero,
)

SEVERITIES = frozenset({"info", "warning", "error", "critical"})
EVENT_ACTIONS = frozenset({"trigger", "resolve"})
MAX_CONDITION_BYTES = 2048
LIST_ACTIONS = frozenset(
    {
        "variables",
        "extractions",
        "automation_actions",
        "incident_custom_field_updates",
        "pagerduty_automation_actions",
    }
)
BOOL_ACTIONS = frozenset({"suppress", "drop_event"})
# Features an account plan may lack, detected from actions (feature name == action name).
GATED_ACTIONS = frozenset(
    {
        "suspend",
        "suppress",
        "variables",
        "automation_actions",
        "pagerduty_automation_actions",
        "incident_custom_field_updates",
        "dynamic_route_to",
        "escalation_policy",
    }
)


def default_catch_all(kind: PathKind) -> JSON:
    """The catch-all of a fresh path (the router sends unmatched events to `unrouted`)."""
    if kind == "router":
        return {"actions": {"route_to": "unrouted"}}
    return {"actions": {}}


def empty_path(
    kind: PathKind, parent_id: str, now: str, actor: str | None, *, version: str | None = None
) -> OrchestrationPath:
    """A path with an empty `start` set, as PagerDuty creates them."""
    return OrchestrationPath(
        kind=kind,
        parent_id=parent_id,
        sets=[RuleSet(id="start", rules=[])],
        catch_all=default_catch_all(kind),
        created_at=now,
        created_by=actor,
        updated_at=now,
        updated_by=actor,
        version=version or ids.version_tag(),
    )


def _check_action_value(
    name: str, value: Any, where: str, account: Account, kind: PathKind
) -> None:
    if value is None:
        return
    if name in BOOL_ACTIONS and not isinstance(value, bool):
        raise invalid_input(f"{where}.{name} must be a boolean")
    if name in LIST_ACTIONS and not isinstance(value, list):
        raise invalid_input(f"{where}.{name} must be an array")
    if name == "suspend" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise invalid_input(f"{where}.suspend must be a non-negative integer")
    if name == "severity" and value not in SEVERITIES:
        raise invalid_input(f"{where}.severity must be one of info, warning, error, critical")
    if name == "event_action" and value not in EVENT_ACTIONS:
        raise invalid_input(f"{where}.event_action must be trigger or resolve")
    if name == "annotate" and not isinstance(value, str):
        raise invalid_input(f"{where}.annotate must be a string")
    if name == "priority" and (
        not isinstance(value, str) or value not in {p.id for p in account.priorities}
    ):
        raise invalid_input(f"{where}.priority must be the id of a priority of this account")
    if name == "escalation_policy" and (
        not isinstance(value, str) or value not in account.escalation_policies
    ):
        raise invalid_input(f"{where}.escalation_policy must be the id of an escalation policy")
    if name == "dynamic_route_to" and (
        not isinstance(value, Mapping)
        or value.get("lookup_by") not in {"service_name", "service_id"}
    ):
        raise invalid_input(f"{where}.dynamic_route_to needs source, regex and lookup_by")
    if name == "route_to" and not isinstance(value, str):
        raise invalid_input(f"{where}.route_to must be a string")
    if (
        name == "route_to"
        and kind == "router"
        and value not in account.services
        and not (where.startswith("catch_all") and value == "unrouted")
    ):
        raise invalid_input(f"{where}.route_to must be the id of a service of this account")


def _parse_actions(
    raw: Any, allowed: frozenset[str], where: str, account: Account, kind: PathKind
) -> JSON:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise invalid_input(f"{where} must be an object")
    # Zero values (null, false, "", []) are unset actions, on any key: dropped, never refused.
    actions = {name: value for name, value in raw.items() if not is_zero(value)}
    unknown = sorted(set(actions) - allowed)
    if unknown:
        raise invalid_input(f"{where}: {', '.join(unknown)} not allowed on a {kind} path")
    for name, value in actions.items():
        _check_action_value(name, value, where, account, kind)
    return copy.deepcopy(actions)


def _parse_conditions(raw: Any, where: str) -> list[JSON]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise invalid_input(f"{where}.conditions must be an array")
    conditions: list[JSON] = []
    for index, item in enumerate(raw):
        expression = item.get("expression") if isinstance(item, Mapping) else None
        if not isinstance(expression, str) or not expression.strip():
            raise invalid_input(f"{where}.conditions[{index}].expression must be a PCL string")
        if len(expression.encode()) > MAX_CONDITION_BYTES:
            raise invalid_input(f"{where}.conditions[{index}].expression is longer than 2048 bytes")
        conditions.append({"expression": expression})
    return conditions


def parse_path_body(
    body: Any, kind: PathKind, account: Account, *, taken_ids: set[str] | None = None
) -> tuple[list[RuleSet], JSON]:
    """Validate `{"orchestration_path": {...}}` and build its sets and catch-all."""
    if not isinstance(body, Mapping) or not isinstance(body.get("orchestration_path"), Mapping):
        raise invalid_input("orchestration_path is required")
    path = body["orchestration_path"]
    raw_sets = path.get("sets")
    if raw_sets is None:
        raw_sets = [{"id": "start", "rules": []}]
    if not isinstance(raw_sets, list) or not raw_sets:
        raise invalid_input("sets must be a non-empty array")
    set_ids: list[str] = []
    for index, raw_set in enumerate(raw_sets):
        if not isinstance(raw_set, Mapping):
            raise invalid_input(f"sets[{index}] must be an object")
        set_id = raw_set.get("id", "start")
        if not isinstance(set_id, str) or not set_id:
            raise invalid_input(f"sets[{index}].id must be a non-empty string")
        if set_id in set_ids:
            raise invalid_input(f"set id {set_id!r} is used twice")
        set_ids.append(set_id)
    if "start" not in set_ids:
        raise invalid_input("sets must contain a set with id 'start'")
    if kind == "router" and set_ids != ["start"]:
        raise invalid_input("the router has exactly one set, 'start'")
    seen_rule_ids: set[str] = set()
    sets: list[RuleSet] = []
    new_rules: list[Rule] = []
    for set_index, raw_set in enumerate(raw_sets):
        raw_rules = raw_set.get("rules") or []
        if not isinstance(raw_rules, list):
            raise invalid_input(f"sets[{set_index}].rules must be an array")
        rules: list[Rule] = []
        for rule_index, raw_rule in enumerate(raw_rules):
            where = f"sets[{set_index}].rules[{rule_index}]"
            if not isinstance(raw_rule, Mapping):
                raise invalid_input(f"{where} must be an object")
            actions = _parse_actions(
                raw_rule.get("actions"), RULE_ACTIONS[kind], f"{where}.actions", account, kind
            )
            route = actions.get("route_to")
            if kind != "router" and route is not None:
                if route not in set_ids:
                    raise invalid_input(f"{where}.actions.route_to names no set of this path")
                if route == set_ids[set_index]:
                    raise invalid_input(f"{where}.actions.route_to must not name its own set")
            if (
                kind == "router"
                and "dynamic_route_to" in actions
                and (set_index != 0 or rule_index != 0 or "route_to" in actions)
            ):
                raise invalid_input("dynamic_route_to is allowed only on the first router rule")
            label = raw_rule.get("label")
            if label is not None and not isinstance(label, str):
                raise invalid_input(f"{where}.label must be a string")
            disabled = raw_rule.get("disabled")
            if disabled is None:
                disabled = False
            if not isinstance(disabled, bool):
                raise invalid_input(f"{where}.disabled must be a boolean")
            rule_id = raw_rule.get("id") or None  # "" (a Go client's zero value): a new rule
            if rule_id is not None:
                if not isinstance(rule_id, str) or not rule_id:
                    raise invalid_input(f"{where}.id must be a string")
                if rule_id in seen_rule_ids:
                    raise invalid_input(f"rule id {rule_id!r} is used twice")
                seen_rule_ids.add(rule_id)
            rule = Rule(
                id=rule_id or "",
                label=label,
                conditions=_parse_conditions(raw_rule.get("conditions"), where),
                actions=actions,
                disabled=disabled,
            )
            if not rule_id:
                new_rules.append(rule)
            rules.append(rule)
        sets.append(RuleSet(id=set_ids[set_index], rules=rules))
    taken = seen_rule_ids | (taken_ids or set())
    for rule in new_rules:
        while (candidate := ids.rule_id()) in taken:
            pass
        taken.add(candidate)
        rule.id = candidate
    raw_catch_all = path.get("catch_all")
    if raw_catch_all is None:
        catch_all = default_catch_all(kind)
    else:
        if not isinstance(raw_catch_all, Mapping):
            raise invalid_input("catch_all must be an object")
        actions = _parse_actions(
            raw_catch_all.get("actions"),
            CATCH_ALL_ACTIONS[kind],
            "catch_all.actions",
            account,
            kind,
        )
        if kind == "router" and "route_to" not in actions:
            actions["route_to"] = "unrouted"
        catch_all = {"actions": actions}
    return sets, catch_all


def _uses_threshold(conditions: list[JSON]) -> bool:
    return any("trigger_count" in str(c.get("expression", "")) for c in conditions)


def plan_warnings(sets: list[RuleSet], account: Account) -> list[JSON]:
    """Warnings for rules that use features the account's plan does not include."""
    disabled = set(account.disabled_features)
    warnings: list[JSON] = []

    def warn(rule: Rule, feature: str, feature_type: str) -> None:
        warnings.append(
            {
                "message": (
                    f"The '{feature}' feature is not available on this account's plan; "
                    "the rule was saved but this part of it will have no effect."
                ),
                "rule_id": rule.id,
                "feature": feature,
                "feature_type": feature_type,
                "warning_type": "forbidden_feature",
            }
        )

    for rule_set in sets:
        for rule in rule_set.rules:
            if "threshold_condition" in disabled and _uses_threshold(rule.conditions):
                warn(rule, "threshold_condition", "conditions")
            if "nested_rules" in disabled and rule_set.id != "start":
                warn(rule, "nested_rules", "nested_rules")
            for action, value in rule.actions.items():
                if (
                    action in GATED_ACTIONS
                    and action in disabled
                    and value not in (None, False, [])
                ):
                    warn(rule, action, "actions")
    return warnings


def replace_path(
    path: OrchestrationPath,
    body: Any,
    account: Account,
    *,
    now: str,
    actor: str | None,
) -> list[JSON]:
    """Apply a PUT to `path` in place; returns the plan warnings."""
    sets, catch_all = parse_path_body(body, path.kind, account)
    path.sets = sets
    path.catch_all = catch_all
    path.updated_at = now
    path.updated_by = actor
    path.version = ids.version_tag()
    return plan_warnings(sets, account)


def _user_ref(user_id: str | None, origin: str) -> JSON | None:
    if user_id is None:
        return None
    return {"id": user_id, "self": f"{origin}/users/{user_id}", "type": "user_reference"}


def path_url(path: OrchestrationPath, origin: str) -> str:
    """The API URL of a path."""
    if path.kind == "service":
        return f"{origin}/event_orchestrations/services/{path.parent_id}"
    return f"{origin}/event_orchestrations/{path.parent_id}/{path.kind}"


def render_rule(rule: Rule, kind: PathKind) -> JSON:
    """A rule as reads return it: every field, and the full action object of its path type."""
    return {
        "id": rule.id,
        "label": rule.label,
        "conditions": copy.deepcopy(rule.conditions),
        "actions": canonical(kind, rule.actions, catch_all=False),
        "disabled": rule.disabled,
    }


def render_catch_all(path: OrchestrationPath) -> JSON:
    return {"actions": canonical(path.kind, path.catch_all.get("actions") or {}, catch_all=True)}


def render_path(path: OrchestrationPath, origin: str) -> JSON:
    """The `orchestration_path` object of a GET or PUT response."""
    if path.kind == "service":
        parent = {
            "id": path.parent_id,
            "self": f"{origin}/services/{path.parent_id}",
            "type": "service_reference",
        }
    else:
        parent = {
            "id": path.parent_id,
            "self": f"{origin}/event_orchestrations/{path.parent_id}",
            "type": "event_orchestration_reference",
        }
    return {
        "type": path.kind,
        "parent": parent,
        "self": path_url(path, origin),
        "sets": [
            {"id": rule_set.id, "rules": [render_rule(rule, path.kind) for rule in rule_set.rules]}
            for rule_set in path.sets
        ],
        "catch_all": render_catch_all(path),
        "created_at": path.created_at,
        "created_by": _user_ref(path.created_by, origin),
        "updated_at": path.updated_at,
        "updated_by": _user_ref(path.updated_by, origin),
        "version": path.version,
    }


def put_answer(path: OrchestrationPath, origin: str, warnings: list[JSON]) -> JSON:
    """The body of a path PUT's answer: the path, and `warnings` (null when there are none).

    PagerDuty's Go client (go-pagerduty 1.8.0, `getServiceOrchestrationFromResponse` and its
    siblings) decodes the answer as `map[string]ServiceOrchestration`: every top-level value must
    decode as a path, which `null` does and `[]` does not. So there are no warnings as `null`.
    """
    return {"orchestration_path": render_path(path, origin), "warnings": warnings or None}


def describe_error(error: ApiError) -> str:
    """A one-line description of a validation error (for seed errors)."""
    return "; ".join(error.errors) or error.message

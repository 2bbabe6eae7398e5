"""What one PagerDutyIncidentRule wants in its orchestration path.

The operator marks each rule it owns with a suffix in the label that PagerDuty keeps:
`[k8s:<namespace>/<name> order=<order>]`. The marker finds the rule again after a crash (no
duplicates) and carries the sort key, so rules of several custom resources sort the same way in
every process, whichever of them changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pagerduty_operator.models.incident_rule import IncidentRuleSpec, RuleActions

MARKER_RE = re.compile(r"\s*\[k8s:([a-z0-9.-]+)/([a-z0-9.-]+) order=(-?\d+)\]\s*$")
Owner = tuple[str, str]


def rule_marker(owner: Owner, order: int) -> str:
    return f"[k8s:{owner[0]}/{owner[1]} order={order}]"


def parse_marker(label: str | None) -> tuple[Owner, int] | None:
    """The owner and order a label is marked with, if any."""
    match = MARKER_RE.search(label or "")
    if match is None:
        return None
    return (match.group(1), match.group(2)), int(match.group(3))


def strip_marker(label: str | None) -> str:
    return MARKER_RE.sub("", label or "")


def sort_key(owner: Owner, order: int) -> tuple[int, str]:
    return (order, f"{owner[0]}/{owner[1]}")


def actions_body(actions: RuleActions | None, priority_id: str | None) -> dict[str, Any]:
    """PagerDuty's `actions` object for the spec's actions (priority already resolved to an id)."""
    if actions is None:
        return {}
    body: dict[str, Any] = {}
    simple = {
        "route_to": actions.route_to,
        "severity": actions.severity,
        "suppress": actions.suppress,
        "suspend": actions.suspend,
        "event_action": actions.event_action,
        "annotate": actions.annotate,
        "escalation_policy": actions.escalation_policy,
        "drop_event": actions.drop_event,
        "priority": priority_id,
    }
    body.update({k: v for k, v in simple.items() if v is not None})
    if actions.variables:
        body["variables"] = [
            {"name": v.name, "path": v.path, "type": v.type or "regex", "value": v.value}
            for v in actions.variables
        ]
    if actions.extractions:
        body["extractions"] = [
            {k: v for k, v in e.model_dump(by_alias=False).items() if v is not None}
            for e in actions.extractions
        ]
    if actions.incident_custom_field_updates:
        body["incident_custom_field_updates"] = [
            {"id": u.id, "value": u.value} for u in actions.incident_custom_field_updates
        ]
    return body


def _is_unset(value: Any) -> bool:
    return value is None or value is False or (isinstance(value, str | list | dict) and not value)


def _without_unset(value: Any) -> Any:
    """`value` with every object key whose value is unset removed, at any depth."""
    if isinstance(value, dict):
        cleaned = {k: _without_unset(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if not _is_unset(v)}
    if isinstance(value, list):
        return [_without_unset(item) for item in value]
    return value


def normalized_actions(actions: Any) -> dict[str, Any]:
    """Actions as they mean, whatever the shape PagerDuty reads them back in.

    PagerDuty returns the full action object (every key the path type supports, unset ones
    `null`, `false` or `[]`), and may do the same inside list items (an extraction's unused
    `regex`, an automation action's `auto_send: false`): unset values (null, false, "", [], {})
    are dropped at every depth, so only what is set is compared.
    """
    if not isinstance(actions, dict):
        return {}
    normalized: dict[str, Any] = _without_unset(actions)
    return normalized


@dataclass(frozen=True)
class DesiredRule:
    """The rule one custom resource wants, in PagerDuty's shape (without an id)."""

    owner: Owner
    set_id: str
    order: int
    label: str
    conditions: tuple[str, ...]
    actions: dict[str, Any]
    disabled: bool
    adopt_id: str | None = None

    @classmethod
    def build(cls, spec: IncidentRuleSpec, owner: Owner, priority_id: str | None) -> DesiredRule:
        base = (spec.label or f"{owner[0]}/{owner[1]}").strip()
        return cls(
            owner=owner,
            set_id=spec.set,
            order=spec.order,
            label=f"{base} {rule_marker(owner, spec.order)}",
            conditions=tuple(spec.conditions or ()),
            actions=actions_body(spec.actions, priority_id),
            disabled=spec.disabled,
            adopt_id=spec.adopt_id,
        )

    def body(self, rule_id: str | None) -> dict[str, Any]:
        rule: dict[str, Any] = {
            "label": self.label,
            "conditions": [{"expression": c} for c in self.conditions],
            "actions": dict(self.actions),
            "disabled": self.disabled,
        }
        if rule_id:
            rule = {"id": rule_id, **rule}
        return rule

    def differences(self, actual: dict[str, Any]) -> list[str]:
        """Fields of an existing rule that differ from this one.

        `actual` is the rule as PagerDuty reads it back: `conditions` null or [], `disabled`
        null, false or absent, and the full action object all mean what this rule sent.
        """
        fields = []
        if actual.get("label") != self.label:
            fields.append("label")
        conditions = [
            c.get("expression") if isinstance(c, dict) else c
            for c in actual.get("conditions") or []
        ]
        if conditions != list(self.conditions):
            fields.append("conditions")
        if normalized_actions(actual.get("actions")) != normalized_actions(self.actions):
            fields.append("actions")
        if bool(actual.get("disabled")) != self.disabled:
            fields.append("disabled")
        return fields

"""What an Events API v2 event does: global rules, router, service rules, then an incident.

Orchestration routing keys go through the orchestration's global path and router (unmatched
events end in the unrouted path and create nothing); integration keys go straight to their
service. A service evaluates its own orchestration path when it is `active`. Actions of features
the account's plan lacks are ignored, as PagerDuty's warnings announce.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pagerduty_simulator.incidents import (
    open_incident_for_key,
    set_incident_status,
    trigger_incident,
)
from pagerduty_simulator.models import JSON, Account, Incident, OrchestrationPath, Service
from pagerduty_simulator.pcl import matches_any
from pagerduty_simulator.state import RoutingTarget, SimulatorState
from pagerduty_simulator.urgency import incident_urgency

CEF_FIELDS = (
    "summary",
    "source",
    "severity",
    "timestamp",
    "component",
    "group",
    "class",
    "custom_details",
)


@dataclass
class EventOutcome:
    result: str
    """incident_created, grouped, deduplicated, acknowledged, resolved, alert_resolved,
    suppressed, dropped, unrouted, or ignored."""
    service_id: str | None = None
    incident_id: str | None = None
    actions: JSON = field(default_factory=dict)

    def to_json(self) -> JSON:
        return {
            "result": self.result,
            "service_id": self.service_id,
            "incident_id": self.incident_id,
            "actions": self.actions,
        }


def normalize(body: JSON) -> JSON:
    """The PD-CEF view of an event that `event.*` paths in conditions read."""
    payload = body.get("payload") if isinstance(body.get("payload"), dict) else {}
    assert isinstance(payload, dict)
    event: JSON = {name: payload.get(name) for name in CEF_FIELDS if name in payload}
    event.setdefault("custom_details", {})
    for name in ("event_action", "dedup_key", "client", "client_url"):
        if name in body:
            event[name] = body[name]
    return event


def _allowed(account: Account, actions: JSON) -> JSON:
    disabled = set(account.disabled_features)
    return {key: value for key, value in actions.items() if key not in disabled}


def evaluate_path(path: OrchestrationPath, account: Account, event: JSON, raw: JSON) -> JSON:
    """The merged actions of the rules an event passes through (following `route_to` sets)."""
    sets = {rule_set.id: rule_set for rule_set in path.sets}
    actions: JSON = {}
    set_id: str | None = "start"
    visited: set[str] = set()
    while set_id is not None and set_id in sets and set_id not in visited:
        visited.add(set_id)
        matched = next(
            (
                rule
                for rule in sets[set_id].rules
                if not rule.disabled and matches_any(rule.conditions, event, raw)
            ),
            None,
        )
        if matched is None:
            actions.update(_allowed(account, dict(path.catch_all.get("actions", {}))))
            break
        rule_actions = _allowed(account, dict(matched.actions))
        set_id = rule_actions.pop("route_to", None)
        actions.update(rule_actions)
    return actions


def _dynamic_route(account: Account, spec: Any, event: JSON, raw: JSON) -> str | None:
    if not isinstance(spec, dict):
        return None
    source = str(spec.get("source", ""))
    parts = source.split(".")
    value: Any = {"event": event, "raw_event": raw}
    for part in parts:
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return None
    match = re.search(str(spec.get("regex", "(.*)")), str(value))
    if match is None:
        return None
    found = match.group(1) if match.groups() else match.group(0)
    if spec.get("lookup_by") == "service_id":
        return found if found in account.services else None
    return next((s.id for s in account.services.values() if s.name == found), None)


def route(path: OrchestrationPath, account: Account, event: JSON, raw: JSON) -> str:
    """The service id (or `unrouted`) the router sends an event to."""
    for rule_set in path.sets[:1]:
        for rule in rule_set.rules:
            if rule.disabled or not matches_any(rule.conditions, event, raw):
                continue
            actions = _allowed(account, rule.actions)
            if "dynamic_route_to" in actions:
                target = _dynamic_route(account, actions["dynamic_route_to"], event, raw)
                if target is not None:
                    return target
                continue
            target = actions.get("route_to")
            if isinstance(target, str):
                return target
    fallback = path.catch_all.get("actions", {}).get("route_to", "unrouted")
    return str(fallback)


def grouping_incident(state: SimulatorState, account: Account, service: Service) -> Incident | None:
    """The open incident a new alert joins under time-based grouping, if any.

    The alert joins the most recently opened incident of the service when it arrives within
    `config.timeout` minutes of that incident's start (0: for as long as the incident is open).
    """
    params = service.alert_grouping_parameters
    if params.get("type") != "time":
        return None
    window = int(params["config"]["timeout"]) * 60
    now = state.clock.time()
    candidates = [
        incident
        for incident in account.incidents.values()
        if incident.service_id == service.id
        and incident.status != "resolved"
        and (window == 0 or now - incident.opened_at_ts <= window)
    ]
    return max(candidates, key=lambda i: (i.opened_at_ts, i.number), default=None)


def _trigger(
    state: SimulatorState,
    account: Account,
    service: Service,
    body: JSON,
    actions: JSON,
    keys: tuple[str, str],
    outcome: EventOutcome,
) -> EventOutcome:
    routing_key, dedup_key = keys
    if actions.get("suppress"):
        outcome.result = "suppressed"
        return outcome
    if outcome.incident_id is not None:
        outcome.result = "deduplicated"
        return outcome
    grouped = grouping_incident(state, account, service)
    if grouped is not None:
        grouped.alert_keys[dedup_key] = "triggered"
        outcome.result = "grouped"
        outcome.incident_id = grouped.id
        return outcome
    payload = body.get("payload") or {}
    severity = actions.get("severity") or payload.get("severity")
    incident = trigger_incident(
        state,
        account,
        service,
        str(payload.get("summary", "")),
        urgency=incident_urgency(service, severity, state.clock.now()),
        priority_id=actions.get("priority"),
        incident_key=dedup_key,
        routing_key=routing_key,
    )
    outcome.result = "incident_created"
    outcome.incident_id = incident.id
    return outcome


def _incident(
    state: SimulatorState,
    account: Account,
    service: Service,
    body: JSON,
    actions: JSON,
    routing_key: str,
    dedup_key: str,
) -> EventOutcome:
    event_action = actions.get("event_action") or body.get("event_action")
    existing = open_incident_for_key(account, service, dedup_key, routing_key)
    outcome = EventOutcome("ignored", service.id, existing.id if existing else None, actions)
    if event_action == "trigger":
        return _trigger(state, account, service, body, actions, (routing_key, dedup_key), outcome)
    if existing is None:
        return outcome
    if event_action == "acknowledge":
        if set_incident_status(state, account, existing, "acknowledged"):
            outcome.result = "acknowledged"
        return outcome
    existing.alert_keys[dedup_key] = "resolved"
    if any(status != "resolved" for status in existing.alert_keys.values()):
        outcome.result = "alert_resolved"
    elif set_incident_status(state, account, existing, "resolved"):
        outcome.result = "resolved"
    return outcome


def process_event(
    state: SimulatorState, target: RoutingTarget, body: JSON, dedup_key: str
) -> EventOutcome:
    """Run one alert event through orchestrations and into an incident change."""
    account = target.account
    event = normalize(body)
    routing_key = str(body.get("routing_key"))
    actions: JSON = {}
    service = target.service
    if target.orchestration is not None:
        orchestration = target.orchestration
        actions = evaluate_path(orchestration.global_, account, event, raw=body)
        if actions.get("drop_event"):
            return EventOutcome("dropped", actions=actions)
        destination = route(orchestration.router, account, event, body)
        service = account.services.get(destination)
        if service is None:
            actions.update(evaluate_path(orchestration.unrouted, account, event, raw=body))
            return EventOutcome("unrouted", actions=actions)
    assert service is not None
    if service.orchestration_active:
        actions.update(evaluate_path(service.orchestration, account, event, raw=body))
    return _incident(state, account, service, body, actions, routing_key, dedup_key)

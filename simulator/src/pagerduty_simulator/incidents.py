"""Incidents and the webhook v3 events they produce for matching subscriptions."""

from __future__ import annotations

from typing import Any

from pagerduty_simulator import ids
from pagerduty_simulator.clock import iso_millis
from pagerduty_simulator.models import (
    JSON,
    Account,
    Incident,
    Service,
    WebhookSubscription,
)
from pagerduty_simulator.state import SimulatorState

STATUS_EVENTS = {
    "acknowledged": "incident.acknowledged",
    "resolved": "incident.resolved",
    "triggered": "incident.unacknowledged",
}
URGENCIES = frozenset({"high", "low"})

PING_DATA: JSON = {"message": "Hello from your friend Pagey!", "type": "ping"}


def reference(kind: str, object_id: str, summary: str, api_url: str, html_url: str) -> JSON:
    return {
        "html_url": html_url,
        "id": object_id,
        "self": api_url,
        "summary": summary,
        "type": f"{kind}_reference",
    }


def incident_data(state: SimulatorState, account: Account, incident: Incident) -> JSON:
    """The `data` object of `incident.*` webhook events."""
    origin = state.origin(account.region)
    web = account.web_base()
    service = account.services[incident.service_id]
    policy = account.escalation_policies.get(service.escalation_policy_id)
    priority = next((p for p in account.priorities if p.id == incident.priority_id), None)
    assignee = policy.user_ids[0] if policy and policy.user_ids else None
    user = account.users.get(assignee) if assignee else None
    return {
        "id": incident.id,
        "type": "incident",
        "self": f"{origin}/incidents/{incident.id}",
        "html_url": f"{web}/incidents/{incident.id}",
        "number": incident.number,
        "status": incident.status,
        "incident_key": incident.incident_key,
        "created_at": incident.created_at,
        "reopened_at": None,
        "title": incident.title,
        "incident_type": {"name": "incident_default"},
        "service": reference(
            "service",
            service.id,
            service.name,
            f"{origin}/services/{service.id}",
            f"{web}/service-directory/{service.id}",
        ),
        "assignees": [
            reference(
                "user", user.id, user.name, f"{origin}/users/{user.id}", f"{web}/users/{user.id}"
            )
        ]
        if user and incident.status != "resolved"
        else [],
        "escalation_policy": reference(
            "escalation_policy",
            policy.id,
            policy.name,
            f"{origin}/escalation_policies/{policy.id}",
            f"{web}/escalation_policies/{policy.id}",
        )
        if policy
        else None,
        "teams": [
            reference(
                "team", team.id, team.name, f"{origin}/teams/{team.id}", f"{web}/teams/{team.id}"
            )
            for team in (account.teams[t] for t in service.team_ids if t in account.teams)
        ],
        "priority": reference(
            "priority",
            priority.id,
            priority.name,
            f"{origin}/priorities/{priority.id}",
            f"{web}/account/incident_priorities",
        )
        if priority
        else None,
        "urgency": incident.urgency,
        "conference_bridge": None,
        "resolve_reason": None,
    }


def envelope(state: SimulatorState, event_type: str, data: JSON, agent: JSON | None = None) -> JSON:
    """A webhook v3 payload: exactly one event."""
    return {
        "event": {
            "id": ids.event_id(),
            "event_type": event_type,
            "resource_type": event_type.split(".", 1)[0],
            "occurred_at": iso_millis(state.clock.now()),
            "agent": agent,
            "client": None,
            "data": data,
        }
    }


def _filter_matches(subscription: WebhookSubscription, service: Service) -> bool:
    if subscription.filter_type == "account_reference":
        return True
    if subscription.filter_type == "service_reference":
        return subscription.filter_id == service.id
    return subscription.filter_id in service.team_ids


def emit(
    state: SimulatorState, account: Account, service: Service, event_type: str, payload: JSON
) -> int:
    """Queue `payload` for every active subscription that wants `event_type` for `service`."""
    count = 0
    for subscription in list(account.webhooks.values()):
        if not subscription.active or event_type not in subscription.events:
            continue
        if not _filter_matches(subscription, service):
            continue
        if state.deliveries is not None:
            state.deliveries.enqueue(account, subscription, payload)
            count += 1
    return count


def _user_agent(state: SimulatorState, account: Account, user_id: str | None) -> JSON | None:
    user = account.users.get(user_id) if user_id else None
    if user is None:
        return None
    origin = state.origin(account.region)
    return reference(
        "user",
        user.id,
        user.name,
        f"{origin}/users/{user.id}",
        f"{account.web_base()}/users/{user.id}",
    )


def trigger_incident(
    state: SimulatorState,
    account: Account,
    service: Service,
    title: str,
    *,
    urgency: str = "high",
    priority_id: str | None = None,
    incident_key: str | None = None,
    routing_key: str | None = None,
    agent_user_id: str | None = None,
) -> Incident:
    """Open an incident on `service` and emit `incident.triggered`."""
    account.incident_counter += 1
    now = state.clock.iso()
    incident = Incident(
        id=state.new_id(),
        number=account.incident_counter,
        title=title,
        service_id=service.id,
        status="triggered",
        urgency=urgency,
        created_at=now,
        incident_key=incident_key or ids.uuid_str().replace("-", ""),
        priority_id=priority_id,
        routing_key=routing_key,
        last_status_change_at=now,
        opened_at_ts=state.clock.time(),
    )
    incident.alert_keys[incident.incident_key] = "triggered"
    account.incidents[incident.id] = incident
    service.last_incident_timestamp = now
    payload = envelope(
        state,
        "incident.triggered",
        incident_data(state, account, incident),
        _user_agent(state, account, agent_user_id),
    )
    emit(state, account, service, "incident.triggered", payload)
    return incident


def set_incident_status(
    state: SimulatorState,
    account: Account,
    incident: Incident,
    status: str,
    *,
    agent_user_id: str | None = None,
) -> bool:
    """Move an incident to `status`, emitting the matching events; False when nothing changed.

    Leaving `resolved` reopens the incident (`incident.reopened`, then `incident.acknowledged`
    when reopened as acknowledged); `acknowledged` back to `triggered` is `incident.unacknowledged`.
    """
    if status not in STATUS_EVENTS or incident.status == status:
        return False
    previous = incident.status
    incident.status = status
    incident.resolved_at = state.clock.iso() if status == "resolved" else None
    incident.last_status_change_at = state.clock.iso()
    incident.last_status_change_by = agent_user_id
    if previous == "resolved":
        incident.opened_at_ts = state.clock.time()
        incident.alert_keys[incident.incident_key] = "triggered"
    if status == "resolved":
        incident.alert_keys = dict.fromkeys(incident.alert_keys, "resolved")
    incident.acknowledged_at_ts = state.clock.time() if status == "acknowledged" else None
    event_types: list[str] = []
    if previous == "resolved":
        event_types.append("incident.reopened")
        if status == "acknowledged":
            event_types.append("incident.acknowledged")
    elif status == "triggered":
        event_types.append("incident.unacknowledged")
    else:
        event_types.append(STATUS_EVENTS[status])
    service = account.services.get(incident.service_id)
    if service is not None:
        agent = _user_agent(state, account, agent_user_id)
        for event_type in event_types:
            data = incident_data(state, account, incident)
            emit(state, account, service, event_type, envelope(state, event_type, data, agent))
    return True


def set_incident_priority(
    state: SimulatorState,
    account: Account,
    incident: Incident,
    priority_id: str | None,
    *,
    agent_user_id: str | None = None,
) -> bool:
    """Change the priority, emitting `incident.priority_updated`; False when unchanged."""
    if incident.priority_id == priority_id:
        return False
    incident.priority_id = priority_id
    service = account.services.get(incident.service_id)
    if service is not None:
        data = incident_data(state, account, incident)
        agent = _user_agent(state, account, agent_user_id)
        payload = envelope(state, "incident.priority_updated", data, agent)
        emit(state, account, service, "incident.priority_updated", payload)
    return True


def service_event(
    state: SimulatorState, account: Account, service: Service, event_type: str
) -> int:
    """Emit `service.created`, `service.updated` or `service.deleted` for a service."""
    origin = state.origin(account.region)
    web = account.web_base()
    data: JSON = {
        "id": service.id,
        "type": "service",
        "self": f"{origin}/services/{service.id}",
        "html_url": f"{web}/service-directory/{service.id}",
        "summary": service.name,
        "alert_creation": "create_alerts_and_incidents",
        "teams": [
            reference(
                "team",
                team_id,
                account.teams[team_id].name,
                f"{origin}/teams/{team_id}",
                f"{web}/teams/{team_id}",
            )
            for team_id in service.team_ids
            if team_id in account.teams
        ],
    }
    return emit(state, account, service, event_type, envelope(state, event_type, data))


def open_incident_for_key(
    account: Account, service: Service, key: str, routing_key: str
) -> Incident | None:
    """The unresolved incident an Events API dedup key refers to, if any.

    The incident's own key counts only with the routing key that opened it; alerts that joined
    it through time-based grouping are found by their dedup key on the same service.
    """
    for incident in account.incidents.values():
        if incident.service_id != service.id or incident.status == "resolved":
            continue
        if incident.incident_key == key and incident.routing_key == routing_key:
            return incident
        if key != incident.incident_key and incident.alert_keys.get(key) == "triggered":
            return incident
    return None


def ping(state: SimulatorState, account: Account, subscription: WebhookSubscription) -> Any:
    """Queue a `pagey.ping` for one subscription (the ping endpoint)."""
    payload = envelope(state, "pagey.ping", dict(PING_DATA))
    if state.deliveries is None:
        return None
    return state.deliveries.enqueue(account, subscription, payload)

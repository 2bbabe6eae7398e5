"""Checking incident changes (`PUT /incidents/{id}`, bulk `PUT /incidents`) and their requester.

Changing (or creating) incidents with an account-level credential needs a `From` header naming a
user of the account; user keys and user OAuth tokens are their own requester. A bulk update is
all-or-nothing: every entry is checked (at most 250, else 413) before any incident changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pagerduty_simulator.errors import (
    INVALID_INPUT,
    ApiError,
    invalid_input,
)
from pagerduty_simulator.incidents import (
    URGENCIES,
    set_incident_priority,
    set_incident_status,
)
from pagerduty_simulator.models import Account, Incident
from pagerduty_simulator.rest.context import RestContext

STATUSES = frozenset({"triggered", "acknowledged", "resolved"})
UPDATE_TYPES = frozenset({"incident", "incident_reference"})
MAX_BULK_UPDATES = 250
REQUESTER_USER_NOT_FOUND = 1008
FROM_REQUIRED = (
    'You must specify a user\'s email address in the "From" header to perform this action'
)


def requester(ctx: RestContext) -> str:
    """The user behind a change: the credential's user, else the `From` header's user.

    No `From` with an account-level credential is 400 (code 2001, PagerDuty's message); an
    address that is no user of the account is 400 "Requester User Not Found" (code 1008).
    """
    if ctx.principal.user_id is not None:
        return ctx.principal.user_id
    email = ctx.request.headers.get("From", "").strip().lower()
    if not email:
        raise invalid_input(FROM_REQUIRED)
    for user in ctx.account.users.values():
        if user.email.lower() == email:
            return user.id
    raise ApiError(400, "Requester User Not Found", REQUESTER_USER_NOT_FOUND)


def priority_id(account: Account, raw: Any) -> str | None:
    """A priority given as a reference object (by id) or as a name; `None` clears it."""
    if raw is None:
        return None
    if isinstance(raw, str):
        # The spec: "the highest priority with a matching name will be used" (list order).
        match = next((p for p in account.priorities if p.name == raw), None)
        if match is None:
            raise invalid_input("priority must name a priority of this account")
        return match.id
    wanted = raw.get("id") if isinstance(raw, dict) else None
    if not any(p.id == wanted for p in account.priorities):
        raise invalid_input("priority.id must be the id of a priority of this account")
    return str(wanted)


@dataclass(frozen=True)
class IncidentChange:
    """A checked change of one incident, applied only once every change of the request passed."""

    incident: Incident
    title: str
    urgency: str
    priority_id: str | None
    status: str | None

    def apply(self, ctx: RestContext, requester_id: str) -> None:
        incident = self.incident
        incident.title = self.title
        incident.urgency = self.urgency
        set_incident_priority(
            ctx.state, ctx.account, incident, self.priority_id, agent_user_id=requester_id
        )
        if self.status is not None:
            set_incident_status(
                ctx.state, ctx.account, incident, self.status, agent_user_id=requester_id
            )


def check_change(ctx: RestContext, incident: Incident, raw: dict[str, Any]) -> IncidentChange:
    """Validate one incident's update body (the fields the simulator models)."""
    if raw.get("type", "incident") not in UPDATE_TYPES:
        raise invalid_input("incident.type must be incident or incident_reference")
    status = raw.get("status")
    if status is not None and status not in STATUSES:
        raise invalid_input("incident.status must be resolved, acknowledged or triggered")
    title = raw.get("title", incident.title)
    if not isinstance(title, str) or not title:
        raise invalid_input("incident.title must be a non-empty string")
    urgency = raw.get("urgency", incident.urgency)
    if urgency not in URGENCIES:
        raise invalid_input("incident.urgency must be high or low")
    priority = (
        priority_id(ctx.account, raw["priority"]) if "priority" in raw else incident.priority_id
    )
    return IncidentChange(incident, title, str(urgency), priority, status)


def _bulk_entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    entries = body.get("incidents")
    if not isinstance(entries, list) or not entries:
        raise invalid_input("incidents must be a non-empty array")
    if len(entries) > MAX_BULK_UPDATES:
        raise ApiError(
            413,
            "Request Entity Too Large",
            INVALID_INPUT,
            [f"A maximum of {MAX_BULK_UPDATES} incidents may be updated at a time"],
        )
    if not all(isinstance(entry, dict) for entry in entries):
        raise invalid_input("incidents must be an array of objects")
    return entries


def check_bulk(ctx: RestContext, body: dict[str, Any]) -> list[IncidentChange]:
    """Validate a bulk update body; every entry names a distinct incident of the account."""
    changes: list[IncidentChange] = []
    seen: set[str] = set()
    for index, entry in enumerate(_bulk_entries(body)):
        incident_id = entry.get("id")
        if not isinstance(incident_id, str) or not incident_id:
            raise invalid_input(f"incidents[{index}].id is required")
        if "type" not in entry:
            raise invalid_input(f"incidents[{index}].type is required")
        if incident_id in seen:
            raise invalid_input(f"incidents[{index}]: incident {incident_id} is listed twice")
        seen.add(incident_id)
        incident = ctx.account.incidents.get(incident_id)
        if incident is None:
            raise invalid_input(f"Incident {incident_id} not found")
        changes.append(check_change(ctx, incident, entry))
    return changes

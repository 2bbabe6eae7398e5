"""`/incidents`: list, get, create, update one and update many (status, priority, title, urgency).

Creating or updating with an account-level credential needs a `From` header naming a user of the
account, as PagerDuty requires (`incident_updates`). Incident changes emit the webhook events
subscribers expect.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from pagerduty_simulator.errors import invalid_input, json_response, not_found
from pagerduty_simulator.incidents import URGENCIES, trigger_incident
from pagerduty_simulator.models import JSON, Account, Incident
from pagerduty_simulator.pagination import paginate, parse_page
from pagerduty_simulator.rest.context import Endpoint, RestContext
from pagerduty_simulator.rest.incident_updates import (
    STATUSES,
    check_bulk,
    check_change,
    priority_id,
    requester,
)
from pagerduty_simulator.urgency import incident_urgency

READ = "incidents.read"
WRITE = "incidents.write"


def _ref(kind: str, object_id: str, summary: str, api: str, html: str) -> JSON:
    return {
        "id": object_id,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": api,
        "html_url": html,
    }


def render_incident(account: Account, incident: Incident, origin: str) -> JSON:
    web_base = account.web_base()
    service = account.services.get(incident.service_id)
    policy = account.escalation_policies.get(service.escalation_policy_id) if service else None
    assignee = account.users.get(policy.user_ids[0]) if policy and policy.user_ids else None
    priority = next((p for p in account.priorities if p.id == incident.priority_id), None)
    rendered: JSON = {
        "id": incident.id,
        "type": "incident",
        "summary": f"[#{incident.number}] {incident.title}",
        "self": f"{origin}/incidents/{incident.id}",
        "html_url": f"{web_base}/incidents/{incident.id}",
        "incident_number": incident.number,
        "title": incident.title,
        "created_at": incident.created_at,
        "updated_at": incident.last_status_change_at or incident.created_at,
        "status": incident.status,
        "incident_key": incident.incident_key,
        "service": _ref(
            "service",
            incident.service_id,
            service.name if service else "",
            f"{origin}/services/{incident.service_id}",
            f"{web_base}/service-directory/{incident.service_id}",
        ),
        "assignments": [
            {
                "at": incident.created_at,
                "assignee": _ref(
                    "user",
                    assignee.id,
                    assignee.name,
                    f"{origin}/users/{assignee.id}",
                    f"{web_base}/users/{assignee.id}",
                ),
            }
        ]
        if assignee and incident.status != "resolved"
        else [],
        "assigned_via": "escalation_policy",
        "last_status_change_at": incident.last_status_change_at or incident.created_at,
        "alert_counts": {
            "all": 1,
            "triggered": 0 if incident.status == "resolved" else 1,
            "resolved": 1 if incident.status == "resolved" else 0,
        },
        "is_mergeable": True,
        "incident_type": {"name": "incident_default"},
        "escalation_policy": _ref(
            "escalation_policy",
            policy.id,
            policy.name,
            f"{origin}/escalation_policies/{policy.id}",
            f"{web_base}/escalation_policies/{policy.id}",
        )
        if policy
        else None,
        "teams": [
            _ref("team", t, account.teams[t].name, f"{origin}/teams/{t}", f"{web_base}/teams/{t}")
            for t in (service.team_ids if service else [])
            if t in account.teams
        ],
        "pending_actions": [],
        "acknowledgements": [],
        "priority": {
            "id": priority.id,
            "type": "priority",
            "summary": priority.name,
            "self": f"{origin}/priorities/{priority.id}",
            "name": priority.name,
            "description": priority.description,
        }
        if priority
        else None,
        "urgency": incident.urgency,
    }
    if incident.resolved_at is not None:
        rendered["resolved_at"] = incident.resolved_at
    return rendered


def _find(ctx: RestContext) -> Incident:
    incident = ctx.account.incidents.get(ctx.param("id"))
    if incident is None:
        raise not_found("Incident")
    return incident


def _incident_input(body: dict[str, Any]) -> dict[str, Any]:
    inner = body.get("incident")
    if not isinstance(inner, dict):
        raise invalid_input("incident is required")
    return inner


async def list_incidents(ctx: RestContext) -> web.StreamResponse:
    page = parse_page(ctx.query)
    incidents = list(ctx.account.incidents.values())
    statuses = set(ctx.query.getall("statuses[]", []))
    if statuses - STATUSES:
        raise invalid_input("statuses[] must be triggered, acknowledged or resolved")
    if statuses:
        incidents = [i for i in incidents if i.status in statuses]
    service_ids = set(ctx.query.getall("service_ids[]", []))
    if service_ids:
        incidents = [i for i in incidents if i.service_id in service_ids]
    key = ctx.query.get("incident_key")
    if key:
        incidents = [i for i in incidents if i.incident_key == key]
    chunk, meta = paginate(incidents, page)
    rendered = [render_incident(ctx.account, i, ctx.origin) for i in chunk]
    return json_response({"incidents": rendered, **meta})


async def get_incident(ctx: RestContext) -> web.StreamResponse:
    return json_response({"incident": render_incident(ctx.account, _find(ctx), ctx.origin)})


async def create_incident(ctx: RestContext) -> web.StreamResponse:
    raw = _incident_input(await ctx.json_object())
    requester_id = requester(ctx)
    if raw.get("type") != "incident":
        raise invalid_input("incident.type must be incident")
    title = raw.get("title")
    if not isinstance(title, str) or not title:
        raise invalid_input("incident.title is required")
    service_ref = raw.get("service")
    service_id = service_ref.get("id") if isinstance(service_ref, dict) else None
    service = ctx.account.services.get(str(service_id))
    if service is None:
        raise invalid_input("incident.service must reference a service of this account")
    # Without an urgency the service's urgency rule decides (no severity: high when severity-based).
    urgency = raw.get("urgency") or incident_urgency(service, None, ctx.state.clock.now())
    if urgency not in URGENCIES:
        raise invalid_input("incident.urgency must be high or low")
    key = raw.get("incident_key")
    if key is not None and (not isinstance(key, str) or not key):
        raise invalid_input("incident.incident_key must be a string")
    if key is not None and any(
        i.service_id == service.id and i.incident_key == key and i.status != "resolved"
        for i in ctx.account.incidents.values()
    ):
        raise invalid_input(
            "Open incident with matching incident key already exists on this service"
        )
    incident = trigger_incident(
        ctx.state,
        ctx.account,
        service,
        title,
        urgency=str(urgency),
        priority_id=priority_id(ctx.account, raw.get("priority")),
        incident_key=key,
        agent_user_id=requester_id,
    )
    rendered = render_incident(ctx.account, incident, ctx.origin)
    return json_response({"incident": rendered}, status=201)


async def update_incident(ctx: RestContext) -> web.StreamResponse:
    incident = _find(ctx)
    raw = _incident_input(await ctx.json_object())
    requester_id = requester(ctx)
    check_change(ctx, incident, raw).apply(ctx, requester_id)
    return json_response({"incident": render_incident(ctx.account, incident, ctx.origin)})


async def update_incidents(ctx: RestContext) -> web.StreamResponse:
    """Bulk update: all entries are checked before any changes; the answer is a list page."""
    page = parse_page(ctx.query)
    body = await ctx.json_object()
    requester_id = requester(ctx)
    changes = check_bulk(ctx, body)
    for change in changes:
        change.apply(ctx, requester_id)
    chunk, meta = paginate([change.incident for change in changes], page)
    rendered = [render_incident(ctx.account, incident, ctx.origin) for incident in chunk]
    return json_response({"incidents": rendered, **meta})


ENDPOINTS = [
    Endpoint("GET", "/incidents", READ, list_incidents),
    Endpoint("POST", "/incidents", WRITE, create_incident),
    Endpoint("PUT", "/incidents", WRITE, update_incidents),
    Endpoint("GET", "/incidents/{id}", READ, get_incident),
    Endpoint("PUT", "/incidents/{id}", WRITE, update_incident),
]

"""`/services` reads (list, get, `include[]`) and `/services/{id}/integrations` (create/get/put).

Service writes (create, update, delete) live in `service_writes`.
"""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from pagerduty_simulator import ids
from pagerduty_simulator.errors import invalid_input, json_response, not_found
from pagerduty_simulator.models import JSON, Account, Integration, Service
from pagerduty_simulator.pagination import paginate, parse_page
from pagerduty_simulator.rest.context import Endpoint, RestContext
from pagerduty_simulator.rest.integration_types import (
    EVENTS_V2_TYPE,
    INTEGRATION_TYPES,
)

READ = "services.read"
WRITE = "services.write"
SERVICE_INCLUDES = {
    "escalation_policies",
    "teams",
    "integrations",
    "auto_pause_notifications_parameters",
}
KEYED_TYPES = {EVENTS_V2_TYPE, "generic_events_api_inbound_integration"}


def _ref(kind: str, object_id: str, summary: str, api: str, html: str) -> JSON:
    return {
        "id": object_id,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": api,
        "html_url": html,
    }


def render_integration(
    account: Account, service: Service, integration: Integration, origin: str
) -> JSON:
    """A full integration object (with `integration_key` for Events API integrations)."""
    web_base = account.web_base()
    rendered: JSON = {
        "id": integration.id,
        "type": integration.type,
        "summary": integration.name,
        "self": f"{origin}/services/{service.id}/integrations/{integration.id}",
        "html_url": f"{web_base}/services/{service.id}/integrations/{integration.id}",
        "name": integration.name,
        "service": _ref(
            "service",
            service.id,
            service.name,
            f"{origin}/services/{service.id}",
            f"{web_base}/service-directory/{service.id}",
        ),
        "created_at": integration.created_at,
    }
    if integration.integration_key is not None:
        rendered["integration_key"] = integration.integration_key
    if integration.integration_email is not None:
        rendered["integration_email"] = integration.integration_email
    return rendered


def render_service(account: Account, service: Service, origin: str, includes: set[str]) -> JSON:
    """A service; `includes` expands integrations, teams and escalation policies."""
    web_base = account.web_base()
    policy = account.escalation_policies.get(service.escalation_policy_id)
    policy_ref: JSON = _ref(
        "escalation_policy",
        service.escalation_policy_id,
        policy.name if policy else "",
        f"{origin}/escalation_policies/{service.escalation_policy_id}",
        f"{web_base}/escalation_policies/{service.escalation_policy_id}",
    )
    if "escalation_policies" in includes and policy is not None:
        policy_ref = {
            **policy_ref,
            "type": "escalation_policy",
            "name": policy.name,
            "description": policy.description,
            "escalation_rules": [],
        }
    teams = [account.teams[t] for t in service.team_ids if t in account.teams]
    team_refs: list[JSON] = []
    for team in teams:
        ref = _ref(
            "team", team.id, team.name, f"{origin}/teams/{team.id}", f"{web_base}/teams/{team.id}"
        )
        if "teams" in includes:
            ref = {**ref, "type": "team", "name": team.name, "description": team.description}
        team_refs.append(ref)
    integrations: list[JSON] = []
    for integration in service.integrations.values():
        if "integrations" in includes:
            integrations.append(render_integration(account, service, integration, origin))
        else:
            integrations.append(
                _ref(
                    integration.type,
                    integration.id,
                    integration.name,
                    f"{origin}/services/{service.id}/integrations/{integration.id}",
                    f"{web_base}/services/{service.id}/integrations/{integration.id}",
                )
            )
    rendered: JSON = {
        "id": service.id,
        "type": "service",
        "summary": service.name,
        "self": f"{origin}/services/{service.id}",
        "html_url": f"{web_base}/service-directory/{service.id}",
        "name": service.name,
        "description": service.description,
        "auto_resolve_timeout": service.auto_resolve_timeout,
        "acknowledgement_timeout": service.acknowledgement_timeout,
        "created_at": service.created_at,
        "status": service.status,
        "last_incident_timestamp": service.last_incident_timestamp,
        "escalation_policy": policy_ref,
        "teams": team_refs,
        "integrations": integrations,
        "response_play": None,
        **render_settings(service),
    }
    if "auto_pause_notifications_parameters" not in includes:
        del rendered["auto_pause_notifications_parameters"]
    return rendered


def render_settings(service: Service) -> JSON:
    """The configurable settings of a service, with PagerDuty's deprecated mirrors of grouping."""
    grouping = copy.deepcopy(service.alert_grouping_parameters)
    kind = grouping.get("type")
    return {
        "incident_urgency_rule": copy.deepcopy(service.incident_urgency_rule),
        "support_hours": copy.deepcopy(service.support_hours),
        "scheduled_actions": copy.deepcopy(service.scheduled_actions),
        "addons": [],
        "alert_creation": service.alert_creation,
        "alert_grouping_parameters": grouping,
        "alert_grouping": kind if kind in ("time", "intelligent") else None,
        "alert_grouping_timeout": grouping["config"]["timeout"] if kind == "time" else None,
        "auto_pause_notifications_parameters": dict(service.auto_pause_notifications_parameters),
    }


def _includes(ctx: RestContext, allowed: set[str]) -> set[str]:
    values = set(ctx.query.getall("include[]", []))
    unknown = values - allowed
    if unknown:
        raise invalid_input(f"include[] does not accept {', '.join(sorted(unknown))}")
    return values


def find_service(account: Account, service_id: str) -> Service:
    service = account.services.get(service_id)
    if service is None:
        raise not_found("Service")
    return service


async def list_services(ctx: RestContext) -> web.StreamResponse:
    page = parse_page(ctx.query)
    includes = _includes(ctx, SERVICE_INCLUDES)
    services = list(ctx.account.services.values())
    query = ctx.query.get("query")
    if query:
        services = [s for s in services if query.lower() in s.name.lower()]
    name = ctx.query.get("name")
    if name is not None:
        services = [s for s in services if s.name == name]
    team_ids = set(ctx.query.getall("team_ids[]", []))
    if team_ids:
        services = [s for s in services if team_ids & set(s.team_ids)]
    sort_by = ctx.query.get("sort_by", "name")
    if sort_by not in {"name", "name:asc", "name:desc"}:
        raise invalid_input("sort_by must be name, name:asc or name:desc")
    services.sort(key=lambda s: s.name.lower(), reverse=sort_by == "name:desc")
    chunk, meta = paginate(services, page)
    rendered = [render_service(ctx.account, s, ctx.origin, includes) for s in chunk]
    return json_response({"services": rendered, **meta})


async def get_service(ctx: RestContext) -> web.StreamResponse:
    service = find_service(ctx.account, ctx.param("id"))
    includes = _includes(ctx, SERVICE_INCLUDES)
    return json_response({"service": render_service(ctx.account, service, ctx.origin, includes)})


def _integration_input(body: dict[str, Any]) -> dict[str, Any]:
    inner = body.get("integration")
    if not isinstance(inner, dict):
        raise invalid_input("integration is required")
    return inner


async def create_integration(ctx: RestContext) -> web.StreamResponse:
    service = find_service(ctx.account, ctx.param("id"))
    raw = _integration_input(await ctx.json_object())
    kind = raw.get("type")
    if kind not in INTEGRATION_TYPES:
        raise invalid_input(
            "type must be an integration type such as events_api_v2_inbound_integration"
        )
    name = raw.get("name")
    if name is None:
        vendor = raw.get("vendor")
        name = "Events API V2" if vendor is None else "Integration"
    if not isinstance(name, str):
        raise invalid_input("name must be a string")
    email = raw.get("integration_email")
    if kind == "generic_email_inbound_integration" and not isinstance(email, str):
        raise invalid_input("integration_email is required for email integrations")
    integration = Integration(
        id=ctx.state.new_id(),
        type=str(kind),
        name=name,
        service_id=service.id,
        created_at=ctx.state.clock.iso(),
        integration_key=ids.integration_key() if kind in KEYED_TYPES else None,
        integration_email=email if isinstance(email, str) else None,
    )
    service.integrations[integration.id] = integration
    rendered = render_integration(ctx.account, service, integration, ctx.origin)
    return json_response({"integration": rendered}, status=201)


def _find_integration(ctx: RestContext) -> tuple[Service, Integration]:
    service = find_service(ctx.account, ctx.param("id"))
    integration = service.integrations.get(ctx.param("integration_id"))
    if integration is None:
        raise not_found("Integration")
    return service, integration


async def get_integration(ctx: RestContext) -> web.StreamResponse:
    service, integration = _find_integration(ctx)
    _includes(ctx, {"services", "vendors"})
    rendered = render_integration(ctx.account, service, integration, ctx.origin)
    return json_response({"integration": rendered})


async def update_integration(ctx: RestContext) -> web.StreamResponse:
    service, integration = _find_integration(ctx)
    raw = _integration_input(await ctx.json_object())
    if "type" in raw and raw["type"] != integration.type:
        raise invalid_input("the type of an integration cannot change")
    name = raw.get("name", integration.name)
    if not isinstance(name, str):
        raise invalid_input("name must be a string")
    integration.name = name
    rendered = render_integration(ctx.account, service, integration, ctx.origin)
    return json_response({"integration": rendered})


ENDPOINTS = [
    Endpoint("GET", "/services", READ, list_services),
    Endpoint("GET", "/services/{id}", READ, get_service),
    Endpoint("POST", "/services/{id}/integrations", WRITE, create_integration),
    Endpoint("GET", "/services/{id}/integrations/{integration_id}", READ, get_integration),
    Endpoint("PUT", "/services/{id}/integrations/{integration_id}", WRITE, update_integration),
]

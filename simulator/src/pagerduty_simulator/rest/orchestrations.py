"""`/event_orchestrations`: orchestrations, their paths and service `active` flags.

List and get orchestrations; get and replace router, global, unrouted and service paths; get
and set whether a service evaluates its orchestration.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from pagerduty_simulator import ids
from pagerduty_simulator.errors import invalid_input, json_response, not_found
from pagerduty_simulator.models import (
    JSON,
    Account,
    Orchestration,
    OrchestrationIntegration,
    OrchestrationPath,
    PathKind,
)
from pagerduty_simulator.orchestration_paths import (
    empty_path,
    put_answer,
    render_path,
    replace_path,
)
from pagerduty_simulator.pagination import paginate, parse_page
from pagerduty_simulator.rest.context import Endpoint, RestContext
from pagerduty_simulator.rest.services import find_service

READ = "event_orchestrations.read"
WRITE = "event_orchestrations.write"
SERVICE_READ = "services.read"
SERVICE_WRITE = "services.write"
SORTS = {"name:asc", "name:desc", "routes:asc", "routes:desc", "created_at:asc", "created_at:desc"}


def routes(orchestration: Orchestration) -> int:
    """How many router rules route somewhere (the `routes` field)."""
    return sum(
        1
        for rule_set in orchestration.router.sets
        for rule in rule_set.rules
        if rule.actions.get("route_to")
    )


def _user_ref(user_id: str | None, origin: str) -> JSON | None:
    if user_id is None:
        return None
    return {"id": user_id, "self": f"{origin}/users/{user_id}", "type": "user_reference"}


def render_orchestration(
    account: Account, orchestration: Orchestration, origin: str, *, listed: bool = False
) -> JSON:
    """An orchestration; list entries leave out `integrations`, as in PagerDuty's list schema."""
    team: JSON | None = None
    if orchestration.team_id is not None:
        team = {
            "id": orchestration.team_id,
            "self": f"{origin}/teams/{orchestration.team_id}",
            "type": "team_reference",
        }
    rendered: JSON = {
        "id": orchestration.id,
        "self": f"{origin}/event_orchestrations/{orchestration.id}",
        "name": orchestration.name,
        "description": orchestration.description,
        "team": team,
        "integrations": [
            {
                "id": entry.id,
                "label": entry.label,
                "parameters": {"routing_key": entry.routing_key, "type": "global"},
            }
            for entry in orchestration.integrations
        ],
        "routes": routes(orchestration),
        "created_at": orchestration.created_at,
        "created_by": _user_ref(orchestration.created_by, origin),
        "updated_at": orchestration.updated_at,
        "updated_by": _user_ref(orchestration.updated_by, origin),
        "version": orchestration.version,
    }
    if listed:
        del rendered["integrations"]
    return rendered


def _orchestration(ctx: RestContext) -> Orchestration:
    orchestration = ctx.account.orchestrations.get(ctx.param("id"))
    if orchestration is None:
        raise not_found("Orchestration")
    return orchestration


def _path(orchestration: Orchestration, kind: PathKind) -> OrchestrationPath:
    if kind == "router":
        return orchestration.router
    if kind == "global":
        return orchestration.global_
    return orchestration.unrouted


async def list_orchestrations(ctx: RestContext) -> web.StreamResponse:
    page = parse_page(ctx.query)
    sort_by = ctx.query.get("sort_by", "name:asc")
    if sort_by not in SORTS:
        raise invalid_input(f"sort_by must be one of {', '.join(sorted(SORTS))}")
    field, direction = sort_by.split(":")
    items = list(ctx.account.orchestrations.values())
    if field == "name":
        items.sort(key=lambda o: o.name.lower())
    elif field == "routes":
        items.sort(key=routes)
    else:
        items.sort(key=lambda o: o.created_at)
    if direction == "desc":
        items.reverse()
    chunk, meta = paginate(items, page)
    rendered = [render_orchestration(ctx.account, o, ctx.origin, listed=True) for o in chunk]
    return json_response({"orchestrations": rendered, **meta})


async def get_orchestration(ctx: RestContext) -> web.StreamResponse:
    orchestration = _orchestration(ctx)
    return json_response(
        {"orchestration": render_orchestration(ctx.account, orchestration, ctx.origin)}
    )


def _orchestration_input(
    ctx: RestContext, body: dict[str, Any], current: Orchestration | None
) -> tuple[str, str, str | None]:
    raw = body.get("orchestration")
    if not isinstance(raw, dict):
        raise invalid_input("orchestration is required")
    name = raw.get("name", current.name if current else None)
    if not isinstance(name, str) or not name.strip():
        raise invalid_input("orchestration.name is required")
    description = raw.get("description", current.description if current else "")
    if description is None:
        description = ""
    if not isinstance(description, str):
        raise invalid_input("orchestration.description must be a string")
    team_id = current.team_id if current else None
    if "team" in raw:
        team = raw["team"]
        team_id = team.get("id") if isinstance(team, dict) else None
        if team is not None and team_id not in ctx.account.teams:
            raise invalid_input("orchestration.team must reference a team of this account")
    return name, description, team_id


async def create_orchestration(ctx: RestContext) -> web.StreamResponse:
    name, description, team_id = _orchestration_input(ctx, await ctx.json_object(), None)
    now = ctx.state.clock.iso()
    orchestration_id = ids.uuid_str()
    actor = ctx.actor
    orchestration = Orchestration(
        id=orchestration_id,
        name=name,
        description=description,
        team_id=team_id,
        integrations=[
            OrchestrationIntegration(
                id=ids.uuid_str(),
                label="Default Integration",
                routing_key=ids.orchestration_routing_key(),
            )
        ],
        created_at=now,
        created_by=actor,
        updated_at=now,
        updated_by=actor,
        version=ids.version_tag(),
        router=empty_path("router", orchestration_id, now, actor),
        global_=empty_path("global", orchestration_id, now, actor),
        unrouted=empty_path("unrouted", orchestration_id, now, actor),
    )
    ctx.account.orchestrations[orchestration.id] = orchestration
    rendered = render_orchestration(ctx.account, orchestration, ctx.origin)
    return json_response({"orchestration": rendered}, status=201)


async def update_orchestration(ctx: RestContext) -> web.StreamResponse:
    orchestration = _orchestration(ctx)
    name, description, team_id = _orchestration_input(ctx, await ctx.json_object(), orchestration)
    orchestration.name, orchestration.description, orchestration.team_id = (
        name,
        description,
        team_id,
    )
    orchestration.updated_at = ctx.state.clock.iso()
    orchestration.updated_by = ctx.actor
    orchestration.version = ids.version_tag()
    rendered = render_orchestration(ctx.account, orchestration, ctx.origin)
    return json_response({"orchestration": rendered})


async def delete_orchestration(ctx: RestContext) -> web.StreamResponse:
    orchestration = _orchestration(ctx)
    del ctx.account.orchestrations[orchestration.id]
    return web.Response(status=204)


def _path_handlers(kind: PathKind) -> tuple[Endpoint, Endpoint]:
    async def get_path(ctx: RestContext) -> web.StreamResponse:
        path = _path(_orchestration(ctx), kind)
        return json_response({"orchestration_path": render_path(path, ctx.origin)})

    async def put_path(ctx: RestContext) -> web.StreamResponse:
        orchestration = _orchestration(ctx)
        path = _path(orchestration, kind)
        body = await ctx.json_object()
        warnings = replace_path(path, body, ctx.account, now=ctx.state.clock.iso(), actor=ctx.actor)
        orchestration.updated_at = path.updated_at
        orchestration.updated_by = path.updated_by
        return json_response(put_answer(path, ctx.origin, warnings))

    get_path.__name__ = f"get_{kind}_path"
    put_path.__name__ = f"put_{kind}_path"
    template = f"/event_orchestrations/{{id}}/{kind}"
    return Endpoint("GET", template, READ, get_path), Endpoint("PUT", template, WRITE, put_path)


async def get_service_path(ctx: RestContext) -> web.StreamResponse:
    service = find_service(ctx.account, ctx.param("service_id"))
    return json_response({"orchestration_path": render_path(service.orchestration, ctx.origin)})


async def put_service_path(ctx: RestContext) -> web.StreamResponse:
    service = find_service(ctx.account, ctx.param("service_id"))
    body = await ctx.json_object()
    warnings = replace_path(
        service.orchestration, body, ctx.account, now=ctx.state.clock.iso(), actor=ctx.actor
    )
    return json_response(put_answer(service.orchestration, ctx.origin, warnings))


async def get_service_active(ctx: RestContext) -> web.StreamResponse:
    service = find_service(ctx.account, ctx.param("service_id"))
    return json_response({"active": service.orchestration_active})


async def put_service_active(ctx: RestContext) -> web.StreamResponse:
    service = find_service(ctx.account, ctx.param("service_id"))
    body = await ctx.json_object()
    active = body.get("active")
    if not isinstance(active, bool):
        raise invalid_input("active must be a boolean")
    service.orchestration_active = active
    return json_response({"active": service.orchestration_active})


ENDPOINTS = [
    Endpoint("GET", "/event_orchestrations/services/{service_id}", SERVICE_READ, get_service_path),
    Endpoint("PUT", "/event_orchestrations/services/{service_id}", SERVICE_WRITE, put_service_path),
    Endpoint(
        "GET",
        "/event_orchestrations/services/{service_id}/active",
        SERVICE_READ,
        get_service_active,
    ),
    Endpoint(
        "PUT",
        "/event_orchestrations/services/{service_id}/active",
        SERVICE_WRITE,
        put_service_active,
    ),
    Endpoint("GET", "/event_orchestrations", READ, list_orchestrations),
    Endpoint("POST", "/event_orchestrations", WRITE, create_orchestration),
    Endpoint("GET", "/event_orchestrations/{id}", READ, get_orchestration),
    Endpoint("PUT", "/event_orchestrations/{id}", WRITE, update_orchestration),
    Endpoint("DELETE", "/event_orchestrations/{id}", WRITE, delete_orchestration),
    *_path_handlers("router"),
    *_path_handlers("global"),
    *_path_handlers("unrouted"),
]

"""Account-level reads: priorities, abilities, teams, users (list, get) and `users/me`."""

from __future__ import annotations

from aiohttp import web

from pagerduty_simulator.errors import (
    invalid_input,
    json_response,
    missing_ability,
    not_found,
)
from pagerduty_simulator.models import JSON, Account, Team, User
from pagerduty_simulator.pagination import paginate, parse_page
from pagerduty_simulator.rest.context import Endpoint, RestContext

# Ability names PagerDuty reports (abilities outside this list are unknown: 404).
KNOWN_ABILITIES = frozenset(
    {
        "advanced_reports",
        "coordinated_responding",
        "event_orchestrations",
        "event_rules",
        "global_event_rules",
        "manage_api_keys",
        "manage_schedules",
        "on_call_handoff_notifications",
        "permissions_service",
        "read_only_users",
        "service_support_hours",
        "sso",
        "team_responders",
        "teams",
        "urgencies",
    }
)
# `include[]` values of `GET /users` that the simulator serves (the spec also lists `subdomains`).
USER_INCLUDES = frozenset({"contact_methods", "notification_rules", "teams"})
ACCOUNT_TOKEN_USERS_ME = (
    "Because this request was made using an account-level access token, we were unable to "
    "determine the user's identity. Please use a user-level token."
)


def render_priority(origin: str, account: Account, index: int) -> JSON:
    priority = account.priorities[index]
    return {
        "id": priority.id,
        "type": "priority",
        "summary": priority.name,
        "self": f"{origin}/priorities/{priority.id}",
        "html_url": None,
        "name": priority.name,
        "description": priority.description,
    }


def render_team(origin: str, account: Account, team: Team) -> JSON:
    return {
        "id": team.id,
        "type": "team",
        "summary": team.name,
        "self": f"{origin}/teams/{team.id}",
        "html_url": f"{account.web_base()}/teams/{team.id}",
        "name": team.name,
        "description": team.description,
        "default_role": "manager",
    }


def render_user(
    origin: str, account: Account, user: User, includes: frozenset[str] = frozenset()
) -> JSON:
    """A user; with `include[]=teams` its teams are full team objects instead of references."""
    web_base = account.web_base()
    teams = [account.teams[team_id] for team_id in user.team_ids if team_id in account.teams]
    return {
        "id": user.id,
        "type": "user",
        "summary": user.name,
        "self": f"{origin}/users/{user.id}",
        "html_url": f"{web_base}/users/{user.id}",
        "name": user.name,
        "email": user.email,
        "time_zone": user.time_zone,
        "color": "green",
        "role": user.role,
        "avatar_url": "https://secure.gravatar.com/avatar/00000000000000000000000000000000.png",
        "description": None,
        "invitation_sent": False,
        "job_title": "",
        "teams": [
            render_team(origin, account, team)
            if "teams" in includes
            else {
                "id": team.id,
                "type": "team_reference",
                "summary": team.name,
                "self": f"{origin}/teams/{team.id}",
                "html_url": f"{web_base}/teams/{team.id}",
            }
            for team in teams
        ],
        "contact_methods": [],
        "notification_rules": [],
    }


async def list_priorities(ctx: RestContext) -> web.StreamResponse:
    page = parse_page(ctx.query)
    indexes = list(range(len(ctx.account.priorities)))
    chunk, meta = paginate(indexes, page)
    rendered = [render_priority(ctx.origin, ctx.account, index) for index in chunk]
    return json_response({"priorities": rendered, **meta})


async def list_abilities(ctx: RestContext) -> web.StreamResponse:
    return json_response({"abilities": list(ctx.account.abilities)})


async def get_ability(ctx: RestContext) -> web.StreamResponse:
    name = ctx.param("id")
    if name in ctx.account.abilities:
        return web.Response(status=204)
    if name not in KNOWN_ABILITIES:
        raise not_found("Ability")
    raise missing_ability(name)


async def list_teams(ctx: RestContext) -> web.StreamResponse:
    page = parse_page(ctx.query)
    teams = sorted(ctx.account.teams.values(), key=lambda t: t.name.lower())
    query = ctx.query.get("query")
    if query:
        teams = [t for t in teams if query.lower() in t.name.lower()]
    chunk, meta = paginate(teams, page)
    return json_response(
        {"teams": [render_team(ctx.origin, ctx.account, t) for t in chunk], **meta}
    )


async def get_team(ctx: RestContext) -> web.StreamResponse:
    team = ctx.account.teams.get(ctx.param("id"))
    if team is None:
        raise not_found("Team")
    return json_response({"team": render_team(ctx.origin, ctx.account, team)})


def _user_includes(ctx: RestContext) -> frozenset[str]:
    values = frozenset(ctx.query.getall("include[]", []))
    unknown = values - USER_INCLUDES
    if unknown:
        raise invalid_input(f"include[] does not accept {', '.join(sorted(unknown))}")
    return values


async def list_users(ctx: RestContext) -> web.StreamResponse:
    """Users sorted by name; `query` matches name or email (case-insensitive), `team_ids[]`."""
    page = parse_page(ctx.query)
    includes = _user_includes(ctx)
    users = sorted(ctx.account.users.values(), key=lambda u: (u.name.lower(), u.id))
    query = ctx.query.get("query", "").strip().lower()
    if query:
        users = [u for u in users if query in u.name.lower() or query in u.email.lower()]
    team_ids = set(ctx.query.getall("team_ids[]", []))
    if team_ids:
        users = [u for u in users if team_ids & set(u.team_ids)]
    chunk, meta = paginate(users, page)
    rendered = [render_user(ctx.origin, ctx.account, u, includes) for u in chunk]
    return json_response({"users": rendered, **meta})


async def get_user(ctx: RestContext) -> web.StreamResponse:
    user = ctx.account.users.get(ctx.param("id"))
    if user is None:
        raise not_found("User")
    includes = _user_includes(ctx)
    return json_response({"user": render_user(ctx.origin, ctx.account, user, includes)})


async def get_current_user(ctx: RestContext) -> web.StreamResponse:
    user_id = ctx.principal.user_id
    if user_id is None:
        return json_response({"error": ACCOUNT_TOKEN_USERS_ME}, status=400)
    user = ctx.account.users[user_id]
    return json_response({"user": render_user(ctx.origin, ctx.account, user)})


ENDPOINTS = [
    Endpoint("GET", "/priorities", "priorities.read", list_priorities),
    Endpoint("GET", "/abilities", "abilities.read", list_abilities),
    Endpoint("GET", "/abilities/{id}", "abilities.read", get_ability),
    Endpoint("GET", "/teams", "teams.read", list_teams),
    Endpoint("GET", "/teams/{id}", "teams.read", get_team),
    Endpoint("GET", "/users", "users.read", list_users),
    Endpoint("GET", "/users/me", None, get_current_user),
    Endpoint("GET", "/users/{id}", "users.read", get_user),
]

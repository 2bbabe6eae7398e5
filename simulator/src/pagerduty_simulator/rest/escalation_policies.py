"""`GET /escalation_policies` (`query`, `team_ids[]`, `user_ids[]`, `sort_by`) and `GET /{id}`.

Escalation policies are read-only here (seeded): services reference them. `query` keeps the
policies whose name contains it, case-insensitively (a search, not an exact-name lookup).
"""

from __future__ import annotations

from aiohttp import web

from pagerduty_simulator.errors import invalid_input, json_response, not_found
from pagerduty_simulator.models import JSON, Account, EscalationPolicy
from pagerduty_simulator.pagination import paginate, parse_page
from pagerduty_simulator.rest.context import Endpoint, RestContext

READ = "escalation_policies.read"
SORTS = ("name", "name:asc", "name:desc")
INCLUDES = frozenset({"services", "teams", "targets", "escalation_rule_assignment_strategies"})


def _ref(kind: str, object_id: str, summary: str, api: str, html: str) -> JSON:
    return {
        "id": object_id,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": api,
        "html_url": html,
    }


def render_policy(origin: str, account: Account, policy: EscalationPolicy) -> JSON:
    """A policy: one rule (30 minutes) targeting its users, its services and its team."""
    web_base = account.web_base()
    users = [account.users[u] for u in policy.user_ids if u in account.users]
    services = sorted(
        (s for s in account.services.values() if s.escalation_policy_id == policy.id),
        key=lambda s: s.name.lower(),
    )
    teams = [account.teams[t] for t in policy.team_ids if t in account.teams]
    rules: list[JSON] = []
    if users:
        rules.append(
            {
                "id": f"R{policy.id[1:]}",
                "escalation_delay_in_minutes": 30,
                "targets": [
                    _ref("user", u.id, u.name, f"{origin}/users/{u.id}", f"{web_base}/users/{u.id}")
                    for u in users
                ],
            }
        )
    return {
        "id": policy.id,
        "type": "escalation_policy",
        "summary": policy.name,
        "self": f"{origin}/escalation_policies/{policy.id}",
        "html_url": f"{web_base}/escalation_policies/{policy.id}",
        "name": policy.name,
        "description": policy.description,
        "num_loops": 0,
        "on_call_handoff_notifications": "if_has_services",
        "escalation_rules": rules,
        "services": [
            _ref(
                "service",
                s.id,
                s.name,
                f"{origin}/services/{s.id}",
                f"{web_base}/service-directory/{s.id}",
            )
            for s in services
        ],
        "teams": [
            _ref("team", t.id, t.name, f"{origin}/teams/{t.id}", f"{web_base}/teams/{t.id}")
            for t in teams
        ],
    }


def _check_includes(ctx: RestContext) -> None:
    unknown = set(ctx.query.getall("include[]", [])) - INCLUDES
    if unknown:
        raise invalid_input(f"include[] does not accept {', '.join(sorted(unknown))}")


async def list_policies(ctx: RestContext) -> web.StreamResponse:
    page = parse_page(ctx.query)
    _check_includes(ctx)
    sort_by = ctx.query.get("sort_by", "name")
    if sort_by not in SORTS:
        raise invalid_input("sort_by must be name, name:asc or name:desc")
    policies = sorted(
        ctx.account.escalation_policies.values(),
        key=lambda p: (p.name.lower(), p.id),
        reverse=sort_by == "name:desc",
    )
    query = ctx.query.get("query", "").strip().lower()
    if query:
        policies = [p for p in policies if query in p.name.lower()]
    team_ids = set(ctx.query.getall("team_ids[]", []))
    if team_ids:
        policies = [p for p in policies if team_ids & set(p.team_ids)]
    user_ids = set(ctx.query.getall("user_ids[]", []))
    if user_ids:
        policies = [p for p in policies if user_ids & set(p.user_ids)]
    chunk, meta = paginate(policies, page)
    rendered = [render_policy(ctx.origin, ctx.account, p) for p in chunk]
    return json_response({"escalation_policies": rendered, **meta})


async def get_policy(ctx: RestContext) -> web.StreamResponse:
    policy = ctx.account.escalation_policies.get(ctx.param("id"))
    if policy is None:
        raise not_found("Escalation Policy")
    _check_includes(ctx)
    return json_response({"escalation_policy": render_policy(ctx.origin, ctx.account, policy)})


ENDPOINTS = [
    Endpoint("GET", "/escalation_policies", READ, list_policies),
    Endpoint("GET", "/escalation_policies/{id}", READ, get_policy),
]

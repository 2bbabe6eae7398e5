"""The admin API under `/_simulator/` (JSON, no authentication; never faulted or logged).

See docs/simulator.md for every endpoint with examples.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import fields
from typing import Any, cast

from aiohttp import web

from pagerduty_simulator.appkeys import ADMIN_PREFIX, state_of
from pagerduty_simulator.dump import dump_state
from pagerduty_simulator.errors import ApiError, invalid_input, json_response, not_found
from pagerduty_simulator.incidents import (
    URGENCIES,
    service_event,
    set_incident_status,
    trigger_incident,
)
from pagerduty_simulator.models import Account, OrchestrationPath
from pagerduty_simulator.orchestration_paths import put_answer, replace_path
from pagerduty_simulator.requestlog import RequestLog
from pagerduty_simulator.rest.service_writes import read_settings
from pagerduty_simulator.rest.services import render_service
from pagerduty_simulator.seed import (
    SeedError,
    apply_seed,
    apply_seed_checked,
    default_seed,
    parse_seed_text,
)
from pagerduty_simulator.state import SimulatorState
from pagerduty_simulator.timers import run_due

WAIT_LIMIT_SECONDS = 30.0
CONFIG_FIELDS = {
    "rate_limit_per_minute": int,
    "events_rate_limit_per_minute": int,
    "oauth_token_ttl_seconds": int,
    "refresh_token_ttl_seconds": int,
    "webhook_limit_per_filter": int,
    "delivery_timeout_seconds": float,
    "delivery_retry_delays": list,
    "drops_before_disable": int,
    "log_requests": bool,
}


async def _json(request: web.Request, *, optional: bool = False) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip() and optional:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise invalid_input("the body must be JSON") from None
    if not isinstance(body, dict):
        raise invalid_input("the body must be a JSON object")
    return body


def _account(state: SimulatorState, subdomain: str | None) -> Account:
    if subdomain is None:
        if not state.accounts:
            raise invalid_input("there is no account")
        return next(iter(state.accounts.values()))
    account = state.accounts.get(subdomain)
    if account is None:
        raise not_found("Account")
    return account


async def reset_state(state: SimulatorState, *, empty: bool = False) -> None:
    """Back to the configured seed (or to nothing): forget objects, logs, faults, deliveries."""
    if state.deliveries is not None:
        await state.deliveries.cancel_all()
        state.deliveries.clear_records()
    state.clear()
    if not empty:
        seed = state.config.seed or default_seed()
        apply_seed(state, seed.document)


async def reset(request: web.Request) -> web.StreamResponse:
    body = await _json(request, optional=True)
    empty = body.get("empty", False)
    if not isinstance(empty, bool):
        raise invalid_input("empty must be a boolean")
    await reset_state(state_of(request), empty=empty)
    return json_response({"reset": True, "empty": empty})


async def seed(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    text = await request.text()
    try:
        parsed = parse_seed_text(text, "request body", validate=False)
        touched = apply_seed_checked(state, parsed.document)
    except SeedError as error:
        raise invalid_input(str(error)) from None
    return json_response({"accounts": touched})


async def get_state(request: web.Request) -> web.StreamResponse:
    return json_response(dump_state(state_of(request)))


async def get_requests(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    try:
        since = int(request.query.get("since", "0"))
    except ValueError:
        raise invalid_input("since must be an integer") from None
    entries = state.request_log.since(since)
    include = request.query.get("entries", "true").lower() not in {"0", "false"}
    payload: dict[str, Any] = {
        "last_seq": state.request_log.last_seq,
        "total": len(entries),
        "counts": RequestLog.counts(entries),
    }
    if include:
        payload["requests"] = [entry.to_json() for entry in entries]
    return json_response(payload)


async def clear_requests(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    state.request_log.clear()
    return json_response({"last_seq": state.request_log.last_seq})


async def list_faults(request: web.Request) -> web.StreamResponse:
    return json_response({"faults": [f.to_json() for f in state_of(request).faults.list()]})


async def add_fault(request: web.Request) -> web.StreamResponse:
    body = await _json(request)
    specs = body.get("faults", [body])
    if not isinstance(specs, list) or not all(isinstance(spec, dict) for spec in specs):
        raise invalid_input("faults must be a list of objects")
    added = [state_of(request).faults.add(spec).to_json() for spec in specs]
    return json_response({"faults": added}, status=201)


async def clear_faults(request: web.Request) -> web.StreamResponse:
    state_of(request).faults.clear()
    return web.Response(status=204)


async def create_incident(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    body = await _json(request)
    account = _account(state, body.get("account"))
    service = account.services.get(str(body.get("service_id")))
    if service is None:
        raise invalid_input("service_id must name a service of the account")
    title = body.get("title", "Simulated incident")
    urgency = body.get("urgency", "high")
    priority = body.get("priority")
    if priority is not None:
        match = next((p for p in account.priorities if priority in (p.id, p.name)), None)
        if match is None:
            raise invalid_input("priority must be a priority id or name")
        priority = match.id
    if not isinstance(title, str) or urgency not in URGENCIES:
        raise invalid_input("title must be a string and urgency high or low")
    incident = trigger_incident(
        state,
        account,
        service,
        title,
        urgency=urgency,
        priority_id=priority,
        incident_key=body.get("incident_key"),
        agent_user_id=body.get("user"),
    )
    return json_response({"incident": vars(incident)}, status=201)


async def update_incident(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    body = await _json(request)
    for account in state.accounts.values():
        incident = account.incidents.get(request.match_info["id"])
        if incident is not None:
            status = body.get("status")
            if status not in {"acknowledged", "resolved", "triggered"}:
                raise invalid_input("status must be acknowledged, resolved or triggered")
            changed = set_incident_status(
                state, account, incident, status, agent_user_id=body.get("user")
            )
            return json_response({"incident": vars(incident), "changed": changed})
    raise not_found("Incident")


async def get_deliveries(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    deliveries = state.deliveries
    if deliveries is None:
        return json_response({"deliveries": []})
    if request.query.get("wait", "false").lower() in {"1", "true"}:
        try:
            await asyncio.wait_for(deliveries.wait_idle(), WAIT_LIMIT_SECONDS)
        except TimeoutError:
            raise ApiError(504, "deliveries still pending", None) from None
    wanted = request.query.get("subscription_id")
    records = [d.to_json() for d in deliveries.records if wanted in (None, d.subscription_id)]
    return json_response({"deliveries": records})


async def get_events(request: web.Request) -> web.StreamResponse:
    return json_response({"events": list(state_of(request).events)})


async def advance_clock(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    body = await _json(request)
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise invalid_input("seconds must be a non-negative number")
    state.clock.advance(float(seconds))
    run_due(state)
    return json_response({"now": state.clock.iso(), "offset_seconds": state.clock.offset})


async def get_clock(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    return json_response({"now": state.clock.iso(), "offset_seconds": state.clock.offset})


def _config_json(state: SimulatorState) -> dict[str, Any]:
    config = state.config
    return {
        f.name: list(getattr(config, f.name))
        if f.name == "delivery_retry_delays"
        else getattr(config, f.name)
        for f in fields(config)
        if f.name in CONFIG_FIELDS
    }


async def get_config(request: web.Request) -> web.StreamResponse:
    return json_response(_config_json(state_of(request)))


async def put_config(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    body = await _json(request)
    unknown = set(body) - set(CONFIG_FIELDS)
    if unknown:
        raise invalid_input(f"unknown settings: {', '.join(sorted(unknown))}")
    for name, value in body.items():
        kind = CONFIG_FIELDS[name]
        if kind is list:
            if not isinstance(value, list) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in value
            ):
                raise invalid_input(f"{name} must be a list of non-negative numbers")
            setattr(state.config, name, tuple(float(v) for v in value))
        elif kind is bool:
            if not isinstance(value, bool):
                raise invalid_input(f"{name} must be a boolean")
            setattr(state.config, name, value)
        else:
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise invalid_input(f"{name} must be a non-negative number")
            setattr(state.config, name, kind(value))
    state.rate_limiter.limit_per_minute = state.config.rate_limit_per_minute
    state.events_limiter.limit_per_minute = state.config.events_rate_limit_per_minute
    return json_response(_config_json(state))


def _ui_path(request: web.Request, account: Account) -> OrchestrationPath:
    kind = request.match_info.get("kind")
    if kind is None:
        service = account.services.get(request.match_info["service_id"])
        if service is None:
            raise not_found("Service")
        return service.orchestration
    orchestration = account.orchestrations.get(request.match_info["id"])
    if orchestration is None:
        raise not_found("Orchestration")
    if kind == "router":
        return orchestration.router
    if kind == "global":
        return orchestration.global_
    if kind == "unrouted":
        return orchestration.unrouted
    raise not_found("Path")


async def ui_put_path(request: web.Request) -> web.StreamResponse:
    """Replace a path the way a person saving it in the web app would."""
    state = state_of(request)
    account = _account(state, request.match_info["subdomain"])
    path = _ui_path(request, account)
    body = await _json(request)
    warnings = replace_path(path, body, account, now=state.clock.iso(), actor=account.owner_id)
    origin = state.origin(account.region)
    return json_response(put_answer(path, origin, warnings))


async def ui_delete(request: web.Request) -> web.StreamResponse:
    """Delete an object the way a person would in the web app (drift tests)."""
    state = state_of(request)
    account = _account(state, request.match_info["subdomain"])
    collection = request.match_info["collection"]
    object_id = request.match_info["id"]
    tables: dict[str, dict[str, Any]] = {
        "services": cast(dict[str, Any], account.services),
        "webhook_subscriptions": cast(dict[str, Any], account.webhooks),
        "event_orchestrations": cast(dict[str, Any], account.orchestrations),
    }
    table = tables.get(collection)
    if table is None or object_id not in table:
        raise not_found("Object")
    del table[object_id]
    return web.Response(status=204)


async def ui_put_service(request: web.Request) -> web.StreamResponse:
    """Change a service's settings as a person editing it in the web app (drift tests)."""
    state = state_of(request)
    account = _account(state, request.match_info["subdomain"])
    service = account.services.get(request.match_info["service_id"])
    if service is None:
        raise not_found("Service")
    raw = (await _json(request)).get("service")
    if not isinstance(raw, dict):
        raise invalid_input("service is required")
    read_settings(account, service, raw, creating=False).apply_to(service)
    service_event(state, account, service, "service.updated")
    origin = state.origin(account.region)
    return json_response({"service": render_service(account, service, origin, set())})


async def ui_delete_integration(request: web.Request) -> web.StreamResponse:
    """Delete a service's integration as a person can in the web app (the API cannot)."""
    state = state_of(request)
    account = _account(state, request.match_info["subdomain"])
    service = account.services.get(request.match_info["service_id"])
    if service is None or service.integrations.pop(request.match_info["id"], None) is None:
        raise not_found("Integration")
    return web.Response(status=204)


async def health(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    return json_response({"ok": True, "origins": dict(state.origins)})


def add_admin_routes(app: web.Application) -> None:
    p = ADMIN_PREFIX
    router = app.router
    router.add_get(f"{p}health", health)
    router.add_post(f"{p}reset", reset)
    router.add_post(f"{p}seed", seed)
    router.add_get(f"{p}state", get_state)
    router.add_get(f"{p}requests", get_requests)
    router.add_post(f"{p}requests/reset", clear_requests)
    router.add_get(f"{p}faults", list_faults)
    router.add_post(f"{p}faults", add_fault)
    router.add_delete(f"{p}faults", clear_faults)
    router.add_post(f"{p}incidents", create_incident)
    router.add_post(f"{p}incidents/{{id}}/status", update_incident)
    router.add_get(f"{p}deliveries", get_deliveries)
    router.add_get(f"{p}events", get_events)
    router.add_get(f"{p}clock", get_clock)
    router.add_post(f"{p}clock/advance", advance_clock)
    router.add_get(f"{p}config", get_config)
    router.add_put(f"{p}config", put_config)
    ui = f"{p}accounts/{{subdomain}}"
    router.add_put(f"{ui}/event_orchestrations/services/{{service_id}}", ui_put_path)
    router.add_put(f"{ui}/services/{{service_id}}", ui_put_service)
    router.add_put(f"{ui}/event_orchestrations/{{id}}/{{kind}}", ui_put_path)
    router.add_delete(f"{ui}/services/{{service_id}}/integrations/{{id}}", ui_delete_integration)
    router.add_delete(f"{ui}/{{collection}}/{{id}}", ui_delete)

"""Events API v2: `POST /v2/enqueue` (alert events) and `POST /v2/change/enqueue`.

No Authorization header: the routing key in the body selects an integration or orchestration of
an account of this origin's region. Answers use the Events API's own body shapes.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from pagerduty_simulator import ids
from pagerduty_simulator.appkeys import CREDENTIAL_LABEL, region_of, state_of
from pagerduty_simulator.errors import ApiError, json_response
from pagerduty_simulator.event_pipeline import process_event
from pagerduty_simulator.state import RoutingTarget, SimulatorState

SEVERITIES = frozenset({"critical", "error", "warning", "info"})
ACTIONS = frozenset({"trigger", "acknowledge", "resolve"})
MAX_BODY = 512 * 1024


def invalid_event(*errors: str) -> ApiError:
    body = {"status": "invalid event", "message": "Event object is invalid", "errors": list(errors)}
    return ApiError(400, "Event object is invalid", None, body=body)


def _unrecognized() -> ApiError:
    body = {
        "status": "Unrecognized object",
        "message": "Event object format is unrecognized",
        "errors": ["JSON parse error"],
    }
    return ApiError(400, "Event object format is unrecognized", None, body=body)


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if len(raw) > MAX_BODY:
        raise invalid_event("Event object is larger than 512 KB")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _unrecognized() from None
    if not isinstance(body, dict):
        raise _unrecognized()
    return body


def _target(request: web.Request, state: SimulatorState, routing_key: Any) -> RoutingTarget:
    if not isinstance(routing_key, str) or len(routing_key) != 32:
        raise invalid_event("'routing_key' must be a 32 character string")
    target = state.find_routing_key(routing_key)
    if target is None or target.account.region != region_of(request):
        raise invalid_event("Invalid routing key")
    request[CREDENTIAL_LABEL] = f"routing_key:{target.account.subdomain}"
    decision = state.events_limiter.check(routing_key)
    if decision is not None and not decision.allowed:
        body = {
            "status": "throttle event",
            "message": "Requests for this service are arriving too quickly. Please retry later.",
        }
        raise ApiError(429, "throttled", None, body=body)
    return target


def _validate_alert(body: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    action = body.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' must be one of trigger, acknowledge, resolve")
    dedup_key = body.get("dedup_key")
    if dedup_key is not None and (not isinstance(dedup_key, str) or len(dedup_key) > 255):
        errors.append("'dedup_key' must be a string of at most 255 characters")
    if action in {"acknowledge", "resolve"} and not dedup_key:
        errors.append("'dedup_key' is required for acknowledge and resolve events")
    if action == "trigger":
        payload = body.get("payload")
        if not isinstance(payload, dict):
            errors.append("'payload' is required for trigger events")
        else:
            summary = payload.get("summary")
            if not isinstance(summary, str) or not summary:
                errors.append("'payload.summary' is required")
            elif len(summary) > 1024:
                errors.append("'payload.summary' must be at most 1024 characters")
            if not isinstance(payload.get("source"), str) or not payload.get("source"):
                errors.append("'payload.source' is required")
            if payload.get("severity") not in SEVERITIES:
                errors.append("'payload.severity' must be one of critical, error, warning, info")
    return errors


async def enqueue(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    body = await _body(request)
    target = _target(request, state, body.get("routing_key"))
    errors = _validate_alert(body)
    if errors:
        raise invalid_event(*errors)
    dedup_key = str(body.get("dedup_key") or ids.uuid_str().replace("-", ""))
    outcome = process_event(state, target, body, dedup_key)
    state.events.append(
        {
            "kind": "alert",
            "account": target.account.subdomain,
            "received_at": state.clock.iso(),
            "event_action": body.get("event_action"),
            "dedup_key": dedup_key,
            "summary": (body.get("payload") or {}).get("summary"),
            **outcome.to_json(),
        }
    )
    return json_response(
        {"status": "success", "message": "Event processed", "dedup_key": dedup_key}, status=202
    )


async def change_enqueue(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    body = await _body(request)
    target = _target(request, state, body.get("routing_key"))
    if target.service is None:
        raise invalid_event("Change events cannot be sent to an orchestration routing key")
    payload = body.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("summary"), str):
        raise invalid_event("'payload.summary' is required")
    state.events.append(
        {
            "kind": "change",
            "account": target.account.subdomain,
            "received_at": state.clock.iso(),
            "service_id": target.service.id,
            "summary": payload["summary"],
        }
    )
    return json_response({"status": "success", "message": "Change event processed"}, status=202)

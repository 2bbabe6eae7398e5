"""The middleware every API request passes.

It fires the service timers that are due (`timers`), injects faults, turns every error (unknown
routes included) into a PagerDuty-shaped answer, writes the request log and optionally logs each
request at INFO.

Admin requests (`/_simulator/...`) are neither faulted nor logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from http import HTTPStatus

from aiohttp import web
from aiohttp.typedefs import Handler

from pagerduty_simulator.appkeys import ADMIN_PREFIX, CREDENTIAL_LABEL, region_of, state_of
from pagerduty_simulator.auth import authenticate
from pagerduty_simulator.errors import (
    ACCESS_DENIED,
    AUTH_FAILED,
    INTERNAL_ERROR,
    INVALID_INPUT,
    NOT_FOUND,
    RATE_LIMITED,
    ApiError,
    json_response,
    standard_error_body,
)
from pagerduty_simulator.faults import Fault
from pagerduty_simulator.timers import run_due

log = logging.getLogger("pagerduty_simulator.requests")

UNMATCHED_ROUTE = "<unmatched>"
NON_REST_PREFIXES = (ADMIN_PREFIX, "/v2/", "/oauth/")
DROPPED_STATUS = 0
_CODES = {
    400: INVALID_INPUT,
    401: AUTH_FAILED,
    403: ACCESS_DENIED,
    404: NOT_FOUND,
    429: RATE_LIMITED,
}


def route_template(request: web.Request) -> str:
    """The matched route template such as `/webhook_subscriptions/{id}`."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED_ROUTE


def _unknown_route(request: web.Request, status: int, message: str) -> web.Response:
    """404/405 for routes the simulator lacks; REST paths still check credentials first."""
    if not request.path.startswith(NON_REST_PREFIXES):
        try:
            principal = authenticate(
                state_of(request), request.headers.get("Authorization"), region_of(request)
            )
        except ApiError as error:
            return error.to_response()
        request[CREDENTIAL_LABEL] = principal.label
    return json_response(standard_error_body(message, NOT_FOUND), status=status)


async def call_handler(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Run a handler, turning every error into a PagerDuty-shaped response."""
    try:
        return await handler(request)
    except ApiError as error:
        return error.to_response()
    except web.HTTPMethodNotAllowed:
        return _unknown_route(request, 405, "Method Not Allowed")
    except web.HTTPNotFound:
        return _unknown_route(request, 404, "Not Found")
    except web.HTTPException as error:
        code = _CODES.get(error.status, INTERNAL_ERROR)
        return json_response(standard_error_body(error.reason, code), status=error.status)


def fault_response(fault: Fault) -> web.Response:
    """The response a status or 429-storm fault answers with."""
    if fault.rate_limit:
        if not fault.rate_limit_headers:
            return web.Response(status=429)
        headers = {
            "ratelimit-limit": "960",
            "ratelimit-remaining": "0",
            "ratelimit-reset": str(fault.reset_seconds),
        }
        body = standard_error_body("Rate Limit Exceeded", RATE_LIMITED)
        return json_response(body, status=429, headers=headers)
    status = fault.status or 500
    if fault.body is not None:
        return json_response(fault.body, status=status)
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return json_response(
        standard_error_body(phrase, _CODES.get(status, INTERNAL_ERROR)), status=status
    )


def _drop(request: web.Request) -> web.Response:
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=500)  # never reaches the client


async def _with_fault(
    request: web.Request, handler: Handler, fault: Fault
) -> tuple[web.StreamResponse, bool]:
    if fault.delay > 0:
        await asyncio.sleep(fault.delay)
    if fault.after_handler:
        response = await call_handler(request, handler)
        if not (fault.drop or fault.rate_limit or fault.status is not None):
            return response, False
    elif not (fault.drop or fault.rate_limit or fault.status is not None):
        return await call_handler(request, handler), False
    if fault.drop:
        return _drop(request), True
    return fault_response(fault), False


@web.middleware
async def simulator_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = state_of(request)
    run_due(state)
    if request.path.startswith(ADMIN_PREFIX):
        return await call_handler(request, handler)
    region = region_of(request)
    started = time.perf_counter()
    fault = state.faults.take(request.method, request.path, region)
    dropped = False
    response: web.StreamResponse | None = None
    try:
        if fault is None:
            response = await call_handler(request, handler)
        else:
            response, dropped = await _with_fault(request, handler, fault)
        return response
    finally:
        status = DROPPED_STATUS if dropped or response is None else response.status
        elapsed_ms = (time.perf_counter() - started) * 1000
        state.request_log.append(
            at=state.clock.time(),
            region=region,
            method=request.method,
            route=route_template(request),
            path=request.path,
            status=status,
            credential=request.get(CREDENTIAL_LABEL),
            fault=fault.kind if fault is not None else None,
            duration_ms=elapsed_ms,
        )
        if state.config.log_requests:
            log.info(
                "%s %s %s -> %s (%.1f ms)", region, request.method, request.path, status, elapsed_ms
            )

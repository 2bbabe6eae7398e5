"""The context every REST handler gets, and the wrapper that authenticates and rate-limits.

A handler receives the caller, its account and helpers for input; the wrapper checks
credentials, the rate limit and the OAuth scope before calling it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from pagerduty_simulator.appkeys import CREDENTIAL_LABEL, region_of, state_of
from pagerduty_simulator.auth import Principal, authenticate, authorize
from pagerduty_simulator.errors import RATE_LIMITED, ApiError, invalid_input
from pagerduty_simulator.models import Account, Region
from pagerduty_simulator.state import SimulatorState


@dataclass
class RestContext:
    request: web.Request
    state: SimulatorState
    principal: Principal
    region: Region

    @property
    def account(self) -> Account:
        return self.principal.account

    @property
    def origin(self) -> str:
        """Base URL used in `self` links (the origin of the account's region)."""
        return self.state.origin(self.region)

    @property
    def query(self) -> MultiMapping[str]:
        return self.request.query

    def param(self, name: str) -> str:
        return self.request.match_info[name]

    @property
    def actor(self) -> str | None:
        """The user PagerDuty records as author of a change (the account owner for account keys)."""
        return self.principal.user_id or self.account.owner_id

    async def json_object(self) -> dict[str, Any]:
        """The request body as a JSON object; 400 for a wrong content type or invalid JSON."""
        if self.request.content_type != "application/json":
            raise invalid_input("Content-Type must be application/json")
        raw = await self.request.read()
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise invalid_input("The request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise invalid_input("The request body must be a JSON object")
        return body


Handler = Callable[[RestContext], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Endpoint:
    """One REST operation: method, aiohttp path template, required OAuth scope, handler."""

    method: str
    path: str
    scope: str | None
    handler: Handler


def rest_handler(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap a REST handler: 401, then rate limit (429), then 403, then the handler itself."""

    async def handle(request: web.Request) -> web.StreamResponse:
        state = state_of(request)
        region = region_of(request)
        principal = authenticate(state, request.headers.get("Authorization"), region)
        request[CREDENTIAL_LABEL] = principal.label
        decision = state.rate_limiter.check(principal.rate_key)
        headers = decision.headers() if decision is not None else {}
        try:
            if decision is not None and not decision.allowed:
                raise ApiError(429, "Rate Limit Exceeded", RATE_LIMITED)
            authorize(principal, endpoint.scope, request.method)
            response = await endpoint.handler(RestContext(request, state, principal, region))
        except ApiError as error:
            error.headers.update(headers)
            raise
        response.headers.update(headers)
        return response

    handle.__name__ = endpoint.handler.__name__
    return handle

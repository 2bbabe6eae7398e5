"""PagerDuty-shaped errors: an exception the handlers raise, and the responses it becomes.

The standard REST error body is `{"error": {"message": ..., "code": ..., "errors": [...]}}`.
A few endpoints answer differently (webhook 404s have an empty body, `/users/me` with an
account-level token has a string `error`); those build their body explicitly.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

AUTH_FAILED = 2006
ACCESS_DENIED = 2010
INVALID_INPUT = 2001
INTERNAL_ERROR = 2000
MISSING_ABILITY = 2014
PRODUCT_LIMIT = 2019
RATE_LIMITED = 2020
NOT_FOUND = 2100


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response with PagerDuty's content type."""
    return web.Response(
        body=json.dumps(payload, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def standard_error_body(message: str, code: int, errors: list[str] | None = None) -> dict[str, Any]:
    """PagerDuty's generic error object."""
    error: dict[str, Any] = {"message": message, "code": code}
    if errors:
        error["errors"] = errors
    return {"error": error}


class ApiError(Exception):
    """An error answer; the text never contains credentials or secrets."""

    def __init__(
        self,
        status: int,
        message: str,
        code: int | None,
        errors: list[str] | None = None,
        *,
        body: Any = None,
        empty_body: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.code = code
        self.errors = errors or []
        self.body = body
        self.empty_body = empty_body
        self.headers = dict(headers or {})

    def to_response(self) -> web.Response:
        """The HTTP response for this error."""
        if self.empty_body:
            return web.Response(status=self.status, headers=self.headers)
        if self.body is not None:
            return json_response(self.body, self.status, self.headers)
        code = self.code if self.code is not None else 0
        body = standard_error_body(self.message, code, self.errors)
        return json_response(body, self.status, self.headers)


def invalid_input(*errors: str) -> ApiError:
    """400 "Invalid Input Provided" (code 2001) with human-readable details."""
    return ApiError(400, "Invalid Input Provided", INVALID_INPUT, list(errors))


def authentication_failed() -> ApiError:
    """401 for missing, malformed, unknown, expired or wrong-region credentials."""
    return ApiError(401, "Authentication failed", AUTH_FAILED)


def access_denied(*errors: str) -> ApiError:
    """403 for a missing OAuth scope or a write with a read-only key."""
    return ApiError(403, "Access Denied", ACCESS_DENIED, list(errors))


def not_found(what: str = "Not Found") -> ApiError:
    """404 with the generic "Not Found" body (code 2100)."""
    return ApiError(
        404, "Not Found", NOT_FOUND, [f"{what} not found"] if what != "Not Found" else []
    )


def webhook_not_found() -> ApiError:
    """404 on webhook endpoints: PagerDuty documents no body, clients see none."""
    return ApiError(404, "Not Found", None, empty_body=True)


def product_limit(message: str) -> ApiError:
    """400 "Product Limit Reached" style error (code 2019)."""
    return ApiError(400, message, PRODUCT_LIMIT, [message])


def missing_ability(ability: str) -> ApiError:
    """402 for an ability the account's plan does not have."""
    return ApiError(
        402,
        "Account does not have the abilities to perform the action",
        MISSING_ABILITY,
        [f"Missing ability: {ability}"],
    )

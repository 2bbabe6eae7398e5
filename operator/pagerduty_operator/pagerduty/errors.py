"""The one typed error hierarchy of the PagerDuty client.

Every failure a caller can see is a :class:`PagerDutyError` carrying the HTTP status (when there
was a response), PagerDuty's error code and message, the method and the path *template* (for
example `/webhook_subscriptions/{id}`, never a URL with ids or a header). Messages pass through
:func:`~pagerduty_operator.pagerduty.redact.redact_text`, so no token or key can ride along.

:func:`error_from_response` builds the right subclass from PagerDuty's error body or from its
absence: the standard `{"error": {"message", "code", "errors"}}`, a top-level `message`/`code`,
the string `error` that `/users/me` returns for account tokens, an OAuth `error_description`,
an empty body (webhook endpoints) or an HTML page.

The tree, modelled on httpx's exception hierarchy (one base, a grouping class per way of
handling, a leaf per cause), so a caller catches exactly the group it can handle::

    PagerDutyError
    ├── AuthenticationError ........ 401, or the OAuth token endpoint refused
    ├── MissingScopeError .......... 403
    ├── MissingAbilityError ........ 402
    ├── NotFoundError .............. 404
    │   └── UnknownPriorityError ... a priority name the account does not have
    ├── ConflictError .............. 409
    ├── InvalidInputError .......... 400/422
    ├── ProductLimitError .......... code 2019
    ├── TransientError ............. trying the same call later may succeed
    │   ├── RateLimitedError ....... 429 after the client stopped waiting
    │   ├── ServerError ............ 5xx after the bounded retries
    │   └── UnreachableError ....... no response (timeout, connection failure)
    ├── AmbiguousWriteError ........ a write that may have happened: look before repeating it
    ├── MalformedResponseError ..... a success the client cannot read
    └── UnexpectedStatusError ...... any other status

`AmbiguousWriteError` is deliberately not a `TransientError`: repeating the write blindly could
make a second object, so it is its own group.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from .redact import redact_text

# PagerDuty error codes the client recognises (developer docs, REST-API/14-Errors.md).
CODE_INVALID_INPUT = 2001
CODE_AUTHENTICATION_FAILED = 2006
CODE_ACCESS_DENIED = 2010
CODE_MISSING_ABILITY = 2014
CODE_PRODUCT_LIMIT = 2019
CODE_RATE_LIMIT = 2020
CODE_NOT_FOUND = 2100

_MAX_MESSAGE = 500
_MAX_ERRORS = 20


class PagerDutyError(Exception):
    """Base class: a PagerDuty call failed. Safe to log: it never holds a secret."""

    summary: ClassVar[str] = "PagerDuty request failed"

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        code: int | None = None,
        method: str = "",
        path: str = "",
        errors: Sequence[str] = (),
        attempts: int = 1,
    ) -> None:
        self.message = redact_text((message or self.summary)[:_MAX_MESSAGE])
        self.status = status
        self.code = code
        self.method = method
        self.path = path
        self.errors: tuple[str, ...] = tuple(redact_text(e[:_MAX_MESSAGE]) for e in errors)[
            :_MAX_ERRORS
        ]
        self.attempts = attempts
        super().__init__(self.describe())

    def describe(self) -> str:
        where = f"{self.method} {self.path}".strip() or "PagerDuty"
        status = [f"HTTP {self.status}"] if self.status is not None else []
        code = [f"code {self.code}"] if self.code is not None else []
        head = ", ".join([where, *status, *code])
        details = f" ({'; '.join(self.errors)})" if self.errors else ""
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{head}: {self.message}{details}{tries}"

    def __str__(self) -> str:
        return self.describe()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"method={self.method!r}, path={self.path!r}, message={self.message!r}, "
            f"errors={self.errors!r})"
        )


class AuthenticationError(PagerDutyError):
    """401, or the OAuth token endpoint refused the client or the refresh token."""

    summary = "authentication failed"


class MissingScopeError(PagerDutyError):
    """403: the credential lacks the OAuth scope or the user role for this call."""

    summary = "access denied (missing scope or permission)"


class MissingAbilityError(PagerDutyError):
    """402: the PagerDuty account does not have the ability (plan feature) this call needs."""

    summary = "the account lacks the ability this call needs"


class NotFoundError(PagerDutyError):
    """404: the object does not exist (or is not visible to this credential)."""

    summary = "not found"


class ConflictError(PagerDutyError):
    """409: the change conflicts with the object's current state."""

    summary = "conflict"


class InvalidInputError(PagerDutyError):
    """400/422: PagerDuty rejected the request; `errors` holds PagerDuty's detail list."""

    summary = "invalid input"


class ProductLimitError(PagerDutyError):
    """Error code 2019: a product limit is reached (e.g. 10 webhook subscriptions per service)."""

    summary = "product limit reached"


class TransientError(PagerDutyError):
    """Grouping class: PagerDuty could not answer now (rate limit, 5xx, no response).

    The same call may succeed later; reconcilers report `PagerDutyUnavailable` and retry with
    backoff. Like httpx's `TransportError`, it is never raised itself.
    """

    summary = "PagerDuty temporarily unavailable"


class RateLimitedError(TransientError):
    """429 and the client gave up waiting (retries for rate limiting exhausted)."""

    summary = "rate limit exceeded"

    def __init__(self, message: str | None = None, *, retry_after: float | None = None, **kw: Any):
        self.retry_after = retry_after
        super().__init__(message, **kw)


class ServerError(TransientError):
    """5xx from PagerDuty after the bounded retries of an idempotent call."""

    summary = "PagerDuty server error"


class UnreachableError(TransientError):
    """No response: timeouts or connection failures after the bounded retries."""

    summary = "PagerDuty unreachable"


class AmbiguousWriteError(PagerDutyError):
    """A non-idempotent write failed in a way that means it **may have happened**.

    Raised instead of repeating a create whose request may have reached PagerDuty (a timeout or
    a dropped connection after sending, or a 5xx). The caller must look for the object (for
    example by its marker) before trying again. `cause` says what went wrong.
    """

    summary = "the write may have happened"

    def __init__(self, message: str | None = None, *, cause: str = "", **kw: Any):
        self.cause = cause
        super().__init__(message, **kw)


class MalformedResponseError(PagerDutyError):
    """A successful status with a body the client cannot use (not JSON, or a missing key)."""

    summary = "malformed response"


class UnexpectedStatusError(PagerDutyError):
    """Any other status the client has no better type for (405, 413, 3xx, ...)."""

    summary = "unexpected status"


class UnknownPriorityError(NotFoundError):
    """A priority name that the account does not define; `valid_names` lists the ones it does."""

    summary = "unknown priority"

    def __init__(self, name: str, valid_names: Sequence[str], **kw: Any):
        self.name = name
        self.valid_names = tuple(valid_names)
        valid = ", ".join(self.valid_names) or "none (priorities are disabled)"
        super().__init__(f"unknown priority {name!r}; valid names: {valid}", **kw)


@dataclass(frozen=True)
class ErrorBody:
    """What could be read from an error response body."""

    message: str | None = None
    code: int | None = None
    errors: tuple[str, ...] = ()


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _as_errors(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(item) for item in value if item is not None)
    if isinstance(value, Mapping):  # V3 style: field -> [messages]
        out: list[str] = []
        for field, messages in value.items():
            items = messages if isinstance(messages, list) else [messages]
            out.extend(f"{field}: {m}" for m in items)
        return tuple(out)
    if isinstance(value, str):
        return (value,)
    return ()


def parse_error_body(content: bytes, content_type: str = "") -> ErrorBody:
    """Read PagerDuty's error details from a response body, tolerating every known shape."""
    if not content.strip():
        return ErrorBody()
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        kind = content_type.split(";")[0].strip() or "unknown type"
        return ErrorBody(message=f"non-JSON error body ({kind})")
    if not isinstance(data, Mapping):
        return ErrorBody()
    error = data.get("error")
    if isinstance(error, Mapping):
        message = error.get("message")
        return ErrorBody(
            message=str(message) if message is not None else None,
            code=_as_int(error.get("code")),
            errors=_as_errors(error.get("errors")),
        )
    if isinstance(error, str):  # /users/me with an account token; OAuth errors
        description = data.get("error_description")
        return ErrorBody(message=str(description) if description else error)
    message = data.get("message") or data.get("status")  # spec example; Events API
    return ErrorBody(
        message=str(message) if message is not None else None,
        code=_as_int(data.get("code")),
        errors=_as_errors(data.get("errors")),
    )


def _class_for(status: int, code: int | None) -> type[PagerDutyError]:
    if code == CODE_PRODUCT_LIMIT:
        return ProductLimitError
    by_status: dict[int, type[PagerDutyError]] = {
        400: InvalidInputError,
        401: AuthenticationError,
        402: MissingAbilityError,
        403: MissingScopeError,
        404: NotFoundError,
        409: ConflictError,
        422: InvalidInputError,
        429: RateLimitedError,
    }
    if status in by_status:
        return by_status[status]
    if code == CODE_MISSING_ABILITY:
        return MissingAbilityError
    if status >= 500:
        return ServerError
    return UnexpectedStatusError


def error_from_response(
    response: httpx.Response,
    *,
    method: str,
    path: str,
    attempts: int = 1,
    retry_after: float | None = None,
) -> PagerDutyError:
    """The typed error for a failed response (its body must have been read)."""
    body = parse_error_body(response.content, response.headers.get("content-type", ""))
    status = response.status_code
    cls = _class_for(status, body.code)
    message = body.message or httpx.codes.get_reason_phrase(status) or None
    kw: dict[str, Any] = {
        "status": status,
        "code": body.code,
        "method": method,
        "path": path,
        "errors": body.errors,
        "attempts": attempts,
    }
    if cls is RateLimitedError:
        return RateLimitedError(message, retry_after=retry_after, **kw)
    return cls(message, **kw)

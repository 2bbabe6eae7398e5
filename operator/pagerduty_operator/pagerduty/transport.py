"""The core request function: headers, auth, rate limiting, retries, logging and counters.

:meth:`Transport.call` sends one logical REST call and returns a successful `httpx.Response`, or
raises a typed :mod:`~pagerduty_operator.pagerduty.errors` exception. Each attempt:

1. asks the credential for the `Authorization` value (obtaining or renewing an OAuth token);
2. waits for the credential's shared rate limiter;
3. sends with `Accept: application/vnd.pagerduty+json;version=2` and JSON, under a per-attempt
   deadline (on top of httpx's own timeouts, which a slowly dripping server can evade);
4. tells the limiter what happened, counts it, and logs one debug line with method, path
   template, status, duration and attempt number (never a URL with ids, a header or a body);
5. on failure asks :func:`~pagerduty_operator.pagerduty.retry.decide` what to do next.

:meth:`Transport.fetch_token` posts a form to the OAuth token endpoint with the same retry rules
(no limiter: the identity host is not part of the REST budget).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from .auth import Credential
from .clock import SYSTEM_CLOCK, Clock
from .errors import (
    AmbiguousWriteError,
    AuthenticationError,
    MalformedResponseError,
    PagerDutyError,
    UnreachableError,
    error_from_response,
    parse_error_body,
)
from .metrics import ClientMetrics, default_metrics
from .ratelimit import RateLimiter
from .retry import (
    Action,
    CallState,
    Decision,
    FailureKind,
    RetryPolicy,
    classify_exception,
    classify_status,
    decide,
    is_idempotent,
)

log = logging.getLogger(__name__)

ACCEPT = "application/vnd.pagerduty+json;version=2"
TOKEN_PATH_LABEL = "/oauth/token"

QueryValue = str | int | float | bool | Sequence[str]
Query = Mapping[str, QueryValue]

_FAILURE_LABELS: tuple[tuple[type[BaseException], str], ...] = (
    (httpx.ConnectTimeout, "connect_timeout"),
    (httpx.ReadTimeout, "read_timeout"),
    (httpx.WriteTimeout, "write_timeout"),
    (httpx.PoolTimeout, "pool_timeout"),
    (httpx.ConnectError, "connect_error"),
    (httpx.RemoteProtocolError, "connection_dropped"),
    (httpx.ReadError, "read_error"),
    (httpx.WriteError, "write_error"),
    (TimeoutError, "deadline_exceeded"),
)

SENDING: ContextVar[list[float] | None] = ContextVar("pagerduty_operator_sending", default=None)
"""When set (to a list), every attempt appends the monotonic time it leaves the rate limiter:
a caller can tell when a request was actually sent, not only when it was asked for."""


def failure_label(exc: BaseException) -> str:
    """A short, secret-free name for a transport failure (used in logs and counters)."""
    for cls, label in _FAILURE_LABELS:
        if isinstance(exc, cls):
            return label
    return "transport_error"


def expand_path(template: str, params: Mapping[str, str] | None) -> str:
    """Fill `{name}` placeholders of a path template with URL-quoted values."""
    quoted = {k: quote(str(v), safe="") for k, v in (params or {}).items()}
    try:
        return template.format_map(quoted)
    except KeyError as exc:
        raise ValueError(f"path template {template!r} needs parameter {exc.args[0]!r}") from None


def _retry_after(headers: httpx.Headers) -> float | None:
    raw = headers.get("retry-after") or headers.get("ratelimit-reset")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if value >= 0 else None


def _params(query: Query | None) -> httpx.QueryParams | None:
    if not query:
        return None
    items: list[tuple[str, str | int | float | bool | None]] = []
    for key, value in query.items():
        if isinstance(value, bool):
            items.append((key, "true" if value else "false"))
        elif isinstance(value, str | int | float):
            items.append((key, str(value)))
        else:
            items.extend((key, str(v)) for v in value)
    return httpx.QueryParams(items)


@dataclass(frozen=True)
class _Request:
    method: str
    url: str
    path: str
    idempotent: bool
    params: httpx.QueryParams | None = None
    json_body: Any = None
    form: Mapping[str, str] | None = None


class Transport:
    """Sends requests for every client of one process (or one test), with shared settings."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        retry_policy: RetryPolicy | None = None,
        clock: Clock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
        metrics: ClientMetrics | None = None,
        attempt_timeout: float | None = 30.0,
        user_agent: str = "pagerduty-operator",
    ) -> None:
        self.http = http
        self.retry_policy = retry_policy or RetryPolicy()
        self.clock = clock
        self.rng = rng or random.Random()
        self.metrics = metrics if metrics is not None else default_metrics()
        self.attempt_timeout = attempt_timeout
        self.user_agent = user_agent

    async def call(
        self,
        method: str,
        base_url: str,
        path: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Query | None = None,
        json_body: Any = None,
        credential: Credential | None = None,
        token_url: str = "",
        limiter: RateLimiter | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one REST call with auth, limiter and retries; return the 2xx response.

        `token_url` is where an OAuth credential obtains its tokens.
        """
        method = method.upper()
        request = _Request(
            method=method,
            url=base_url + expand_path(path, path_params),
            path=path,
            idempotent=is_idempotent(method) if idempotent is None else idempotent,
            params=_params(params),
            json_body=json_body,
        )
        fetcher = BoundTokenFetcher(self, token_url) if credential is not None else None
        return await self._exchange(
            request, credential=credential, fetcher=fetcher, limiter=limiter
        )

    async def fetch_token(
        self, token_url: str, form: Mapping[str, str], *, idempotent: bool
    ) -> Mapping[str, Any]:
        """POST a form to the OAuth token endpoint; refusals become AuthenticationError."""
        request = _Request(
            method="POST", url=token_url, path=TOKEN_PATH_LABEL, idempotent=idempotent, form=form
        )
        try:
            response = await self._exchange(request, credential=None, fetcher=None, limiter=None)
        except PagerDutyError as exc:
            self.metrics.record_token_request("error")
            if exc.status in (400, 401, 403):
                raise AuthenticationError(
                    f"OAuth token request refused: {exc.message}",
                    status=exc.status,
                    code=exc.code,
                    method="POST",
                    path=TOKEN_PATH_LABEL,
                ) from None
            raise
        self.metrics.record_token_request("ok")
        data = decode_json(response, "POST", TOKEN_PATH_LABEL)
        if not isinstance(data, Mapping):
            raise MalformedResponseError(
                "token response is not an object", method="POST", path=TOKEN_PATH_LABEL
            )
        return data

    async def _send(self, request: _Request, headers: dict[str, str]) -> httpx.Response:
        send = self.http.request(
            request.method,
            request.url,
            params=request.params,
            json=request.json_body,
            data=request.form,
            headers=headers,
        )
        if self.attempt_timeout is None:
            return await send
        async with asyncio.timeout(self.attempt_timeout):
            return await send

    async def _exchange(
        self,
        request: _Request,
        *,
        credential: Credential | None,
        fetcher: BoundTokenFetcher | None,
        limiter: RateLimiter | None,
    ) -> httpx.Response:
        state = CallState()
        attempt = 0
        while True:
            attempt += 1
            headers = {"Accept": ACCEPT, "User-Agent": self.user_agent}
            authorization = ""
            if credential is not None and fetcher is not None:
                authorization = await credential.authorization(fetcher)
                headers["Authorization"] = authorization
            if limiter is not None:
                await limiter.acquire()
            sending = SENDING.get()
            if sending is not None:
                sending.append(time.monotonic())
            started = time.perf_counter()
            try:
                response = await self._send(request, headers)
            except (httpx.TransportError, TimeoutError) as exc:
                if limiter is not None:
                    limiter.release(status=None)
                decision = self._on_exception(request, exc, state, attempt, started)
                if decision.action is Action.RETRY:
                    await self.clock.sleep(decision.delay)
                    continue
                label = failure_label(exc)
                if decision.action is Action.AMBIGUOUS:
                    self.metrics.ambiguous_writes += 1
                    raise AmbiguousWriteError(
                        f"no response ({label}); the request may have been processed",
                        cause=label,
                        method=request.method,
                        path=request.path,
                        attempts=attempt,
                    ) from exc
                raise UnreachableError(
                    f"no response ({label})",
                    method=request.method,
                    path=request.path,
                    attempts=attempt,
                ) from exc
            except BaseException:
                if limiter is not None:
                    limiter.release(status=None)
                raise
            if limiter is not None:
                limiter.release(status=response.status_code, headers=response.headers)
            verdict = self._on_response(request, response, state, attempt, started, credential)
            if verdict is None:
                return response
            if verdict.action is Action.RETRY:
                await self.clock.sleep(verdict.delay)
                continue
            if verdict.action is Action.REFRESH_AUTH and credential is not None:
                credential.invalidate(authorization)
                continue
            if verdict.action is Action.AMBIGUOUS:
                self.metrics.ambiguous_writes += 1
                body = parse_error_body(response.content, response.headers.get("content-type", ""))
                raise AmbiguousWriteError(
                    f"HTTP {response.status_code}; the request may have been processed",
                    cause=f"http_{response.status_code}",
                    status=response.status_code,
                    code=body.code,
                    method=request.method,
                    path=request.path,
                    attempts=attempt,
                )
            raise error_from_response(
                response,
                method=request.method,
                path=request.path,
                attempts=attempt,
                retry_after=_retry_after(response.headers),
            )

    def _on_exception(
        self,
        request: _Request,
        exc: BaseException,
        state: CallState,
        attempt: int,
        started: float,
    ) -> Decision:
        label = failure_label(exc)
        kind = classify_exception(exc) or FailureKind.FINAL
        self.metrics.record_request(request.method, request.path, label)
        decision = decide(
            kind,
            idempotent=request.idempotent,
            state=state,
            policy=self.retry_policy,
            rng=self.rng,
        )
        self._log(request, label, started, attempt, decision)
        return decision

    def _on_response(
        self,
        request: _Request,
        response: httpx.Response,
        state: CallState,
        attempt: int,
        started: float,
        credential: Credential | None,
    ) -> Decision | None:
        status = response.status_code
        self.metrics.record_request(request.method, request.path, str(status))
        if response.is_success:
            self._log(request, str(status), started, attempt, None)
            return None
        kind = classify_status(
            status, renewable_auth=credential is not None and credential.renewable
        )
        decision = decide(
            kind,
            idempotent=request.idempotent,
            state=state,
            policy=self.retry_policy,
            rng=self.rng,
            retry_after=_retry_after(response.headers),
        )
        self._log(request, str(status), started, attempt, decision)
        return decision

    def _log(
        self,
        request: _Request,
        status: str,
        started: float,
        attempt: int,
        decision: Decision | None,
    ) -> None:
        if decision is not None and decision.action in (Action.RETRY, Action.REFRESH_AUTH):
            self.metrics.record_retry(decision.reason)
        if not log.isEnabledFor(logging.DEBUG):
            return
        duration_ms = (time.perf_counter() - started) * 1000
        outcome = "" if decision is None else f"; {decision.action.value}: {decision.reason}"
        if decision is not None and decision.action is Action.RETRY and decision.delay:
            outcome += f" in {decision.delay:.2f}s"
        log.debug(
            "PagerDuty %s %s -> %s in %.1f ms (attempt %d)%s",
            request.method,
            request.path,
            status,
            duration_ms,
            attempt,
            outcome,
            extra={
                "pd_method": request.method,
                "pd_path": request.path,
                "pd_status": status,
                "pd_duration_ms": round(duration_ms, 1),
                "pd_attempt": attempt,
            },
        )


class BoundTokenFetcher:
    """Binds the transport to a token URL, as the credentials' :class:`TokenFetcher`."""

    def __init__(self, transport: Transport, token_url: str) -> None:
        self._transport = transport
        self._token_url = token_url

    async def __call__(self, form: Mapping[str, str], *, idempotent: bool) -> Mapping[str, Any]:
        return await self._transport.fetch_token(self._token_url, form, idempotent=idempotent)


def decode_json(response: httpx.Response, method: str, path: str) -> Any:
    """The JSON body of a successful response, or MalformedResponseError."""
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        kind = response.headers.get("content-type", "").split(";")[0] or "no content type"
        raise MalformedResponseError(
            f"expected a JSON body, got {kind}",
            status=response.status_code,
            method=method,
            path=path,
        ) from None

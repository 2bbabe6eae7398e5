"""Capability probe: which of the scopes the operator needs does a credential have?

The answer per capability is `granted`, `missing` or `unknown`, and finding it out never changes
anything in PagerDuty:

- **OAuth tokens** (client credentials, or user tokens whose scopes are known): the token
  endpoint says which scopes it granted; no REST call is made. Classic user OAuth scopes `read` and
  `write` grant every read (and, for `write`, every write) capability.
- **API tokens** (and OAuth tokens with unknown scopes): each *read* capability is checked with a
  cheap list call (`limit=1`). Each *write* capability is checked with a `PUT` of an empty body to
  an id that cannot exist (`pdo-capability-probe`, not an id PagerDuty ever issues), on an
  endpoint guarded by exactly that scope (`/incidents/{id}`,
  `/services/{id}/integrations/{integration_id}`, `/webhook_subscriptions/{id}`,
  `/event_orchestrations/{id}/router`). PagerDuty checks authentication, then scope/permission,
  then the request (existence, body): a 403 means the scope is missing, while a 404, 400, 409 or
  422 means the scope check passed, so it is granted. Even if the id existed, the empty body
  would be rejected rather than applied.

A 401 raises :class:`~pagerduty_operator.pagerduty.errors.AuthenticationError` (the credential
itself is bad); a 402 (missing account ability), 5xx, 429 or no response gives `unknown`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol

import httpx

from .auth import Credential
from .errors import AuthenticationError, PagerDutyError
from .transport import Query


class ScopeStatus(StrEnum):
    GRANTED = "granted"
    MISSING = "missing"
    UNKNOWN = "unknown"


CAPABILITIES: tuple[str, ...] = (
    "incidents_read",
    "incidents_write",
    "services_read",
    "services_write",
    "webhook_subscriptions_read",
    "webhook_subscriptions_write",
    "event_orchestrations_read",
    "event_orchestrations_write",
)

PROBE_ID = "pdo-capability-probe"

# capability -> (method, path template, path parameters). Reads list one item; writes PUT an
# empty body to an id that cannot exist, on an endpoint that needs exactly that scope.
_PROBES: dict[str, tuple[str, str, dict[str, str]]] = {
    "incidents_read": ("GET", "/incidents", {}),
    "incidents_write": ("PUT", "/incidents/{id}", {"id": PROBE_ID}),
    "services_read": ("GET", "/services", {}),
    "services_write": (
        "PUT",
        "/services/{id}/integrations/{integration_id}",
        {"id": PROBE_ID, "integration_id": PROBE_ID},
    ),
    "webhook_subscriptions_read": ("GET", "/webhook_subscriptions", {}),
    "webhook_subscriptions_write": ("PUT", "/webhook_subscriptions/{id}", {"id": PROBE_ID}),
    "event_orchestrations_read": ("GET", "/event_orchestrations", {}),
    "event_orchestrations_write": ("PUT", "/event_orchestrations/{id}/router", {"id": PROBE_ID}),
}

# Statuses that a write probe can only get once the scope check has passed.
_WRITE_PASSED_SCOPE = frozenset({400, 404, 409, 422})


@dataclass(frozen=True)
class CapabilityReport:
    """Per capability: granted, missing or unknown, and a short reason for each."""

    scopes: dict[str, ScopeStatus]
    method: Literal["token_scopes", "requests"]
    details: dict[str, str] = field(default_factory=dict)

    @property
    def all_granted(self) -> bool:
        return all(s is ScopeStatus.GRANTED for s in self.scopes.values())

    def with_status(self, status: ScopeStatus) -> list[str]:
        return [name for name, s in self.scopes.items() if s is status]


class ProbeApi(Protocol):
    """What the probe needs from a client."""

    @property
    def credential(self) -> Credential: ...

    async def ensure_token(self) -> None: ...

    async def request(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Query | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> httpx.Response: ...


def _split(capability: str) -> tuple[str, str]:
    resource, _, access = capability.rpartition("_")
    if capability not in _PROBES or access not in ("read", "write"):
        raise ValueError(f"unknown capability {capability!r}")
    return resource, access


def status_from_scopes(capability: str, scopes: Iterable[str]) -> ScopeStatus:
    """Whether a token with `scopes` has `capability` (e.g. `services_write`)."""
    resource, access = _split(capability)
    granted = set(scopes)
    if f"{resource}.{access}" in granted or "write" in granted:
        return ScopeStatus.GRANTED
    if access == "read" and "read" in granted:
        return ScopeStatus.GRANTED
    return ScopeStatus.MISSING


async def _check(api: ProbeApi, capability: str) -> tuple[ScopeStatus, str]:
    _, access = _split(capability)
    method, path, path_params = _PROBES[capability]
    try:
        if access == "read":
            await api.request(method, path, path_params=path_params, params={"limit": 1})
        else:
            await api.request(method, path, path_params=path_params, json={})
    except AuthenticationError:
        raise
    except PagerDutyError as exc:
        detail = f"HTTP {exc.status}" if exc.status is not None else type(exc).__name__
        if exc.status == 403:
            return ScopeStatus.MISSING, detail
        if access == "write" and exc.status in _WRITE_PASSED_SCOPE:
            return ScopeStatus.GRANTED, detail
        return ScopeStatus.UNKNOWN, detail
    return ScopeStatus.GRANTED, "HTTP 2xx"


async def probe_capabilities(
    api: ProbeApi, capabilities: Sequence[str] = CAPABILITIES
) -> CapabilityReport:
    """Check each capability without changing anything in PagerDuty (see the module doc)."""
    for capability in capabilities:
        _split(capability)
    credential = api.credential
    if credential.renewable or credential.granted_scopes is not None:
        await api.ensure_token()
        scopes = credential.granted_scopes
        if scopes is not None:
            return CapabilityReport(
                scopes={c: status_from_scopes(c, scopes) for c in capabilities},
                method="token_scopes",
                details={c: "token scope" for c in capabilities},
            )
    outcomes = await asyncio.gather(*(_check(api, c) for c in capabilities), return_exceptions=True)
    results: list[tuple[ScopeStatus, str]] = []
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
        results.append(outcome)
    return CapabilityReport(
        scopes={c: r[0] for c, r in zip(capabilities, results, strict=True)},
        method="requests",
        details={c: r[1] for c, r in zip(capabilities, results, strict=True)},
    )


FULL_PROBE_SECONDS = 3600.0
"""A full probe at most this often while nothing was refused; a cheap check in between."""

PROBING: ContextVar[bool] = ContextVar("pagerduty_operator_probing", default=False)
"""Set while the probe runs: its refused calls (403 is an answer there) are no news."""


class ProbeState(Protocol):
    """What `CachedProbe` reads from a client besides `ProbeApi`."""

    @property
    def succeeded_at(self) -> float: ...

    @property
    def refused_at(self) -> float: ...


@dataclass
class CachedProbe:
    """A credential's last full probe, re-used while it granted everything and nothing changed.

    A full probe is made when there is none yet (a client is made per credential, so a changed
    credential gets one at once), when it is `full_every` seconds old, when it did not grant
    every scope (so a scope granted later shows up at the next check), or when a call other than
    the probe was refused (401/403) since. Otherwise the credential only has to prove it still
    works: no call at all if one of its calls succeeded within `recent` seconds, else one read.
    A scope revoked meanwhile shows up through the refused call itself (in that resource's
    status) and the full probe that refusal brings forward. Token-scope reports (OAuth) cost no
    REST call and are always made afresh.
    """

    full_every: float = FULL_PROBE_SECONDS
    report: CapabilityReport | None = None
    probed_at: float = float("-inf")
    full_probes: int = 0
    cheap_checks: int = 0

    def stale(self, state: ProbeState, now: float) -> bool:
        report = self.report
        if report is None or report.method == "token_scopes" or not report.all_granted:
            return True
        return now - self.probed_at >= self.full_every or state.refused_at >= self.probed_at

    async def check(
        self, api: ProbeApi, state: ProbeState, now: float, recent: float
    ) -> CapabilityReport:
        report = self.report
        if report is not None and not self.stale(state, now):
            if state.succeeded_at >= now - recent:
                return report
            readable = [c for c in report.with_status(ScopeStatus.GRANTED) if c.endswith("_read")]
            if readable:
                self.cheap_checks += 1
                token = PROBING.set(True)
                try:
                    status, _ = await _check(api, readable[0])
                finally:
                    PROBING.reset(token)
                if status is ScopeStatus.GRANTED:
                    return report
        self.full_probes += 1
        token = PROBING.set(True)
        try:
            self.report = await probe_capabilities(api)
        finally:
            PROBING.reset(token)
        self.probed_at = now
        return self.report

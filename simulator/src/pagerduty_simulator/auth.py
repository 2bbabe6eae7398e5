"""Authentication and authorization, checked in PagerDuty's order.

Credentials first (401), then scope or read-only (403); whether the object exists (404) is the
handler's business after that.

API keys must use `Authorization: Token token=<key>`, OAuth access tokens `Bearer <token>`.
A credential is valid only on its account's region origin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pagerduty_simulator.errors import access_denied, authentication_failed
from pagerduty_simulator.models import Account, Region
from pagerduty_simulator.state import SimulatorState

TOKEN_PREFIX = "Token token="
BEARER_PREFIX = "Bearer "
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

PrincipalKind = Literal["api_key", "oauth_app", "oauth_user"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: an account, a credential label (never the secret) and its powers."""

    account: Account
    kind: PrincipalKind
    label: str
    read_only: bool
    scopes: frozenset[str] | None
    """OAuth scopes granted; None for REST API keys (which are not scoped)."""
    user_id: str | None
    rate_key: str
    """The rate-limit bucket: per account key, per user, per app per account or per app per user."""


def authenticate(state: SimulatorState, header: str | None, region: Region) -> Principal:
    """The principal behind an Authorization header, or a 401 ApiError."""
    if not header:
        raise authentication_failed()
    if header.startswith(TOKEN_PREFIX):
        token = header[len(TOKEN_PREFIX) :].strip()
        found_key = state.find_api_key(token) if token else None
        if found_key is None or found_key[0].region != region:
            raise authentication_failed()
        account, key = found_key
        rate_key = f"user:{account.id}:{key.user_id}" if key.user_id else f"key:{key.label}"
        return Principal(
            account=account,
            kind="api_key",
            label=f"api_key:{key.label}",
            read_only=key.read_only,
            scopes=None,
            user_id=key.user_id,
            rate_key=rate_key,
        )
    if header.startswith(BEARER_PREFIX):
        token = header[len(BEARER_PREFIX) :].strip()
        found_token = state.find_access_token(token) if token else None
        if found_token is None or found_token[0].region != region:
            raise authentication_failed()
        account, access = found_token
        if access.expires_at <= state.clock.time():
            raise authentication_failed()
        if access.user_id is None:
            return Principal(
                account=account,
                kind="oauth_app",
                label=f"oauth_app:{access.client_id}",
                read_only=False,
                scopes=access.scopes,
                user_id=None,
                rate_key=f"app:{access.client_id}:{account.id}",
            )
        return Principal(
            account=account,
            kind="oauth_user",
            label=f"oauth_user:{access.client_id}:{access.user_id}",
            read_only=False,
            scopes=access.scopes,
            user_id=access.user_id,
            rate_key=f"app:{access.client_id}:user:{access.user_id}",
        )
    raise authentication_failed()


def authorize(principal: Principal, scope: str | None, method: str) -> None:
    """403 when an OAuth token lacks `scope` or a read-only key attempts a write."""
    if principal.scopes is not None and scope is not None and scope not in principal.scopes:
        raise access_denied(f"This token is missing the required scope: {scope}")
    if principal.read_only and method.upper() not in READ_METHODS:
        raise access_denied("A read-only API key cannot make changes")

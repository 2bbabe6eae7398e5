"""`POST /oauth/token`: client-credentials and refresh-token grants.

Answered on both origins, like PagerDuty's single identity host for both regions.

The requested scope must contain `as_account-<region>.<subdomain>` naming the app's account;
scopes the app cannot grant (or that do not exist) are dropped silently. Errors use the OAuth 2
shape `{"error": ..., "error_description": ...}` because PagerDuty documents none.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from aiohttp import web

from pagerduty_simulator import ids
from pagerduty_simulator.appkeys import CREDENTIAL_LABEL, state_of
from pagerduty_simulator.errors import ApiError, json_response
from pagerduty_simulator.models import AccessToken, Account, OAuthApp, RefreshToken
from pagerduty_simulator.state import SimulatorState

ACCOUNT_SCOPE_PREFIX = "as_account-"


def oauth_error(status: int, error: str, description: str) -> ApiError:
    return ApiError(
        status, description, None, body={"error": error, "error_description": description}
    )


def _client(
    state: SimulatorState, request: web.Request, form: dict[str, str]
) -> tuple[Account, OAuthApp]:
    client_id = form.get("client_id", "")
    client_secret = form.get("client_secret", "")
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
            client_id, _, client_secret = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise oauth_error(401, "invalid_client", "Client authentication failed") from None
    found = state.find_oauth_app(client_id) if client_id else None
    if found is None or not secrets.compare_digest(found[1].client_secret, client_secret):
        raise oauth_error(401, "invalid_client", "Client authentication failed")
    return found


def _issue(
    state: SimulatorState,
    account: Account,
    app: OAuthApp,
    user_id: str | None,
    scopes: frozenset[str],
) -> AccessToken:
    now = state.clock.time()
    token = AccessToken(
        token=ids.access_token(account.region),
        client_id=app.client_id,
        user_id=user_id,
        scopes=scopes,
        issued_at=now,
        expires_at=now + state.config.oauth_token_ttl_seconds,
    )
    state.purge_expired_tokens()
    state.add_access_token(account, token)
    return token


def _account_scope(account: Account) -> str:
    return f"{ACCOUNT_SCOPE_PREFIX}{account.region}.{account.subdomain}"


def _scope_text(account: Account, requested_order: list[str], granted: frozenset[str]) -> str:
    kept = [scope for scope in dict.fromkeys(requested_order) if scope in granted]
    return " ".join([_account_scope(account), *kept])


async def _client_credentials(
    state: SimulatorState, request: web.Request, form: dict[str, str]
) -> web.Response:
    account, app = _client(state, request, form)
    requested = form.get("scope", "").split()
    account_scopes = [s for s in requested if s.startswith(ACCOUNT_SCOPE_PREFIX)]
    if not account_scopes:
        raise oauth_error(
            400, "invalid_scope", "The scope must include as_account-<region>.<subdomain>"
        )
    if account_scopes != [_account_scope(account)]:
        raise oauth_error(
            400, "invalid_scope", "The as_account scope does not match this app's account"
        )
    resources = [s for s in requested if not s.startswith(ACCOUNT_SCOPE_PREFIX)]
    granted = frozenset(resources) & app.scopes
    token = _issue(state, account, app, None, granted)
    request[CREDENTIAL_LABEL] = f"oauth_client:{app.client_id}"
    return json_response(
        {
            "access_token": token.token,
            "token_type": "bearer",
            "expires_in": state.config.oauth_token_ttl_seconds,
            "scope": _scope_text(account, resources, granted),
        }
    )


async def _refresh(
    state: SimulatorState, request: web.Request, form: dict[str, str]
) -> web.Response:
    account, app = _client(state, request, form)
    request[CREDENTIAL_LABEL] = f"oauth_client:{app.client_id}"
    presented = form.get("refresh_token", "")
    found = state.find_refresh_token(presented) if presented else None
    now = state.clock.time()
    if found is None or found[0] is not account or found[1].client_id != app.client_id:
        raise oauth_error(400, "invalid_grant", "The refresh token is invalid")
    old = found[1]
    if old.expires_at <= now:
        raise oauth_error(400, "invalid_grant", "The refresh token has expired")
    account.refresh_tokens.remove(old)
    renewed = RefreshToken(
        token=ids.refresh_token(account.region),
        client_id=app.client_id,
        user_id=old.user_id,
        scopes=old.scopes,
        expires_at=now + state.config.refresh_token_ttl_seconds,
    )
    account.refresh_tokens.append(renewed)
    token = _issue(state, account, app, old.user_id, old.scopes)
    return json_response(
        {
            "access_token": token.token,
            "refresh_token": renewed.token,
            "token_type": "bearer",
            "expires_in": state.config.oauth_token_ttl_seconds,
            "scope": _scope_text(account, sorted(old.scopes), old.scopes),
        }
    )


async def token_endpoint(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    if request.content_type != "application/x-www-form-urlencoded":
        raise oauth_error(400, "invalid_request", "Use application/x-www-form-urlencoded")
    form = {key: str(value) for key, value in (await request.post()).items()}
    grant = form.get("grant_type")
    if grant == "client_credentials":
        return await _client_credentials(state, request, form)
    if grant == "refresh_token":
        return await _refresh(state, request, form)
    raise oauth_error(
        400, "unsupported_grant_type", "grant_type must be client_credentials or refresh_token"
    )

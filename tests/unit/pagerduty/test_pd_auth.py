"""Credentials: token caching, single-flight renewal, 401 renewal, refresh callbacks, secrecy."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

import httpx
import pytest
from pd_unit_helpers import FakeClock, json_response, make_client

from pagerduty_operator.pagerduty import (
    ApiToken,
    AuthenticationError,
    OAuthClientCredentials,
    OAuthUserToken,
    TokenSet,
    UnreachableError,
)

CLIENT_SECRET = "unit-client-secret-5d1e"
REFRESH_1 = "pdus+_1UNIT_refresh-one"
REFRESH_2 = "pdus+_1UNIT_refresh-two"


class OAuthServer:
    """Token endpoint plus a REST endpoint that accepts only the latest access token."""

    def __init__(self, clock: FakeClock, *, expires_in: int = 3600, delay: float = 0.0):
        self.clock = clock
        self.expires_in = expires_in
        self.delay = delay
        self.token_requests: list[dict[str, list[str]]] = []
        self.issued = 0
        self.valid: set[str] = set()
        self.rest_auth: list[str] = []
        self.token_status = 200
        self.rest_delay = 0.0

    async def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            form = parse_qs(request.content.decode())
            self.token_requests.append(form)
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.token_status != 200:
                return json_response(
                    self.token_status,
                    {"error": "invalid_client", "error_description": "bad client"},
                )
            self.issued += 1
            token = f"pdus+_0UNIT_access-{self.issued}"
            self.valid = {token}
            body: dict[str, object] = {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.expires_in,
                "scope": "as_account-us.acme services.read webhook_subscriptions.write",
            }
            if form.get("grant_type") == ["refresh_token"]:
                body["refresh_token"] = f"pdus+_1UNIT_refresh-new-{self.issued}"
            return json_response(200, body)
        auth = request.headers.get("authorization", "")
        self.rest_auth.append(auth)
        if self.rest_delay:
            await asyncio.sleep(self.rest_delay)
        if auth.removeprefix("Bearer ") not in self.valid:
            return json_response(401, {"error": {"message": "Authentication failed", "code": 2006}})
        return json_response(200, {"services": [], "more": False})


def _app(clock: FakeClock, **kw: object) -> OAuthClientCredentials:
    return OAuthClientCredentials(
        "unit-client-id",
        CLIENT_SECRET,
        "acme",
        clock=clock,
        **kw,  # type: ignore[arg-type]
    )


async def test_client_credentials_form_and_bearer(clock: FakeClock) -> None:
    server = OAuthServer(clock)
    cred = _app(clock, scopes=["services.read"])
    async with make_client(server.handler, clock=clock, credential=cred) as client:
        await client.get_json("/services")
    (form,) = server.token_requests
    assert form["grant_type"] == ["client_credentials"]
    assert form["client_id"] == ["unit-client-id"]
    assert form["client_secret"] == [CLIENT_SECRET]
    assert form["scope"] == ["as_account-us.acme services.read"]
    assert server.rest_auth == ["Bearer pdus+_0UNIT_access-1"]
    assert cred.granted_scopes == frozenset(
        {
            "as_account-us.acme",
            "services.read",
            "webhook_subscriptions.write",
        }
    )
    assert cred.expires_at == pytest.approx(clock.time() + 3600)


async def test_one_token_request_for_many_concurrent_calls(clock: FakeClock) -> None:
    server = OAuthServer(clock, delay=0.01)
    cred = _app(clock)
    async with make_client(server.handler, clock=clock, credential=cred) as client:
        await asyncio.gather(*(client.get_json("/services") for _ in range(30)))
    assert len(server.token_requests) == 1
    assert cred.token_requests == 1
    assert len(server.rest_auth) == 30


async def test_token_is_renewed_before_expiry(clock: FakeClock) -> None:
    server = OAuthServer(clock, expires_in=3600)
    cred = _app(clock, renew_margin=300)
    async with make_client(server.handler, clock=clock, credential=cred) as client:
        await client.get_json("/services")
        clock.advance(3600 - 301)
        await client.get_json("/services")
        assert len(server.token_requests) == 1
        clock.advance(2)  # now inside the renewal margin, still before expiry
        await asyncio.gather(*(client.get_json("/services") for _ in range(5)))
    assert len(server.token_requests) == 2
    assert server.rest_auth[-1] == "Bearer pdus+_0UNIT_access-2"
    assert all(a.startswith("Bearer ") for a in server.rest_auth)


async def test_short_lived_tokens_renew_at_half_life(clock: FakeClock) -> None:
    server = OAuthServer(clock, expires_in=60)
    cred = _app(clock, renew_margin=300)
    async with make_client(server.handler, clock=clock, credential=cred) as client:
        await client.get_json("/services")
        clock.advance(29)
        await client.get_json("/services")
        assert len(server.token_requests) == 1
        clock.advance(2)
        await client.get_json("/services")
    assert len(server.token_requests) == 2


async def test_rejected_token_is_renewed_once_for_all_callers(clock: FakeClock) -> None:
    server = OAuthServer(clock)
    cred = _app(clock)
    async with make_client(server.handler, clock=clock, credential=cred) as client:
        await client.get_json("/services")
        server.valid = set()  # PagerDuty revoked it early (or the clocks disagree)
        server.rest_delay = 0.01  # so that all ten are in flight with the rejected token
        await asyncio.gather(*(client.get_json("/services") for _ in range(10)))
    assert len(server.token_requests) == 2
    assert server.rest_auth.count("Bearer pdus+_0UNIT_access-1") == 11
    assert server.rest_auth.count("Bearer pdus+_0UNIT_access-2") == 10


async def test_persistent_401_raises_after_one_renewal(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return json_response(200, {"access_token": "pdus+_0UNIT_x", "expires_in": 3600})
        return json_response(401, {"error": {"message": "Authentication failed", "code": 2006}})

    cred = _app(clock)
    async with make_client(handler, clock=clock, credential=cred) as client:
        with pytest.raises(AuthenticationError):
            await client.get_json("/services")
    assert cred.token_requests == 2


async def test_token_endpoint_refusal_is_authentication_error(clock: FakeClock) -> None:
    server = OAuthServer(clock)
    server.token_status = 400
    cred = _app(clock)
    async with make_client(server.handler, clock=clock, credential=cred) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.get_json("/services")
    assert info.value.path == "/oauth/token"
    assert "bad client" in str(info.value)
    assert CLIENT_SECRET not in str(info.value)
    assert server.rest_auth == []


async def test_token_response_without_access_token(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(200, {"token_type": "bearer"})

    async with make_client(handler, clock=clock, credential=_app(clock)) as client:
        with pytest.raises(Exception, match="without access_token"):
            await client.ensure_token()


async def test_user_token_refresh_hands_new_tokens_to_the_callback(clock: FakeClock) -> None:
    server = OAuthServer(clock)
    saved: list[TokenSet] = []

    async def persist(tokens: TokenSet) -> None:
        saved.append(tokens)

    stored = TokenSet(
        access_token="pdus+_0UNIT_stale", refresh_token=REFRESH_1, expires_at=clock.time() - 10
    )
    cred = OAuthUserToken(
        "unit-client-id", CLIENT_SECRET, stored, on_tokens_refreshed=persist, clock=clock
    )
    async with make_client(server.handler, clock=clock, credential=cred) as client:
        await asyncio.gather(*(client.get_json("/services") for _ in range(5)))
    (form,) = server.token_requests
    assert form["grant_type"] == ["refresh_token"]
    assert form["refresh_token"] == [REFRESH_1]
    (new,) = saved
    assert new.access_token == "pdus+_0UNIT_access-1"
    assert new.refresh_token == "pdus+_1UNIT_refresh-new-1"
    assert new.expires_at == pytest.approx(clock.time() + 3600)
    assert cred.tokens == new
    assert not cred.persist_pending


async def test_user_token_without_expiry_is_refreshed_after_401(clock: FakeClock) -> None:
    server = OAuthServer(clock)
    saved: list[TokenSet] = []

    async def persist(tokens: TokenSet) -> None:
        saved.append(tokens)

    stored = TokenSet(access_token="pdus+_0UNIT_unknown-expiry", refresh_token=REFRESH_2)
    cred = OAuthUserToken("cid", None, stored, on_tokens_refreshed=persist, clock=clock)
    async with make_client(server.handler, clock=clock, credential=cred) as client:
        await client.get_json("/services")
    assert server.rest_auth == ["Bearer pdus+_0UNIT_unknown-expiry", "Bearer pdus+_0UNIT_access-1"]
    assert "client_secret" not in server.token_requests[0]
    assert len(saved) == 1


async def test_failed_persistence_is_retried_on_the_next_call(clock: FakeClock) -> None:
    server = OAuthServer(clock)
    attempts: list[TokenSet] = []

    async def flaky(tokens: TokenSet) -> None:
        attempts.append(tokens)
        if len(attempts) == 1:
            raise RuntimeError("apiserver unavailable")

    stored = TokenSet(access_token="pdus+_0UNIT_old", refresh_token=REFRESH_1, expires_at=0)
    cred = OAuthUserToken("cid", CLIENT_SECRET, stored, on_tokens_refreshed=flaky, clock=clock)
    async with make_client(server.handler, clock=clock, credential=cred) as client:
        await client.get_json("/services")
        assert cred.persist_pending
        await client.get_json("/services")
    assert not cred.persist_pending
    assert len(attempts) == 2
    assert attempts[0] == attempts[1]
    assert len(server.token_requests) == 1


async def test_refresh_that_may_have_happened_is_not_repeated(clock: FakeClock) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("no answer")

    stored = TokenSet(access_token="pdus+_0UNIT_old", refresh_token=REFRESH_1, expires_at=0)
    cred = OAuthUserToken("cid", CLIENT_SECRET, stored, clock=clock)
    async with make_client(handler, clock=clock, credential=cred) as client:
        with pytest.raises(UnreachableError) as info:
            await client.get_json("/services")
    assert calls == 1
    assert info.value.path == "/oauth/token"
    assert "may be used up" in str(info.value)


def test_reprs_and_fingerprints_hide_secrets(clock: FakeClock) -> None:
    token = "y_unit_api_token_c0ffee"
    api = ApiToken(token)
    app = _app(clock)
    tokens = TokenSet(access_token="pdus+_0UNIT_repr", refresh_token=REFRESH_1)
    user = OAuthUserToken("cid", CLIENT_SECRET, tokens, clock=clock)
    for obj in (api, app, user, tokens):
        text = repr(obj) + str(obj)
        for secret in (token, CLIENT_SECRET, "pdus+_0UNIT_repr", REFRESH_1):
            assert secret not in text
    assert api.fingerprint.startswith("api_token:")
    assert api.fingerprint == ApiToken(token).fingerprint
    assert api.fingerprint != ApiToken(token + "x").fingerprint
    assert token not in api.fingerprint


def test_user_token_identity_keeps_one_fingerprint_across_refresh_tokens(clock: FakeClock) -> None:
    a = OAuthUserToken("cid", None, TokenSet("pdus+_0a", REFRESH_1), identity="ns/secret")
    b = OAuthUserToken("cid", None, TokenSet("pdus+_0b", REFRESH_2), identity="ns/secret")
    assert a.fingerprint == b.fingerprint


def test_empty_credentials_are_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        ApiToken("  ")
    with pytest.raises(ValueError, match="required"):
        OAuthClientCredentials("", "s", "acme")

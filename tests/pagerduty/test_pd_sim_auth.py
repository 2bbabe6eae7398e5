"""Credentials against the simulator: OAuth renewal at expiry, refresh tokens, probe."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pd_sim_helpers import Admin, LinkedClock, make_pd_client

from pagerduty_operator.pagerduty import (
    CAPABILITIES,
    ApiToken,
    AuthenticationError,
    MissingScopeError,
    OAuthClientCredentials,
    OAuthUserToken,
    ScopeStatus,
    TokenSet,
)
from pagerduty_simulator import SimulatorServer
from support.sim_seed import (
    CHECKOUT,
    US_CLIENT_ID,
    US_CLIENT_SECRET,
    US_READ_ONLY,
    US_REFRESH_TOKEN,
)

TOKEN_ROUTE = "/oauth/token"
DAY = 86400


def _app(**kw: object) -> OAuthClientCredentials:
    return OAuthClientCredentials(US_CLIENT_ID, US_CLIENT_SECRET, "acme", **kw)  # type: ignore[arg-type]


async def test_one_token_request_for_concurrent_calls(sim: SimulatorServer, admin: Admin) -> None:
    cred = _app()
    async with make_pd_client(sim.us_url, cred) as client:
        await asyncio.gather(*(client.services.get(CHECKOUT) for _ in range(12)))
    entries = await admin.requests()
    assert [r["status"] for r in entries if r["route"] == TOKEN_ROUTE] == [200]
    assert len([r for r in entries if r["route"] == "/services/{id}"]) == 12


async def test_token_renewed_before_expiry(
    sim: SimulatorServer, admin: Admin, clock: LinkedClock
) -> None:
    cred = _app(clock=clock, renew_margin=300)
    async with make_pd_client(sim.us_url, cred, clock=clock) as client:
        await client.services.get(CHECKOUT)
        first = cred.tokens
        await clock.sleep(DAY - 200)  # both clocks: inside the renewal margin, before expiry
        await client.services.get(CHECKOUT)
    assert cred.tokens is not None
    assert first is not None
    assert cred.tokens.access_token != first.access_token
    statuses = [(r["route"], r["status"]) for r in await admin.requests()]
    assert statuses.count((TOKEN_ROUTE, 200)) == 2
    assert ("/services/{id}", 401) not in statuses


async def test_token_renewed_after_expiry_on_the_server(sim: SimulatorServer, admin: Admin) -> None:
    # The client's clock does not move; PagerDuty's does: the first call after expiry gets a
    # 401, the client renews once and the call succeeds.
    cred = _app()
    async with make_pd_client(sim.us_url, cred) as client:
        await client.services.get(CHECKOUT)
        await admin.advance(DAY + 1)
        await asyncio.gather(*(client.services.get(CHECKOUT) for _ in range(3)))
    statuses = [(r["route"], r["status"]) for r in await admin.requests()]
    assert statuses.count((TOKEN_ROUTE, 200)) == 2
    assert statuses.count(("/services/{id}", 401)) >= 1
    assert statuses.count(("/services/{id}", 200)) == 4


async def test_bad_client_secret(sim: SimulatorServer) -> None:
    cred = OAuthClientCredentials(US_CLIENT_ID, "simfake_wrong_secret_000000001", "acme")
    async with make_pd_client(sim.us_url, cred) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.services.get(CHECKOUT)
    assert info.value.path == TOKEN_ROUTE
    assert info.value.status == 401


async def test_scoped_token_lacking_a_scope(sim: SimulatorServer) -> None:
    cred = _app(scopes=["services.read"])
    async with make_pd_client(sim.us_url, cred) as client:
        await client.services.get(CHECKOUT)
        with pytest.raises(MissingScopeError) as info:
            await client.webhooks.list()
    assert info.value.status == 403
    assert any("webhook_subscriptions.read" in e for e in info.value.errors)


async def test_user_token_refresh_rotates_and_persists(sim: SimulatorServer, admin: Admin) -> None:
    saved: list[TokenSet] = []

    async def persist(tokens: TokenSet) -> None:
        saved.append(tokens)

    stale = TokenSet(access_token="pdus+_0SIMFAKE_not-issued", refresh_token=US_REFRESH_TOKEN)
    cred = OAuthUserToken(US_CLIENT_ID, US_CLIENT_SECRET, stale, on_tokens_refreshed=persist)
    async with make_pd_client(sim.us_url, cred) as client:
        me = await client.users.me()
    assert me.id == "PJ4K2M7"
    (new,) = saved
    assert new.refresh_token not in (None, US_REFRESH_TOKEN)
    assert new.expires_at is not None
    assert new.scopes is not None
    assert "webhook_subscriptions.write" in new.scopes

    reused = OAuthUserToken(
        US_CLIENT_ID, US_CLIENT_SECRET, TokenSet("pdus+_0SIMFAKE_x", US_REFRESH_TOKEN, 0)
    )
    async with make_pd_client(sim.us_url, reused) as client:
        with pytest.raises(AuthenticationError, match="refresh token is invalid"):
            await client.users.me()

    resumed = OAuthUserToken(US_CLIENT_ID, US_CLIENT_SECRET, new)
    async with make_pd_client(sim.us_url, resumed) as client:
        assert (await client.users.me()).id == "PJ4K2M7"
    token_calls = [r for r in await admin.requests() if r["route"] == TOKEN_ROUTE]
    assert [r["status"] for r in token_calls] == [200, 400]


async def test_probe_full_key_changes_nothing(
    sim: SimulatorServer, pd_state_unchanged: None
) -> None:
    async with make_pd_client(sim.us_url) as client:
        report = await client.probe()
    assert report.method == "requests"
    assert report.scopes == dict.fromkeys(CAPABILITIES, ScopeStatus.GRANTED)


async def test_probe_read_only_key(sim: SimulatorServer, pd_state_unchanged: None) -> None:
    async with make_pd_client(sim.us_url, ApiToken(US_READ_ONLY)) as client:
        report = await client.probe()
    assert report.with_status(ScopeStatus.GRANTED) == [
        c for c in CAPABILITIES if c.endswith("_read")
    ]
    assert report.with_status(ScopeStatus.MISSING) == [
        c for c in CAPABILITIES if c.endswith("_write")
    ]


async def test_probe_oauth_uses_granted_scopes(sim: SimulatorServer, admin: Admin) -> None:
    cred = _app(
        scopes=[
            "services.read",
            "webhook_subscriptions.read",
            "webhook_subscriptions.write",
            "teams.write",
        ]
    )
    async with make_pd_client(sim.us_url, cred) as client:
        report = await client.probe()
    assert report.method == "token_scopes"
    assert report.with_status(ScopeStatus.GRANTED) == [
        "services_read",
        "webhook_subscriptions_read",
        "webhook_subscriptions_write",
    ]
    assert [r["route"] for r in await admin.requests()] == [TOKEN_ROUTE]


async def test_probe_with_bad_key(sim: SimulatorServer) -> None:
    async with make_pd_client(sim.us_url, ApiToken("y_SIMfake_not_a_key")) as client:
        with pytest.raises(AuthenticationError):
            await client.probe()


@pytest.fixture
async def pd_state_unchanged(admin: Admin) -> AsyncIterator[None]:
    """Fails the test if the simulator's objects changed (probes must not write)."""

    def objects(state: dict[str, object]) -> object:
        accounts = state["accounts"]
        assert isinstance(accounts, list)
        return [
            {k: v for k, v in account.items() if k not in ("oauth_access_tokens",)}
            for account in accounts
        ]

    before = objects(await admin.state())
    yield
    assert objects(await admin.state()) == before

"""The capability probe: token scopes for OAuth, harmless requests otherwise."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from pd_unit_helpers import FakeClock, json_response, make_client

from pagerduty_operator.pagerduty import (
    CAPABILITIES,
    AuthenticationError,
    OAuthClientCredentials,
    PagerDutyError,
    ScopeStatus,
)
from pagerduty_operator.pagerduty.probe import PROBE_ID, status_from_scopes

SCOPE_OF = {
    "/incidents": "incidents",
    "/services": "services",
    "/webhook_subscriptions": "webhook_subscriptions",
    "/event_orchestrations": "event_orchestrations",
}


class CheckOrderServer:
    """Checks like PagerDuty: credentials (401), then scope (403), then existence (404)."""

    def __init__(self, granted: set[str], *, valid: bool = True, odd: dict[str, int] | None = None):
        self.granted = granted
        self.valid = valid
        self.odd = odd or {}
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.valid:
            return json_response(401, {"error": {"message": "Authentication failed", "code": 2006}})
        path = request.url.path
        resource = next(v for k, v in SCOPE_OF.items() if path.startswith(k))
        access = "read" if request.method == "GET" else "write"
        capability = f"{resource}_{access}"
        if capability in self.odd:
            return httpx.Response(self.odd[capability])
        if capability not in self.granted:
            return json_response(403, {"error": {"message": "Access Denied", "code": 2010}})
        if request.method == "GET":
            return json_response(200, {resource: [], "more": False})
        return httpx.Response(404)


async def test_probe_with_requests_changes_nothing_and_maps_statuses(clock: FakeClock) -> None:
    granted = {"incidents_read", "services_read", "services_write", "webhook_subscriptions_read"}
    server = CheckOrderServer(
        granted, odd={"event_orchestrations_read": 503, "event_orchestrations_write": 402}
    )
    async with make_client(server.handler, clock=clock) as client:
        report = await client.probe()
    assert report.method == "requests"
    assert report.scopes == {
        "incidents_read": ScopeStatus.GRANTED,
        "incidents_write": ScopeStatus.MISSING,
        "services_read": ScopeStatus.GRANTED,
        "services_write": ScopeStatus.GRANTED,
        "webhook_subscriptions_read": ScopeStatus.GRANTED,
        "webhook_subscriptions_write": ScopeStatus.MISSING,
        "event_orchestrations_read": ScopeStatus.UNKNOWN,
        "event_orchestrations_write": ScopeStatus.UNKNOWN,
    }
    assert report.details["services_write"] == "HTTP 404"
    assert not report.all_granted
    assert report.with_status(ScopeStatus.UNKNOWN) == [
        "event_orchestrations_read",
        "event_orchestrations_write",
    ]
    for request in server.requests:
        if request.method == "GET":
            assert request.url.params["limit"] == "1"
        else:
            assert request.method == "PUT"
            assert PROBE_ID in request.url.path
            assert json.loads(request.content) == {}
    writes = sorted(r.url.path for r in server.requests if r.method == "PUT")
    assert writes == [
        "/event_orchestrations/pdo-capability-probe/router",
        "/incidents/pdo-capability-probe",
        "/services/pdo-capability-probe/integrations/pdo-capability-probe",
        "/webhook_subscriptions/pdo-capability-probe",
    ]


async def test_probe_with_bad_credentials_raises(clock: FakeClock) -> None:
    server = CheckOrderServer(set(), valid=False)
    async with make_client(server.handler, clock=clock) as client:
        with pytest.raises(AuthenticationError):
            await client.probe()


async def test_probe_with_oauth_uses_the_token_scopes_only(clock: FakeClock) -> None:
    rest_calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return json_response(
                200,
                {
                    "access_token": "pdus+_0UNIT_probe",
                    "expires_in": 3600,
                    "scope": "as_account-us.acme services.read services.write"
                    " webhook_subscriptions.read",
                },
            )
        rest_calls.append(request.url.path)
        return httpx.Response(500)

    cred = OAuthClientCredentials("cid", "unit-probe-secret", "acme", clock=clock)
    async with make_client(handler, clock=clock, credential=cred) as client:
        report = await client.probe()
    assert rest_calls == []
    assert report.method == "token_scopes"
    granted = report.with_status(ScopeStatus.GRANTED)
    assert granted == ["services_read", "services_write", "webhook_subscriptions_read"]
    assert len(report.with_status(ScopeStatus.MISSING)) == len(CAPABILITIES) - 3


def test_classic_user_scopes() -> None:
    assert status_from_scopes("services_write", {"write"}) is ScopeStatus.GRANTED
    assert status_from_scopes("services_read", {"read"}) is ScopeStatus.GRANTED
    assert status_from_scopes("services_write", {"read"}) is ScopeStatus.MISSING
    with pytest.raises(ValueError, match="unknown capability"):
        status_from_scopes("teams_read", {"read"})


ALL = {f"{r}_{a}" for r in SCOPE_OF.values() for a in ("read", "write")}


async def test_cached_probe_is_full_once_then_free_while_the_credential_is_in_use(
    clock: FakeClock,
) -> None:
    server = CheckOrderServer(set(ALL))
    async with make_client(server.handler, clock=clock) as client:
        first = await client.checked_probe(recent=60)
        assert len(server.requests) == len(CAPABILITIES)
        await client.webhooks.list()  # a dependent's call: the credential works
        server.requests.clear()
        assert await client.checked_probe(recent=60) is first
        assert server.requests == [], "no call while the credential is in use"
        # quiet for longer than `recent`: one cheap read, not the full probe
        later = time.monotonic() + 120
        assert await client.probe_cache.check(client, client, later, 60) is first
        assert [(r.method, r.url.path) for r in server.requests] == [("GET", "/incidents")]
        server.requests.clear()
        # an hour on: the full probe again
        await client.probe_cache.check(client, client, time.monotonic() + 3601, 60)
        assert len(server.requests) == len(CAPABILITIES)
        assert client.probe_cache.full_probes == 2


async def test_a_refused_call_brings_the_full_probe_forward(clock: FakeClock) -> None:
    server = CheckOrderServer(set(ALL))
    refused: list[bool] = []
    async with make_client(server.handler, clock=clock) as client:
        client.on_refused = lambda: refused.append(True)
        assert (await client.checked_probe(recent=60)).all_granted
        assert refused == [], "the probe's own answers are no refusals"
        server.granted.discard("webhook_subscriptions_read")  # revoked
        with pytest.raises(PagerDutyError) as caught:
            await client.webhooks.list()  # the failing call itself reports it...
        assert caught.value.status == 403
        assert refused == [True]
        report = await client.checked_probe(recent=60)  # ...and the next check probes in full
        assert report.scopes["webhook_subscriptions_read"] is ScopeStatus.MISSING
        assert client.probe_cache.full_probes == 2
        assert refused == [True]
        # while a scope is missing every check is full, so its return shows up at the next one
        server.granted.add("webhook_subscriptions_read")
        assert (await client.checked_probe(recent=60)).all_granted
        assert client.probe_cache.full_probes == 3


async def test_a_cheap_check_that_is_refused_probes_in_full(clock: FakeClock) -> None:
    server = CheckOrderServer(set(ALL))
    async with make_client(server.handler, clock=clock) as client:
        await client.checked_probe(recent=60)
        server.granted.discard("incidents_read")
        report = await client.probe_cache.check(client, client, time.monotonic() + 120, 60)
        assert report.scopes["incidents_read"] is ScopeStatus.MISSING
        assert client.probe_cache.cheap_checks == 1
        assert client.probe_cache.full_probes == 2
        server.valid = False  # the key was revoked: the check raises as the probe does
        with pytest.raises(AuthenticationError):
            await client.probe_cache.check(client, client, time.monotonic() + 240, 60)

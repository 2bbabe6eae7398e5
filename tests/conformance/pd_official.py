"""The official `pagerduty` package pointed at the simulator, and PagerDuty's envelope checks.

The package insists on `https://` base URLs (`UrlError` otherwise), so the clients keep
PagerDuty's real hostnames and an httpx2 transport routes each hostname to a simulator origin
(like a hosts file). Hosts that are not PagerDuty's fail the test: nothing leaves the machine.
The transport also keeps every raw exchange, so the wrappers can check the bodies the client
unwraps against PagerDuty's conventions (`{"webhook_subscription": {...}}`, list pages with
`limit/offset/more/total`, errors as `{"error": {"message", "code", "errors"}}`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pagerduty

from pagerduty_simulator.server import SimulatorHandle

REST_US = "https://api.pagerduty.com"
REST_EU = "https://api.eu.pagerduty.com"
# PagerDuty's hosts and the region of the simulator origin that plays each.
HOSTS = {
    "api.pagerduty.com": "us",
    "events.pagerduty.com": "us",
    "identity.pagerduty.com": "us",
    "api.eu.pagerduty.com": "eu",
    "events.eu.pagerduty.com": "eu",
}
PAGE_KEYS = frozenset({"limit", "offset", "more", "total"})


@dataclass
class Exchange:
    method: str
    host: str
    path: str
    status: int
    body: Any


@dataclass
class SimulatorRouting(httpx2.BaseTransport):
    """Sends requests for PagerDuty's hosts to the simulator; records every exchange."""

    origins: dict[str, str]
    exchanges: list[Exchange] = field(default_factory=list)
    inner: httpx2.HTTPTransport = field(default_factory=httpx2.HTTPTransport)

    @classmethod
    def to(cls, sim: SimulatorHandle) -> SimulatorRouting:
        urls = {"us": sim.us_url, "eu": sim.eu_url}
        return cls({host: urls[region] for host, region in HOSTS.items()})

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        host = request.url.host
        assert host in self.origins, f"the client tried to reach {host}, not a PagerDuty host"
        origin = httpx2.URL(self.origins[host])
        request.url = request.url.copy_with(
            scheme=origin.scheme, host=origin.host, port=origin.port
        )
        response = self.inner.handle_request(request)
        raw = response.read()
        response.close()
        body = json.loads(raw) if raw.strip() else None
        self.exchanges.append(
            Exchange(request.method, host, request.url.path, response.status_code, body)
        )
        # A fresh, unread response: the client times and reads it as it would any other.
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx2.ByteStream(raw),
            request=request,
            extensions=response.extensions,
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> SimulatorRouting:
        # `OAuthTokenClient.refresh_client` deep-copies its keyword arguments (a known client
        # quirk); a transport holds an SSLContext, which cannot be copied, and is shared anyway.
        return self

    def close(self) -> None:
        """Clients close their transport; this one is shared, so `shutdown` ends it."""

    def shutdown(self) -> None:
        self.inner.close()

    @property
    def last(self) -> Exchange:
        return self.exchanges[-1]


def assert_entity(body: Any, wrapper: str) -> dict[str, Any]:
    """One object wrapped in exactly one root key named after its kind."""
    assert isinstance(body, dict)
    assert set(body) == {wrapper}, sorted(body)
    entity = body[wrapper]
    assert isinstance(entity, dict)
    return entity


def assert_page(body: Any, wrapper: str) -> list[Any]:
    """A classic offset page: the items under the plural key, and limit/offset/more/total."""
    assert isinstance(body, dict)
    assert set(body) == {wrapper} | PAGE_KEYS, sorted(body)
    assert isinstance(body["limit"], int)
    assert isinstance(body["offset"], int)
    assert isinstance(body["more"], bool)
    assert body["total"] is None or isinstance(body["total"], int)
    items = body[wrapper]
    assert isinstance(items, list)
    return items


def assert_error(response: Any, status: int, code: int | None = None) -> dict[str, Any]:
    """PagerDuty's error body: `{"error": {"message": str, "code": int, "errors": [str]?}}`."""
    assert response is not None
    assert response.status_code == status
    body = response.json()
    assert isinstance(body, dict)
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error, dict)
    assert {"message", "code"} <= set(error) <= {"message", "code", "errors"}
    assert isinstance(error["message"], str)
    assert isinstance(error["code"], int)
    assert all(isinstance(e, str) for e in error.get("errors", []))
    if code is not None:
        assert error["code"] == code, error
    return error


class Official:
    """A `pagerduty.RestApiV2Client` whose answers are checked for PagerDuty's envelopes."""

    def __init__(self, client: pagerduty.RestApiV2Client, routing: SimulatorRouting) -> None:
        self.client = client
        self.routing = routing

    def wrapper(self, method: str, path: str) -> str | None:
        """The response wrapper the client infers for an endpoint."""
        canonical = self.client.canonical_path(path)
        wrappers: tuple[str | None, str | None] = self.client.entity_wrappers(method, canonical)
        return wrappers[1]

    def one(self, method: str, path: str, wrapper: str, status: int = 200, **kw: Any) -> Any:
        """`rget`/`rpost`/`rput`: the unwrapped entity is the raw body's only root key."""
        assert self.wrapper(method, path) == wrapper
        call = getattr(self.client, f"r{method.lower()}")
        entity = call(path, **kw)
        last = self.routing.last
        assert last.status == status, (last.method, last.path, last.status)
        raw = last.body
        assert isinstance(raw, dict)
        assert set(raw) == {wrapper}, sorted(raw)
        assert entity == raw[wrapper]
        return entity

    def all(self, path: str, wrapper: str, **kw: Any) -> list[Any]:
        """`iter_all`: every page the client fetched is a classic offset page."""
        assert self.wrapper("GET", path) == wrapper
        start = len(self.routing.exchanges)
        items = list(self.client.iter_all(path, **kw))
        pages = self.routing.exchanges[start:]
        assert pages
        assert all(p.status == 200 for p in pages)
        assert [i for p in pages for i in assert_page(p.body, wrapper)] == items
        assert [p.body["more"] for p in pages] == [True] * (len(pages) - 1) + [False]
        return items


def rest(
    routing: SimulatorRouting,
    token: str,
    *,
    region: str = "us",
    auth_type: str = "token",
    default_from: str | None = None,
) -> Official:
    client = pagerduty.RestApiV2Client(
        token, default_from=default_from, auth_type=auth_type, transport=routing
    )
    if region == "eu":
        client.url = REST_EU
    return Official(client, routing)

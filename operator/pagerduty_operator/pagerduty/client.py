"""`PagerDutyClient`: one credential, its shared rate limiter, and the typed resources.

    client = PagerDutyClient(ApiToken(key), endpoints=Endpoints.for_region("eu"))
    async with client:
        subs = await client.webhooks.list("service", "PSERVIC")
        report = await client.probe()

Clients are cheap: the operator makes one per PagerDutyIntegration (and a new one when a Secret
rotates). Clients of the same credential share one limiter through the
:class:`~pagerduty_operator.pagerduty.ratelimit.LimiterRegistry` (the process-wide one by
default); several clients may share one `httpx.AsyncClient` (`http=`), which they then do not
close.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx

from .auth import Credential
from .clock import SYSTEM_CLOCK, Clock
from .endpoints import Endpoints
from .errors import PagerDutyError
from .metrics import ClientMetrics
from .probe import CAPABILITIES, PROBING, CachedProbe, CapabilityReport, probe_capabilities
from .ratelimit import LimiterRegistry, RateLimiter, default_registry
from .resources.abilities import Abilities
from .resources.orchestrations import EventOrchestrations
from .resources.priorities import Priorities
from .resources.services import ServiceIntegrations, Services
from .resources.users import Users
from .resources.webhooks import WebhookSubscriptions
from .retry import RetryPolicy
from .transport import BoundTokenFetcher, Query, Transport, decode_json

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class PagerDutyClient:
    """Async client of PagerDuty's REST API for one credential."""

    def __init__(
        self,
        credential: Credential,
        *,
        endpoints: Endpoints | None = None,
        http: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limiter: RateLimiter | None = None,
        limiters: LimiterRegistry | None = None,
        retry_policy: RetryPolicy | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        attempt_timeout: float | None = 30.0,
        clock: Clock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
        metrics: ClientMetrics | None = None,
    ) -> None:
        """Create a client.

        `transport` (e.g. `httpx.MockTransport`) is used when the client builds its own
        `httpx.AsyncClient`; `limiter` overrides the registry's shared limiter (tests).
        """
        self._credential = credential
        self.endpoints = endpoints or Endpoints.for_region("us")
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout, transport=transport)
        self.limiter = limiter or (limiters or default_registry()).for_fingerprint(
            credential.fingerprint
        )
        self.transport = Transport(
            self._http,
            retry_policy=retry_policy,
            clock=clock,
            rng=rng,
            metrics=metrics,
            attempt_timeout=attempt_timeout,
        )
        self.webhooks = WebhookSubscriptions(self)
        self.services = Services(self)
        self.integrations = ServiceIntegrations(self)
        self.orchestrations = EventOrchestrations(self)
        self.priorities = Priorities(self, clock=clock)
        self.abilities = Abilities(self)
        self.users = Users(self)
        self.succeeded_at = float("-inf")
        """When a call last succeeded (monotonic): the credential worked then."""
        self.refused_at = float("-inf")
        """When a call other than the probe was last refused (401 or 403)."""
        self.on_refused: Callable[[], None] | None = None
        self.probe_cache = CachedProbe()

    @property
    def credential(self) -> Credential:
        return self._credential

    @property
    def metrics(self) -> ClientMetrics:
        return self.transport.metrics

    def __repr__(self) -> str:
        return (
            f"PagerDutyClient(credential={self._credential!r}, "
            f"rest_url={self.endpoints.rest_url!r})"
        )

    async def __aenter__(self) -> PagerDutyClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this client created it."""
        if self._owns_http:
            await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Query | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """One REST call (`path` is a template such as `/services/{id}`); the 2xx response."""
        try:
            response = await self.transport.call(
                method,
                self.endpoints.rest_url,
                path,
                path_params=path_params,
                params=params,
                json_body=json,
                credential=self._credential,
                token_url=self.endpoints.oauth_token_url,
                limiter=self.limiter,
                idempotent=idempotent,
            )
        except PagerDutyError as error:
            if error.status in (401, 403) and not PROBING.get():
                self.refused_at = time.monotonic()
                if self.on_refused is not None:
                    self.on_refused()
            raise
        self.succeeded_at = time.monotonic()
        return response

    async def get_json(
        self,
        path: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Query | None = None,
    ) -> Any:
        response = await self.request("GET", path, path_params=path_params, params=params)
        return decode_json(response, "GET", path)

    async def send_json(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Query | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """A write whose response body is JSON (`None` for an empty 2xx body)."""
        response = await self.request(
            method, path, path_params=path_params, params=params, json=json, idempotent=idempotent
        )
        if not response.content.strip():
            return None
        return decode_json(response, method.upper(), path)

    async def ensure_token(self) -> None:
        """Obtain (or renew) the credential's token now; raises AuthenticationError if refused."""
        await self._credential.authorization(
            BoundTokenFetcher(self.transport, self.endpoints.oauth_token_url)
        )

    async def probe(self, capabilities: Sequence[str] = CAPABILITIES) -> CapabilityReport:
        """Which needed scopes this credential has (see :mod:`.probe`); changes nothing."""
        return await probe_capabilities(self, capabilities)

    async def checked_probe(self, recent: float) -> CapabilityReport:
        """The capability report, probed in full only when needed (see `CachedProbe`).

        `recent`: seconds within which a successful call proves the credential still works.
        """
        return await self.probe_cache.check(self, self, time.monotonic(), recent)

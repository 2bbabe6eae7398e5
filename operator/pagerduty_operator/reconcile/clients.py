"""One PagerDuty client per PagerDutyIntegration, rebuilt when its Secrets rotate.

`ClientRegistry.connect` resolves the integration's credential Secrets, and reuses the existing
client while the resolved material is unchanged (compared by digest, never stored in clear).
The `kick` it uses when a dependent's call is refused is given at construction and never
changes (none: refusals kick nothing, as in tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pagerduty_operator.config import EndpointOverrides
from pagerduty_operator.kube import Kube, SecretProblem
from pagerduty_operator.models.integration import AuthMethod, IntegrationSpec
from pagerduty_operator.models.reasons import Problem, SharedReason
from pagerduty_operator.models.resources import INTEGRATION
from pagerduty_operator.pagerduty import (
    ApiToken,
    Credential,
    Endpoints,
    OAuthClientCredentials,
    OAuthUserToken,
    PagerDutyClient,
    TokenSet,
)

TOKEN_KEYS = ("access_token", "refresh_token", "expires_at")
REFUSED_KICK_SECONDS = 30.0
"""A refused call kicks its integration (to probe again) at most this often."""
CACHE_SECONDS = 30.0
RETIRE_SECONDS = 120.0

Kick = Callable[[str, str, str], Awaitable[None]]


class IntegrationUnavailable(Problem):
    """The integration cannot be used; `reason` and `message` go into a dependent's condition."""


@dataclass
class Connection:
    """A usable connection to one PagerDuty account through one integration."""

    namespace: str
    name: str
    spec: IntegrationSpec
    auth_method: AuthMethod
    client: PagerDutyClient | None
    digest: str
    routing_key: str | None
    resolved_at: float

    @property
    def service_id(self) -> str | None:
        return self.spec.service_id

    def rest(self) -> PagerDutyClient:
        if self.client is None:
            raise IntegrationUnavailable(
                SharedReason.NO_REST_CREDENTIALS,
                f"PagerDutyIntegration {self.name!r} has only a routing key; "
                "set credentials.apiKey or credentials.oauth to manage PagerDuty objects",
            )
        return self.client


def endpoints_for(region: str, overrides: EndpointOverrides) -> Endpoints:
    """The region's hosts, with the operator's overrides (never set in a custom resource)."""
    api = overrides.api_eu if region == "eu" else overrides.api_us
    events = overrides.events_eu if region == "eu" else overrides.events_us
    return Endpoints.for_region(
        "eu" if region == "eu" else "us",
        rest_url=api or None,
        events_url=events or None,
        identity_url=overrides.oauth or None,
    )


class ClientRegistry:
    """Connections by integration (namespace/name), shared by every reconciler."""

    def __init__(self, kube: Kube, overrides: EndpointOverrides, kick: Kick | None = None) -> None:
        self._kube = kube
        self._overrides = overrides
        self._connections: dict[tuple[str, str], Connection] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._retiring: set[asyncio.Task[None]] = set()
        self._kick = kick
        self._kicks: set[asyncio.Future[None]] = set()

    @property
    def kick(self) -> Kick | None:
        """What a refused call of a dependent kicks (fixed at construction)."""
        return self._kick

    def invalidate(self, namespace: str, name: str) -> None:
        """Forget the cached resolution so the next use re-reads the Secrets."""
        connection = self._connections.get((namespace, name))
        if connection is not None:
            connection.resolved_at = 0.0

    def cached(self, namespace: str, name: str) -> Connection | None:
        return self._connections.get((namespace, name))

    async def close(self) -> None:
        for task in list(self._retiring):
            task.cancel()
        for connection in self._connections.values():
            if connection.client is not None:
                await connection.client.aclose()
        self._connections.clear()

    def _fresh(self, namespace: str, name: str) -> Connection | None:
        cached = self._connections.get((namespace, name))
        if cached is not None and time.monotonic() - cached.resolved_at < CACHE_SECONDS:
            return cached
        return None

    async def for_integration(self, namespace: str, name: str) -> Connection:
        """The connection of the named integration, for a webhook or a rule.

        When the cached resolution is stale, the first caller re-reads the integration and its
        Secrets; concurrent callers wait for it and reuse its result (one read, not one each).
        """
        cached = self._fresh(namespace, name)
        if cached is not None:
            return cached
        async with self._locks.setdefault((namespace, name), asyncio.Lock()):
            cached = self._fresh(namespace, name)
            if cached is not None:
                return cached
            body = await self._kube.get_object(INTEGRATION.plural, namespace, name)
            if body is None:
                raise IntegrationUnavailable(
                    SharedReason.INTEGRATION_NOT_FOUND,
                    f"PagerDutyIntegration {name!r} does not exist in namespace {namespace!r}",
                )
            try:
                spec = IntegrationSpec.model_validate(body.get("spec") or {})
            except ValueError:
                raise IntegrationUnavailable(
                    SharedReason.INTEGRATION_INVALID,
                    f"PagerDutyIntegration {name!r} has an invalid spec",
                ) from None
            return await self._connect(namespace, name, spec)

    async def connect(self, namespace: str, name: str, spec: IntegrationSpec) -> Connection:
        """Resolve the Secrets of `spec` and return a (possibly reused) connection."""
        lock = self._locks.setdefault((namespace, name), asyncio.Lock())
        async with lock:  # concurrent callers share one resolution and one client
            return await self._connect(namespace, name, spec)

    async def _connect(self, namespace: str, name: str, spec: IntegrationSpec) -> Connection:
        try:
            material, credential_factory, routing_key, method = await self._resolve(namespace, spec)
        except SecretProblem as problem:
            raise IntegrationUnavailable(problem.reason, problem.message) from None
        digest = hashlib.sha256(
            repr((sorted(material.items()), spec.region, spec.service_id)).encode()
        ).hexdigest()
        key = (namespace, name)
        current = self._connections.get(key)
        if current is not None and current.digest == digest:
            current.spec = spec
            current.resolved_at = time.monotonic()
            return current
        client = None
        if credential_factory is not None:
            client = PagerDutyClient(
                credential_factory(), endpoints=endpoints_for(spec.region, self._overrides)
            )
        if client is not None:
            client.on_refused = self._on_refused(namespace, name, client)
        connection = Connection(
            namespace=namespace,
            name=name,
            spec=spec,
            auth_method=method,
            client=client,
            digest=digest,
            routing_key=routing_key,
            resolved_at=time.monotonic(),
        )
        self._connections[key] = connection
        if current is not None and current.client is not None:
            self._retire(current.client)
        return connection

    def _on_refused(self, namespace: str, name: str, client: PagerDutyClient) -> Callable[[], None]:
        """A call of a dependent was refused (401/403): the integration probes again now.

        Not when its report did not grant every scope (the refusal may be no news, and such a
        report is probed in full at every resync anyway), and at most every
        `REFUSED_KICK_SECONDS`.
        """
        last = [float("-inf")]
        kick = self._kick

        def refused() -> None:
            report = client.probe_cache.report
            now = time.monotonic()
            if kick is None or now - last[0] < REFUSED_KICK_SECONDS:
                return
            if report is not None and not report.all_granted:
                return
            last[0] = now
            task = asyncio.ensure_future(kick(INTEGRATION.plural, namespace, name))
            self._kicks.add(task)
            task.add_done_callback(self._kicks.discard)

        return refused

    def _retire(self, client: PagerDutyClient) -> None:
        """Close a replaced client later: reconciles in flight may still be using it."""

        async def close_later() -> None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(RETIRE_SECONDS)
            await client.aclose()

        task = asyncio.create_task(close_later())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _resolve(
        self, namespace: str, spec: IntegrationSpec
    ) -> tuple[dict[str, str], Any, str | None, AuthMethod]:
        creds = spec.credentials
        material: dict[str, str] = {}
        routing_key = None
        if creds.routing_key is not None:
            ref = creds.routing_key.secret_key_ref
            routing_key, _ = await self._kube.read_secret_value(namespace, ref.name, ref.key)
            material["routingKey"] = routing_key
        if creds.api_key is not None:
            ref = creds.api_key.secret_key_ref
            token, _ = await self._kube.read_secret_value(namespace, ref.name, ref.key)
            material["apiKey"] = token
            return material, (lambda: ApiToken(token)), routing_key, "APIKey"
        if creds.oauth is not None:
            oauth = creds.oauth
            id_ref = oauth.client_id.secret_key_ref
            client_id, _ = await self._kube.read_secret_value(namespace, id_ref.name, id_ref.key)
            client_secret = None
            if oauth.client_secret is not None:
                ref = oauth.client_secret.secret_key_ref
                client_secret, _ = await self._kube.read_secret_value(namespace, ref.name, ref.key)
            material["clientId"] = client_id
            material["clientSecret"] = client_secret or ""
            if oauth.token_secret_ref is None:
                subdomain = oauth.subdomain or ""
                scopes = tuple(oauth.scopes) if oauth.scopes else None

                def client_credentials() -> Credential:
                    if scopes is None:
                        return OAuthClientCredentials(
                            client_id, client_secret or "", subdomain, region=spec.region
                        )
                    return OAuthClientCredentials(
                        client_id, client_secret or "", subdomain, region=spec.region, scopes=scopes
                    )

                material["scopes"] = " ".join(scopes or ())
                return material, client_credentials, routing_key, "OAuthClientCredentials"
            tokens = await self._read_tokens(namespace, oauth.token_secret_ref.name)
            # Only the refresh token identifies the grant: a refreshed access token that the
            # operator itself wrote back must not look like a rotation.
            material["tokenSecret"] = oauth.token_secret_ref.name
            token_secret = oauth.token_secret_ref.name

            async def persist(new_tokens: TokenSet) -> None:
                data = {"access_token": new_tokens.access_token}
                if new_tokens.refresh_token:
                    data["refresh_token"] = new_tokens.refresh_token
                if new_tokens.expires_at is not None:
                    data["expires_at"] = _rfc3339(new_tokens.expires_at)
                await self._kube.update_secret_data(namespace, token_secret, data)

            def user_token() -> Credential:
                return OAuthUserToken(
                    client_id,
                    client_secret,
                    tokens,
                    on_tokens_refreshed=persist,
                    identity=f"{namespace}/{token_secret}",
                )

            return material, user_token, routing_key, "OAuthUserToken"
        return material, None, routing_key, "RoutingKey"

    async def _read_tokens(self, namespace: str, name: str) -> TokenSet:
        secret = await self._kube.read_secret(namespace, name)
        if secret is None:
            raise SecretProblem(
                SharedReason.SECRET_NOT_FOUND,
                f"Secret {name!r} does not exist in namespace {namespace!r}",
            )
        access = secret.data.get("access_token", "").strip()
        refresh = secret.data.get("refresh_token", "").strip() or None
        if not access and not refresh:
            raise SecretProblem(
                SharedReason.SECRET_KEY_NOT_FOUND,
                f"Secret {name!r} needs access_token and/or refresh_token for the user token",
            )
        expires_at = _parse_time(secret.data.get("expires_at", ""))
        if not access:
            expires_at = 0.0  # only a refresh token: refresh before the first call
        return TokenSet(access_token=access or "-", refresh_token=refresh, expires_at=expires_at)


def _rfc3339(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _parse_time(value: str) -> float | None:
    from datetime import datetime

    value = value.strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None

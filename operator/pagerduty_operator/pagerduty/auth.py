"""Credentials: REST API tokens, OAuth client credentials, and user OAuth tokens.

Each credential produces the `Authorization` header value for a REST call and a *fingerprint*
(a salted hash, never the secret) that keys the shared rate limiter. OAuth credentials cache their
access token and renew it before it expires; concurrent callers that all need a new token wait
for one single token request (an `asyncio.Lock` with a double check). After a 401 the transport
calls :meth:`Credential.invalidate` with the header that was rejected, so that one renewal serves
every caller that saw the same stale token.

User OAuth tokens are renewed with their refresh token (PagerDuty rotates it); the new
:class:`TokenSet` is handed to the `on_tokens_refreshed` callback so the caller can persist it.
If that callback fails, the tokens are still used and the callback is tried again on the next
call until it succeeds (:attr:`OAuthUserToken.persist_pending`). A refresh request that may have
reached PagerDuty without an answer is not repeated (the refresh token may be used up): the
call fails with :class:`~pagerduty_operator.pagerduty.errors.UnreachableError`.

Every secret given to or obtained by a credential is registered with the redactor.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from .clock import SYSTEM_CLOCK, Clock
from .endpoints import Region
from .errors import AmbiguousWriteError, MalformedResponseError, UnreachableError
from .redact import register_secret

log = logging.getLogger(__name__)

DEFAULT_RENEW_MARGIN = 300.0
"""Seconds before expiry when an OAuth access token is renewed (at most half its lifetime)."""

# OAuth scopes the operator needs (PagerDuty spells them `<resource>.<read|write>`).
OPERATOR_SCOPES: tuple[str, ...] = (
    "incidents.read",
    "incidents.write",
    "services.read",
    "services.write",
    "webhook_subscriptions.read",
    "webhook_subscriptions.write",
    "event_orchestrations.read",
    "event_orchestrations.write",
    "abilities.read",
    "priorities.read",
)


def fingerprint(kind: str, *parts: str) -> str:
    """A stable, non-reversible identifier of a credential (never the secret itself)."""
    digest = hashlib.sha256("\x00".join(("pagerduty-operator", kind, *parts)).encode())
    return f"{kind}:{digest.hexdigest()[:20]}"


@dataclass(frozen=True)
class TokenSet:
    """OAuth tokens as PagerDuty's token endpoint returns them (secrets hidden from repr)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    """Seconds since the epoch; `None` when unknown."""
    scopes: frozenset[str] | None = None
    """Granted scopes; `None` when the token endpoint did not say."""
    token_type: str = "bearer"

    def __post_init__(self) -> None:
        register_secret(self.access_token)
        register_secret(self.refresh_token)

    @classmethod
    def from_response(
        cls, data: Mapping[str, Any], *, now: float, previous: TokenSet | None = None
    ) -> TokenSet:
        """Build from a token endpoint response; `previous` fills what a refresh omits."""
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise MalformedResponseError(
                "token response without access_token", method="POST", path="/oauth/token"
            )
        expires_in = data.get("expires_in")
        expires_at = (
            now + float(expires_in)
            if isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
            else None
        )
        refresh = data.get("refresh_token")
        scope = data.get("scope")
        return cls(
            access_token=access,
            refresh_token=refresh
            if isinstance(refresh, str) and refresh
            else (previous.refresh_token if previous else None),
            expires_at=expires_at,
            scopes=parse_scopes(scope)
            if isinstance(scope, str)
            else (previous.scopes if previous else None),
            token_type=str(data.get("token_type") or "bearer"),
        )


def parse_scopes(scope: str | Iterable[str]) -> frozenset[str]:
    """Scopes from a space-separated OAuth `scope` string or a list."""
    items = scope.split() if isinstance(scope, str) else scope
    return frozenset(s.strip() for s in items if s.strip())


class TokenFetcher(Protocol):
    """Posts a form to the OAuth token endpoint and returns the JSON answer.

    Raises :class:`~pagerduty_operator.pagerduty.errors.AuthenticationError` when the endpoint
    refuses the client or the grant. `idempotent=False` means the request must not be repeated
    once it may have been received (a refresh token is consumed by its first use).
    """

    async def __call__(self, form: Mapping[str, str], *, idempotent: bool) -> Mapping[str, Any]: ...


class Credential(ABC):
    """Something that authorises REST calls."""

    kind: ClassVar[str]

    @property
    @abstractmethod
    def fingerprint(self) -> str:
        """Identifies the rate-limit budget this credential draws from."""

    @property
    def renewable(self) -> bool:
        """Whether a rejected token can be renewed (a 401 is then retried once)."""
        return False

    @property
    def granted_scopes(self) -> frozenset[str] | None:
        """The OAuth scopes of the current token, `None` for API tokens or when unknown."""
        return None

    @property
    def expires_at(self) -> float | None:
        """When the current access token expires (epoch seconds), if known."""
        return None

    @abstractmethod
    async def authorization(self, fetch: TokenFetcher) -> str:
        """The `Authorization` header value, obtaining or renewing a token if needed."""

    def invalidate(self, rejected_authorization: str) -> None:
        """Forget the token behind `rejected_authorization` if it is still the current one."""
        return  # API tokens have nothing to forget

    def __repr__(self) -> str:
        return f"{type(self).__name__}(fingerprint={self.fingerprint!r})"


class ApiToken(Credential):
    """A REST API token (account or user key): `Authorization: Token token=<key>`."""

    kind = "api_token"

    def __init__(self, token: str) -> None:
        token = token.strip()
        if not token:
            raise ValueError("the API token is empty")
        register_secret(token)
        self._token = token
        self._fingerprint = fingerprint(self.kind, token)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    async def authorization(self, fetch: TokenFetcher) -> str:
        return f"Token token={self._token}"


class _OAuthCredential(Credential):
    """Shared logic of the OAuth credentials: cache, renewal margin, single-flight fetch."""

    def __init__(self, *, clock: Clock, renew_margin: float) -> None:
        self._clock = clock
        self._renew_margin = renew_margin
        self._tokens: TokenSet | None = None
        self._issued_at: float | None = None
        self._lock = asyncio.Lock()
        self.token_requests = 0

    @property
    def renewable(self) -> bool:
        return True

    @property
    def tokens(self) -> TokenSet | None:
        return self._tokens

    @property
    def granted_scopes(self) -> frozenset[str] | None:
        return self._tokens.scopes if self._tokens else None

    @property
    def expires_at(self) -> float | None:
        return self._tokens.expires_at if self._tokens else None

    def _usable(self, tokens: TokenSet | None) -> bool:
        if tokens is None:
            return False
        if tokens.expires_at is None:
            return True
        now = self._clock.time()
        lifetime = tokens.expires_at - (self._issued_at if self._issued_at is not None else now)
        margin = min(self._renew_margin, max(lifetime, 0.0) / 2)
        return now < tokens.expires_at - margin

    @staticmethod
    def _header(tokens: TokenSet) -> str:
        return f"Bearer {tokens.access_token}"

    async def authorization(self, fetch: TokenFetcher) -> str:
        await self._before_use()
        tokens = self._tokens
        if tokens is not None and self._usable(tokens):
            return self._header(tokens)
        async with self._lock:
            tokens = self._tokens
            if tokens is None or not self._usable(tokens):
                now = self._clock.time()
                self.token_requests += 1
                tokens = await self._obtain(fetch, now)
                self._tokens = tokens
                self._issued_at = now
                await self._after_obtain(tokens)
            return self._header(tokens)

    def invalidate(self, rejected_authorization: str) -> None:
        if self._tokens is not None and self._header(self._tokens) == rejected_authorization:
            self._expire()

    def _expire(self) -> None:
        tokens = self._tokens
        if tokens is not None:
            self._tokens = TokenSet(
                access_token=tokens.access_token,
                refresh_token=tokens.refresh_token,
                expires_at=self._clock.time() - 1,
                scopes=tokens.scopes,
                token_type=tokens.token_type,
            )

    async def _before_use(self) -> None:
        """Hook run before each use (user tokens retry a failed persistence here)."""

    async def _after_obtain(self, tokens: TokenSet) -> None:
        """Hook run under the lock after new tokens were obtained."""

    @abstractmethod
    async def _obtain(self, fetch: TokenFetcher, now: float) -> TokenSet: ...


class OAuthClientCredentials(_OAuthCredential):
    """A scoped OAuth app using the client-credentials grant (no refresh token: re-request)."""

    kind = "oauth_client_credentials"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        subdomain: str,
        *,
        region: Region = "us",
        scopes: Sequence[str] = OPERATOR_SCOPES,
        clock: Clock = SYSTEM_CLOCK,
        renew_margin: float = DEFAULT_RENEW_MARGIN,
    ) -> None:
        super().__init__(clock=clock, renew_margin=renew_margin)
        if not client_id or not client_secret or not subdomain:
            raise ValueError("client_id, client_secret and subdomain are required")
        register_secret(client_secret)
        self._client_id = client_id
        self._client_secret = client_secret
        self.subdomain = subdomain
        self.region = region
        self.requested_scopes = tuple(scopes)
        self._fingerprint = fingerprint(self.kind, client_id, region, subdomain)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def scope_string(self) -> str:
        return " ".join((f"as_account-{self.region}.{self.subdomain}", *self.requested_scopes))

    async def _obtain(self, fetch: TokenFetcher, now: float) -> TokenSet:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "scope": self.scope_string,
        }
        data = await fetch(form, idempotent=True)
        return TokenSet.from_response(data, now=now)


TokensRefreshedCallback = Callable[[TokenSet], Awaitable[None]]


class OAuthUserToken(_OAuthCredential):
    """A user OAuth token renewed with its refresh token; new tokens go to a callback."""

    kind = "oauth_user"

    def __init__(
        self,
        client_id: str,
        client_secret: str | None,
        tokens: TokenSet,
        *,
        on_tokens_refreshed: TokensRefreshedCallback | None = None,
        identity: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
        renew_margin: float = DEFAULT_RENEW_MARGIN,
    ) -> None:
        """Create from stored tokens.

        `identity` names the user/Secret for rate-limit sharing across refreshes (for example
        `namespace/secret-name`); without it the initial refresh token is hashed instead.
        """
        super().__init__(clock=clock, renew_margin=renew_margin)
        if not client_id:
            raise ValueError("client_id is required")
        register_secret(client_secret)
        self._client_id = client_id
        self._client_secret = client_secret
        self._tokens = tokens
        self._on_refreshed = on_tokens_refreshed
        self._pending: TokenSet | None = None
        anchor = identity or tokens.refresh_token or tokens.access_token
        self._fingerprint = fingerprint(self.kind, client_id, anchor)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def renewable(self) -> bool:
        return self._tokens is not None and self._tokens.refresh_token is not None

    @property
    def persist_pending(self) -> bool:
        """True while refreshed tokens have not been handed to the callback successfully."""
        return self._pending is not None

    def _usable(self, tokens: TokenSet | None) -> bool:
        if tokens is not None and tokens.refresh_token is None:
            return True  # cannot renew: use it until PagerDuty rejects it
        return super()._usable(tokens)

    async def _obtain(self, fetch: TokenFetcher, now: float) -> TokenSet:
        current = self._tokens
        if current is None or current.refresh_token is None:
            raise MalformedResponseError("no refresh token to renew the user token with")
        form = {
            "grant_type": "refresh_token",
            "client_id": self._client_id,
            "refresh_token": current.refresh_token,
        }
        if self._client_secret:
            form["client_secret"] = self._client_secret
        try:
            data = await fetch(form, idempotent=False)
        except AmbiguousWriteError as exc:
            # Not the caller's write that is in doubt: its request was never sent. The refresh
            # token may have been consumed; the next attempt will tell (invalid_grant).
            raise UnreachableError(
                f"token refresh got no answer ({exc.cause}); the refresh token may be used up",
                method=exc.method,
                path=exc.path,
                attempts=exc.attempts,
            ) from exc
        return TokenSet.from_response(data, now=now, previous=current)

    async def _after_obtain(self, tokens: TokenSet) -> None:
        self._pending = tokens
        await self._persist()

    async def _before_use(self) -> None:
        if self._pending is not None:
            async with self._lock:
                await self._persist()

    async def _persist(self) -> None:
        tokens = self._pending
        if tokens is None:
            return
        if self._on_refreshed is None:
            self._pending = None
            return
        try:
            await self._on_refreshed(tokens)
        except Exception as exc:  # keep the tokens; try the callback again on the next call
            log.warning(
                "persisting refreshed PagerDuty user tokens failed (%s); will retry",
                type(exc).__name__,
            )
            return
        self._pending = None

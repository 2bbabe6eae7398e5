"""The live in-memory state of a simulator: accounts, credentials, logs, faults, limiters."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pagerduty_simulator import ids
from pagerduty_simulator.clock import Clock
from pagerduty_simulator.config import SimulatorConfig
from pagerduty_simulator.faults import FaultSet
from pagerduty_simulator.models import (
    AccessToken,
    Account,
    ApiKey,
    Integration,
    OAuthApp,
    Orchestration,
    OrchestrationIntegration,
    RefreshToken,
    Region,
    Service,
)
from pagerduty_simulator.ratelimit import RateLimiter
from pagerduty_simulator.requestlog import RequestLog

if TYPE_CHECKING:
    from pagerduty_simulator.deliveries import DeliveryService

MAX_EVENTS = 10_000


@dataclass(frozen=True)
class RoutingTarget:
    """Where an Events API v2 routing key leads: a service integration or an orchestration."""

    account: Account
    service: Service | None = None
    integration: Integration | None = None
    orchestration: Orchestration | None = None
    orchestration_integration: OrchestrationIntegration | None = None


class SimulatorState:
    """Everything the simulator knows; mutated only on the server's event loop."""

    def __init__(self, config: SimulatorConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or Clock()
        self.accounts: dict[str, Account] = {}
        self.request_log = RequestLog()
        self.faults = FaultSet()
        self.rate_limiter = RateLimiter(self.clock, config.rate_limit_per_minute)
        self.events_limiter = RateLimiter(self.clock, config.events_rate_limit_per_minute)
        self.events: deque[dict[str, Any]] = deque(maxlen=MAX_EVENTS)
        self.origins: dict[Region, str] = {}
        self.deliveries: DeliveryService | None = None
        self._access_tokens: dict[str, tuple[Account, AccessToken]] = {}
        self._known_ids: set[str] | None = None

    # --- accounts -------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every account, credential, log entry and fault; the clock returns to now."""
        self.accounts.clear()
        self._access_tokens.clear()
        self._known_ids = None
        self.request_log.clear()
        self.faults.clear()
        self.rate_limiter.reset()
        self.events_limiter.reset()
        self.events.clear()
        self.clock.reset()

    def add_account(self, account: Account) -> None:
        self.accounts[account.subdomain] = account

    def account_by_id(self, account_id: str) -> Account | None:
        for account in self.accounts.values():
            if account.id == account_id:
                return account
        return None

    def account(self, subdomain: str) -> Account:
        """The account with this subdomain (KeyError when unknown)."""
        return self.accounts[subdomain]

    def origin(self, region: Region) -> str:
        """The base URL of a region's origin (REST `self` links point here)."""
        return self.origins.get(
            region,
            "https://api.pagerduty.com" if region == "us" else "https://api.eu.pagerduty.com",
        )

    def all_ids(self) -> Iterator[str]:
        """Every PagerDuty-style id in use (new ids must not collide with them)."""
        for account in self.accounts.values():
            yield account.id
            yield from account.users
            yield from account.teams
            yield from account.escalation_policies
            yield from (priority.id for priority in account.priorities)
            yield from account.services
            for service in account.services.values():
                yield from service.integrations
            for webhook in account.webhooks.values():
                yield webhook.id
                yield webhook.delivery_method_id
            yield from account.incidents

    def forget_known_ids(self) -> None:
        """Objects were added with ids of their own (a seed): rebuild the id index when needed."""
        self._known_ids = None

    def new_id(self) -> str:
        """A fresh 7-character id unique across the simulator."""
        if self._known_ids is None:
            self._known_ids = set(self.all_ids())
        while True:
            candidate = ids.pd_id()
            if candidate not in self._known_ids:
                self._known_ids.add(candidate)
                return candidate

    # --- credentials ----------------------------------------------------------------------

    def find_api_key(self, token: str) -> tuple[Account, ApiKey] | None:
        for account in self.accounts.values():
            for key in account.api_keys:
                if key.token == token:
                    return account, key
        return None

    def find_oauth_app(self, client_id: str) -> tuple[Account, OAuthApp] | None:
        for account in self.accounts.values():
            for app in account.oauth_apps:
                if app.client_id == client_id:
                    return account, app
        return None

    def find_refresh_token(self, token: str) -> tuple[Account, RefreshToken] | None:
        for account in self.accounts.values():
            for refresh in account.refresh_tokens:
                if refresh.token == token:
                    return account, refresh
        return None

    def find_access_token(self, token: str) -> tuple[Account, AccessToken] | None:
        return self._access_tokens.get(token)

    def add_access_token(self, account: Account, token: AccessToken) -> None:
        account.access_tokens.append(token)
        self._access_tokens[token.token] = (account, token)

    def forget_access_token(self, token: str) -> None:
        found = self._access_tokens.pop(token, None)
        if found is not None:
            account, access = found
            account.access_tokens.remove(access)

    def purge_expired_tokens(self) -> None:
        """Drop access tokens that expired (they would 401 anyway)."""
        now = self.clock.time()
        for token, (_, access) in list(self._access_tokens.items()):
            if access.expires_at <= now:
                self.forget_access_token(token)

    # --- routing keys ---------------------------------------------------------------------

    def find_routing_key(self, key: str) -> RoutingTarget | None:
        for account in self.accounts.values():
            for service in account.services.values():
                for integration in service.integrations.values():
                    if integration.integration_key == key:
                        return RoutingTarget(account, service=service, integration=integration)
            for orchestration in account.orchestrations.values():
                for entry in orchestration.integrations:
                    if entry.routing_key == key:
                        return RoutingTarget(
                            account, orchestration=orchestration, orchestration_integration=entry
                        )
        return None

"""Seed documents (YAML or JSON): accounts, users, teams, services, orchestrations, credentials.

`load_seed` reads and validates a document; `apply_seed` adds it to a state. Applying to an
existing account (same subdomain) adds or replaces the listed objects by id, the way a person
would create them in the PagerDuty web app.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, cast

import yaml

from pagerduty_simulator import ids
from pagerduty_simulator.errors import ApiError
from pagerduty_simulator.event_types import INCIDENT_EVENT_TYPES, WEBHOOK_EVENT_TYPES
from pagerduty_simulator.models import (
    Account,
    ApiKey,
    CustomHeader,
    EscalationPolicy,
    Integration,
    OAuthApp,
    Orchestration,
    OrchestrationIntegration,
    OrchestrationPath,
    PathKind,
    Priority,
    RefreshToken,
    Region,
    Service,
    Team,
    User,
    WebhookSubscription,
)
from pagerduty_simulator.orchestration_paths import (
    describe_error,
    empty_path,
    parse_path_body,
)
from pagerduty_simulator.rest.integration_types import INTEGRATION_TYPES
from pagerduty_simulator.rest.service_writes import read_settings
from pagerduty_simulator.state import SimulatorState

DEFAULT_SEED_RESOURCE = "default_seed.yaml"
# The fields of a seeded service's `settings` (the names and shapes of the REST API).
SEED_SETTINGS = (
    "acknowledgement_timeout",
    "auto_resolve_timeout",
    "incident_urgency_rule",
    "support_hours",
    "scheduled_actions",
    "alert_creation",
    "alert_grouping_parameters",
    "auto_pause_notifications_parameters",
)


class SeedError(ValueError):
    """A seed document that cannot be applied (the message names the offending field)."""


@dataclass(frozen=True)
class Seed:
    """A validated seed document."""

    document: Mapping[str, Any]
    source: str = "<seed>"


class _Obj:
    """Typed access to one mapping of a seed document, with the path for error messages."""

    def __init__(self, raw: Any, where: str, allowed: set[str]) -> None:
        if not isinstance(raw, Mapping):
            raise SeedError(f"{where} must be a mapping")
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise SeedError(f"{where}: unknown field(s) {', '.join(unknown)}")
        self.raw = raw
        self.where = where

    def has(self, key: str) -> bool:
        return key in self.raw

    def text(self, key: str, default: str | None = None) -> str:
        value = self.raw.get(key, default)
        if not isinstance(value, str) or (default is None and not value):
            raise SeedError(f"{self.where}.{key} must be a non-empty string")
        return value

    def opt_text(self, key: str) -> str | None:
        value = self.raw.get(key)
        if value is not None and not isinstance(value, str):
            raise SeedError(f"{self.where}.{key} must be a string")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise SeedError(f"{self.where}.{key} must be a boolean")
        return value

    def texts(self, key: str) -> list[str]:
        value = self.raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SeedError(f"{self.where}.{key} must be a list of strings")
        return list(value)

    def items(self, key: str) -> list[tuple[Any, str]]:
        value = self.raw.get(key, [])
        if not isinstance(value, list):
            raise SeedError(f"{self.where}.{key} must be a list")
        return [(item, f"{self.where}.{key}[{index}]") for index, item in enumerate(value)]


ACCOUNT_FIELDS = {
    "subdomain",
    "region",
    "name",
    "id",
    "abilities",
    "disabled_features",
    "users",
    "teams",
    "escalation_policies",
    "priorities",
    "services",
    "orchestrations",
    "webhook_subscriptions",
    "api_keys",
    "oauth_apps",
    "oauth_refresh_tokens",
}


class _Applier:
    def __init__(self, state: SimulatorState) -> None:
        self.state = state
        self.now = state.clock.iso()

    def new_id(self, obj: _Obj) -> str:
        return obj.text("id") if obj.has("id") else self.state.new_id()

    def account(self, raw: Any, where: str) -> Account:
        obj = _Obj(raw, where, ACCOUNT_FIELDS)
        subdomain = obj.text("subdomain")
        account = self.state.accounts.get(subdomain)
        region_raw = obj.text("region", account.region if account else "us")
        if region_raw not in ("us", "eu"):
            raise SeedError(f"{where}.region must be us or eu")
        region = cast(Region, region_raw)
        if account is None:
            account = Account(
                id=obj.text("id") if obj.has("id") else self.state.new_id(),
                subdomain=subdomain,
                region=region,
                name=obj.text("name", subdomain),
            )
            self.state.add_account(account)
        elif account.region != region:
            raise SeedError(f"{where}.region cannot change for an existing account")
        elif obj.has("name"):
            account.name = obj.text("name")
        if obj.has("abilities"):
            account.abilities = obj.texts("abilities")
        if obj.has("disabled_features"):
            account.disabled_features = obj.texts("disabled_features")
        for item, at in obj.items("teams"):
            self.team(account, item, at)
        for item, at in obj.items("users"):
            self.user(account, item, at)
        for item, at in obj.items("escalation_policies"):
            self.escalation_policy(account, item, at)
        for item, at in obj.items("priorities"):
            self.priority(account, item, at)
        for item, at in obj.items("services"):
            self.service(account, item, at)
        for item, at in obj.items("orchestrations"):
            self.orchestration(account, item, at)
        for item, at in obj.items("webhook_subscriptions"):
            self.webhook(account, item, at)
        for item, at in obj.items("api_keys"):
            self.api_key(account, item, at)
        for item, at in obj.items("oauth_apps"):
            self.oauth_app(account, item, at)
        for item, at in obj.items("oauth_refresh_tokens"):
            self.refresh_token(account, item, at)
        return account

    def user(self, account: Account, raw: Any, where: str) -> None:
        obj = _Obj(raw, where, {"id", "name", "email", "role", "time_zone", "teams"})
        user = User(
            id=self.new_id(obj),
            name=obj.text("name"),
            email=obj.text("email"),
            role=obj.text("role", "user"),
            time_zone=obj.text("time_zone", "Etc/UTC"),
            team_ids=self.known(account.teams, obj.texts("teams"), f"{where}.teams"),
        )
        account.users[user.id] = user

    def team(self, account: Account, raw: Any, where: str) -> None:
        obj = _Obj(raw, where, {"id", "name", "description"})
        team = Team(
            id=self.new_id(obj), name=obj.text("name"), description=obj.text("description", "")
        )
        account.teams[team.id] = team

    def escalation_policy(self, account: Account, raw: Any, where: str) -> None:
        obj = _Obj(raw, where, {"id", "name", "description", "teams", "users"})
        policy = EscalationPolicy(
            id=self.new_id(obj),
            name=obj.text("name"),
            description=obj.text("description", ""),
            team_ids=self.known(account.teams, obj.texts("teams"), f"{where}.teams"),
            user_ids=self.known(account.users, obj.texts("users"), f"{where}.users"),
        )
        account.escalation_policies[policy.id] = policy

    def priority(self, account: Account, raw: Any, where: str) -> None:
        obj = _Obj(raw, where, {"id", "name", "description"})
        priority = Priority(
            id=self.new_id(obj), name=obj.text("name"), description=obj.text("description", "")
        )
        account.priorities = [p for p in account.priorities if p.id != priority.id]
        account.priorities.append(priority)

    @staticmethod
    def known(table: Mapping[str, Any], wanted: list[str], where: str) -> list[str]:
        missing = [item for item in wanted if item not in table]
        if missing:
            raise SeedError(f"{where}: unknown id(s) {', '.join(missing)}")
        return wanted

    def actor(self, account: Account) -> str | None:
        return account.owner_id

    def path(
        self, account: Account, kind: PathKind, parent_id: str, raw: Any, where: str
    ) -> OrchestrationPath:
        path = empty_path(kind, parent_id, self.now, self.actor(account))
        if raw is None:
            return path
        try:
            path.sets, path.catch_all = parse_path_body({"orchestration_path": raw}, kind, account)
        except ApiError as error:
            raise SeedError(f"{where}: {describe_error(error)}") from None
        return path

    def service(self, account: Account, raw: Any, where: str) -> None:
        obj = _Obj(
            raw,
            where,
            {
                "id",
                "name",
                "description",
                "escalation_policy",
                "teams",
                "status",
                "orchestration_active",
                "integrations",
                "orchestration",
                "settings",
            },
        )
        service_id = self.new_id(obj)
        if obj.has("escalation_policy"):
            policy_id = obj.text("escalation_policy")
            self.known(account.escalation_policies, [policy_id], f"{where}.escalation_policy")
        elif account.escalation_policies:
            policy_id = next(iter(account.escalation_policies))
        else:
            raise SeedError(f"{where}: the account needs an escalation policy first")
        status = obj.text("status", "active")
        if status not in {"active", "warning", "critical", "maintenance", "disabled"}:
            raise SeedError(f"{where}.status is not a service status")
        service = Service(
            id=service_id,
            name=obj.text("name"),
            description=obj.text("description", ""),
            escalation_policy_id=policy_id,
            team_ids=self.known(account.teams, obj.texts("teams"), f"{where}.teams"),
            created_at=self.now,
            orchestration=empty_path("service", service_id, self.now, self.actor(account)),
            orchestration_active=obj.flag("orchestration_active", True),
            status=status,
        )
        self.settings(account, service, obj.raw.get("settings"), f"{where}.settings")
        account.services[service.id] = service
        for item, at in obj.items("integrations"):
            self.integration(account, service, item, at)
        service.orchestration = self.path(
            account, "service", service_id, obj.raw.get("orchestration"), f"{where}.orchestration"
        )

    @staticmethod
    def settings(account: Account, service: Service, raw: Any, where: str) -> None:
        """Service settings as in a `PUT /services/{id}` body, with the same validation."""
        if raw is None:
            return
        obj = _Obj(raw, where, set(SEED_SETTINGS))
        try:
            read_settings(account, service, dict(obj.raw), creating=False).apply_to(service)
        except ApiError as error:
            raise SeedError(f"{where}: {describe_error(error)}") from None

    def integration(self, account: Account, service: Service, raw: Any, where: str) -> None:
        obj = _Obj(raw, where, {"id", "type", "name", "integration_key", "integration_email"})
        kind = obj.text("type", "events_api_v2_inbound_integration")
        if kind not in INTEGRATION_TYPES:
            raise SeedError(f"{where}.type is not an integration type")
        key = obj.opt_text("integration_key")
        if key is None and kind != "generic_email_inbound_integration":
            key = ids.integration_key()
        integration = Integration(
            id=self.new_id(obj),
            type=kind,
            name=obj.text("name", "Events API v2"),
            service_id=service.id,
            created_at=self.now,
            integration_key=key,
            integration_email=obj.opt_text("integration_email"),
        )
        service.integrations[integration.id] = integration

    def orchestration(self, account: Account, raw: Any, where: str) -> None:
        obj = _Obj(
            raw,
            where,
            {"id", "name", "description", "team", "integrations", "router", "global", "unrouted"},
        )
        orchestration_id = obj.text("id") if obj.has("id") else ids.uuid_str()
        team_id = obj.opt_text("team")
        if team_id is not None:
            self.known(account.teams, [team_id], f"{where}.team")
        integrations: list[OrchestrationIntegration] = []
        for item, at in obj.items("integrations"):
            entry = _Obj(item, at, {"id", "label", "routing_key"})
            integrations.append(
                OrchestrationIntegration(
                    id=entry.text("id") if entry.has("id") else ids.uuid_str(),
                    label=entry.text("label", "Default Integration"),
                    routing_key=entry.opt_text("routing_key") or ids.orchestration_routing_key(),
                )
            )
        if not integrations:
            integrations.append(
                OrchestrationIntegration(
                    id=ids.uuid_str(),
                    label="Default Integration",
                    routing_key=ids.orchestration_routing_key(),
                )
            )
        actor = self.actor(account)
        orchestration = Orchestration(
            id=orchestration_id,
            name=obj.text("name"),
            description=obj.text("description", ""),
            team_id=team_id,
            integrations=integrations,
            created_at=self.now,
            created_by=actor,
            updated_at=self.now,
            updated_by=actor,
            version=ids.version_tag(),
            router=self.path(
                account, "router", orchestration_id, obj.raw.get("router"), f"{where}.router"
            ),
            global_=self.path(
                account, "global", orchestration_id, obj.raw.get("global"), f"{where}.global"
            ),
            unrouted=self.path(
                account, "unrouted", orchestration_id, obj.raw.get("unrouted"), f"{where}.unrouted"
            ),
        )
        account.orchestrations[orchestration.id] = orchestration

    def webhook(self, account: Account, raw: Any, where: str) -> None:
        obj = _Obj(
            raw,
            where,
            {"id", "url", "description", "events", "filter", "active", "custom_headers", "secret"},
        )
        events = obj.texts("events") if obj.has("events") else list(INCIDENT_EVENT_TYPES)
        unknown = [event for event in events if event not in WEBHOOK_EVENT_TYPES]
        if unknown or not events:
            raise SeedError(f"{where}.events must list known event types")
        filter_obj = _Obj(
            obj.raw.get("filter", {"type": "account_reference"}), f"{where}.filter", {"type", "id"}
        )
        filter_type = filter_obj.text("type")
        filter_id = filter_obj.opt_text("id")
        if filter_type == "service_reference":
            self.known(account.services, [filter_id or ""], f"{where}.filter.id")
        elif filter_type == "team_reference":
            self.known(account.teams, [filter_id or ""], f"{where}.filter.id")
        elif filter_type == "account_reference":
            filter_id = None
        else:
            raise SeedError(f"{where}.filter.type is not a filter type")
        headers = []
        for item, at in obj.items("custom_headers"):
            header = _Obj(item, at, {"name", "value"})
            headers.append(CustomHeader(name=header.text("name"), value=header.text("value", "")))
        webhook = WebhookSubscription(
            id=self.new_id(obj),
            delivery_method_id=self.state.new_id(),
            url=obj.text("url"),
            custom_headers=headers,
            secret=obj.opt_text("secret") or ids.webhook_secret(),
            description=obj.text("description", ""),
            events=events,
            filter_type=filter_type,
            filter_id=filter_id,
            active=obj.flag("active", True),
            created_at=self.now,
        )
        account.webhooks[webhook.id] = webhook

    def unique_credential(self, token: str, where: str) -> None:
        if (
            self.state.find_api_key(token)
            or self.state.find_refresh_token(token)
            or self.state.find_oauth_app(token)
        ):
            raise SeedError(f"{where}: this credential value is already in use")

    def api_key(self, account: Account, raw: Any, where: str) -> None:
        obj = _Obj(raw, where, {"label", "token", "read_only", "user"})
        token = obj.text("token")
        self.unique_credential(token, where)
        user_id = obj.opt_text("user")
        if user_id is not None:
            self.known(account.users, [user_id], f"{where}.user")
        account.api_keys.append(
            ApiKey(
                label=obj.text("label"),
                token=token,
                read_only=obj.flag("read_only", False),
                user_id=user_id,
            )
        )

    def oauth_app(self, account: Account, raw: Any, where: str) -> None:
        obj = _Obj(raw, where, {"name", "client_id", "client_secret", "scopes"})
        client_id = obj.text("client_id")
        self.unique_credential(client_id, where)
        account.oauth_apps.append(
            OAuthApp(
                name=obj.text("name"),
                client_id=client_id,
                client_secret=obj.text("client_secret"),
                scopes=frozenset(obj.texts("scopes")),
            )
        )

    def refresh_token(self, account: Account, raw: Any, where: str) -> None:
        obj = _Obj(raw, where, {"token", "client_id", "user", "scopes"})
        token = obj.text("token")
        self.unique_credential(token, where)
        client_id = obj.text("client_id")
        if not any(app.client_id == client_id for app in account.oauth_apps):
            raise SeedError(f"{where}.client_id names no OAuth app of this account")
        user_id = obj.text("user")
        self.known(account.users, [user_id], f"{where}.user")
        account.refresh_tokens.append(
            RefreshToken(
                token=token,
                client_id=client_id,
                user_id=user_id,
                scopes=frozenset(obj.texts("scopes")),
                expires_at=self.state.clock.time() + self.state.config.refresh_token_ttl_seconds,
            )
        )


def apply_seed(state: SimulatorState, document: Mapping[str, Any]) -> list[str]:
    """Add a seed document to `state`; returns the subdomains it touched."""
    root = _Obj(document, "seed", {"accounts"})
    applier = _Applier(state)
    try:
        return [applier.account(item, at).subdomain for item, at in root.items("accounts")]
    finally:
        state.forget_known_ids()


def apply_seed_checked(state: SimulatorState, document: Mapping[str, Any]) -> list[str]:
    """Apply a seed only if all of it applies: it is tried on a copy of the accounts first."""
    scratch = SimulatorState(state.config, state.clock)
    scratch.accounts = copy.deepcopy(state.accounts)
    apply_seed(scratch, document)
    return apply_seed(state, document)


def _check_root(document: Any, source: str) -> Mapping[str, Any]:
    if not isinstance(document, Mapping):
        raise SeedError(f"{source}: a seed document must be a mapping with 'accounts'")
    return document


def _validate(document: Any, source: str) -> Seed:
    from pagerduty_simulator.config import SimulatorConfig

    checked = _check_root(document, source)
    apply_seed(SimulatorState(SimulatorConfig()), checked)
    return Seed(document=checked, source=source)


def _parse(text: str, source: str) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as error:
        raise SeedError(f"{source}: not valid YAML/JSON ({error.__class__.__name__})") from None


def parse_seed_text(text: str, source: str = "<text>", *, validate: bool = True) -> Seed:
    """Parse a YAML (or JSON) seed document and validate it against an empty simulator."""
    document = _parse(text, source)
    if validate:
        return _validate(document, source)
    return Seed(document=_check_root(document, source), source=source)


def load_seed(source: str | Path | Mapping[str, Any]) -> Seed:
    """Load a seed from a file path (YAML or JSON) or a mapping, and validate it."""
    if isinstance(source, Mapping):
        return _validate(json.loads(json.dumps(source)), "<mapping>")
    path = Path(source)
    return parse_seed_text(path.read_text(encoding="utf-8"), str(path))


@functools.cache
def default_seed() -> Seed:
    """The seed packaged with the simulator (see docs/simulator.md; a test applies it)."""
    text = resources.files(__package__).joinpath(DEFAULT_SEED_RESOURCE).read_text("utf-8")
    return Seed(document=_check_root(_parse(text, DEFAULT_SEED_RESOURCE), DEFAULT_SEED_RESOURCE))

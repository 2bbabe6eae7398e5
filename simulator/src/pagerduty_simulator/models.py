"""The simulated PagerDuty objects, one dataclass per kind.

Fields that hold secrets (tokens, client secrets, signing secrets, routing keys, custom header
values, delivery URLs that may carry basic-auth credentials) are excluded from reprs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Region = Literal["us", "eu"]
PathKind = Literal["router", "global", "unrouted", "service"]
JSON = dict[str, Any]


@dataclass
class User:
    id: str
    name: str
    email: str
    role: str = "admin"
    time_zone: str = "Etc/UTC"
    team_ids: list[str] = field(default_factory=list)


@dataclass
class Team:
    id: str
    name: str
    description: str = ""


@dataclass
class EscalationPolicy:
    id: str
    name: str
    description: str = ""
    team_ids: list[str] = field(default_factory=list)
    user_ids: list[str] = field(default_factory=list)


@dataclass
class Priority:
    id: str
    name: str
    description: str = ""


@dataclass
class Integration:
    id: str
    type: str
    name: str
    service_id: str
    created_at: str
    integration_key: str | None = field(default=None, repr=False)
    integration_email: str | None = None


@dataclass
class Rule:
    id: str
    label: str | None
    conditions: list[JSON]
    actions: JSON
    disabled: bool = False


@dataclass
class RuleSet:
    id: str
    rules: list[Rule] = field(default_factory=list)


@dataclass
class OrchestrationPath:
    kind: PathKind
    parent_id: str
    sets: list[RuleSet]
    catch_all: JSON
    created_at: str
    created_by: str | None
    updated_at: str
    updated_by: str | None
    version: str


@dataclass
class Service:
    id: str
    name: str
    description: str
    escalation_policy_id: str
    team_ids: list[str]
    created_at: str
    orchestration: OrchestrationPath
    orchestration_active: bool = True
    status: str = "active"
    auto_resolve_timeout: int | None = 14400
    acknowledgement_timeout: int | None = 1800
    last_incident_timestamp: str | None = None
    integrations: dict[str, Integration] = field(default_factory=dict)
    incident_urgency_rule: JSON = field(
        default_factory=lambda: {"type": "constant", "urgency": "high"}
    )
    support_hours: JSON | None = None
    scheduled_actions: list[JSON] = field(default_factory=list)
    alert_creation: str = "create_alerts_and_incidents"
    alert_grouping_parameters: JSON = field(default_factory=lambda: {"type": None})
    auto_pause_notifications_parameters: JSON = field(
        default_factory=lambda: {"enabled": False, "timeout": 0}
    )


@dataclass
class OrchestrationIntegration:
    id: str
    label: str
    routing_key: str = field(repr=False)


@dataclass
class Orchestration:
    id: str
    name: str
    description: str
    team_id: str | None
    integrations: list[OrchestrationIntegration]
    created_at: str
    created_by: str | None
    updated_at: str
    updated_by: str | None
    version: str
    router: OrchestrationPath
    global_: OrchestrationPath
    unrouted: OrchestrationPath


@dataclass
class CustomHeader:
    name: str
    value: str = field(repr=False)


@dataclass
class WebhookSubscription:
    id: str
    delivery_method_id: str
    url: str = field(repr=False)
    custom_headers: list[CustomHeader] = field(repr=False)
    secret: str = field(repr=False)
    description: str
    events: list[str]
    filter_type: str
    filter_id: str | None
    active: bool = True
    temporarily_disabled: bool = False
    consecutive_drops: int = 0
    created_at: str = ""


@dataclass
class Incident:
    id: str
    number: int
    title: str
    service_id: str
    status: str
    urgency: str
    created_at: str
    incident_key: str
    priority_id: str | None = None
    routing_key: str | None = field(default=None, repr=False)
    resolved_at: str | None = None
    last_status_change_at: str = ""
    last_status_change_by: str | None = None
    opened_at_ts: float = 0.0
    """Simulator-clock seconds when the incident was triggered or last reopened."""
    acknowledged_at_ts: float | None = None
    """Simulator-clock seconds of the acknowledgement the acknowledgement timeout counts from."""
    alert_keys: dict[str, str] = field(default_factory=dict)
    """The dedup keys of the incident's alerts (time-based grouping adds more) and their status."""


@dataclass
class ApiKey:
    label: str
    token: str = field(repr=False)
    read_only: bool = False
    user_id: str | None = None


@dataclass
class OAuthApp:
    name: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: frozenset[str] = frozenset()


@dataclass
class AccessToken:
    token: str = field(repr=False)
    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    issued_at: float
    expires_at: float


@dataclass
class RefreshToken:
    token: str = field(repr=False)
    client_id: str
    user_id: str
    scopes: frozenset[str]
    expires_at: float


@dataclass
class Account:
    id: str
    subdomain: str
    region: Region
    name: str
    abilities: list[str] = field(default_factory=list)
    disabled_features: list[str] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    escalation_policies: dict[str, EscalationPolicy] = field(default_factory=dict)
    priorities: list[Priority] = field(default_factory=list)
    services: dict[str, Service] = field(default_factory=dict)
    orchestrations: dict[str, Orchestration] = field(default_factory=dict)
    webhooks: dict[str, WebhookSubscription] = field(default_factory=dict)
    incidents: dict[str, Incident] = field(default_factory=dict)
    api_keys: list[ApiKey] = field(default_factory=list)
    oauth_apps: list[OAuthApp] = field(default_factory=list)
    refresh_tokens: list[RefreshToken] = field(default_factory=list)
    access_tokens: list[AccessToken] = field(default_factory=list)
    incident_counter: int = 0

    @property
    def owner_id(self) -> str | None:
        """The user PagerDuty would name as the actor of account-level API calls."""
        for user in self.users.values():
            if user.role == "owner":
                return user.id
        return next(iter(self.users), None)

    def web_base(self) -> str:
        """The account's web app origin (`html_url` prefix)."""
        if self.region == "eu":
            return f"https://{self.subdomain}.eu.pagerduty.com"
        return f"https://{self.subdomain}.pagerduty.com"

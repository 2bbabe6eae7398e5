"""PagerDutyIntegration spec and status models, mirroring its CRD in crds/."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from pagerduty_operator.models.common import (
    KindStatus,
    ManagementPolicy,
    ObjectName,
    PagerDutyId,
    Region,
    SecretKeyRef,
    SecretRef,
    SpecModel,
    StatusModel,
    list_type,
    unique_set,
)

OAuthScope = Annotated[
    str, StringConstraints(max_length=64, pattern=r"^[a-z_]+(:[a-z_]+)?\.(read|write)$")
]
Subdomain = Annotated[
    str, StringConstraints(min_length=1, max_length=63, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
]
AuthMethod = Literal["APIKey", "OAuthClientCredentials", "OAuthUserToken", "RoutingKey"]
ScopeCheck = Literal["granted", "missing", "unknown"]

DEFAULT_EVENTS_INTEGRATION_NAME = "Kubernetes (pagerduty-operator)"
ROUTING_KEY_SECRET_KEY = "routingKey"
"""The key under which the operator publishes an events integration's routing key."""


class OAuthCredentials(SpecModel):
    """An OAuth app: client-credentials grant (``subdomain``) or user token (``tokenSecretRef``)."""

    client_id: SecretKeyRef
    client_secret: SecretKeyRef | None = None
    subdomain: Subdomain | None = None
    scopes: (
        Annotated[
            list[OAuthScope],
            Field(max_length=100),
            list_type("set"),
            unique_set("scope"),
        ]
        | None
    ) = None
    token_secret_ref: SecretRef | None = None

    @model_validator(mode="after")
    def _one_grant(self) -> OAuthCredentials:
        if (self.subdomain is None) == (self.token_secret_ref is None):
            raise ValueError(
                "oauth: exactly one of subdomain (client-credentials grant) or tokenSecretRef "
                "(user token) must be set"
            )
        if self.scopes is not None and self.subdomain is None:
            raise ValueError("oauth.scopes: apply only to the client-credentials grant (subdomain)")
        if self.token_secret_ref is None and self.client_secret is None:
            raise ValueError("oauth.clientSecret: required for the client-credentials grant")
        return self

    @property
    def grant(self) -> Literal["client_credentials", "user_token"]:
        """Which OAuth grant these credentials use."""
        return "user_token" if self.token_secret_ref is not None else "client_credentials"


class Credentials(SpecModel):
    """How the operator authenticates: at least one credential, at most one of apiKey/oauth."""

    api_key: SecretKeyRef | None = None
    routing_key: SecretKeyRef | None = None
    oauth: OAuthCredentials | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> Credentials:
        if self.api_key is None and self.routing_key is None and self.oauth is None:
            raise ValueError("credentials: at least one of apiKey, routingKey or oauth must be set")
        if self.api_key is not None and self.oauth is not None:
            raise ValueError("credentials: apiKey and oauth are mutually exclusive; set only one")
        return self

    @property
    def has_rest_credentials(self) -> bool:
        """Whether these credentials give REST API access (an API key or OAuth)."""
        return self.api_key is not None or self.oauth is not None


class EventsIntegrationSpec(SpecModel):
    """An Events API v2 integration to ensure on a service; its routing key goes to a Secret."""

    service_id: PagerDutyId | None = None
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)] = (
        DEFAULT_EVENTS_INTEGRATION_NAME
    )
    secret_name: ObjectName


class IntegrationSpec(SpecModel):
    """``PagerDutyIntegration.spec``."""

    region: Region = "us"
    service_id: PagerDutyId | None = None
    credentials: Credentials
    events_integration: EventsIntegrationSpec | None = None
    management_policy: ManagementPolicy = "Manage"

    @model_validator(mode="after")
    def _events_integration(self) -> IntegrationSpec:
        events = self.events_integration
        if events is None:
            return self
        if events.service_id is None and self.service_id is None:
            raise ValueError("eventsIntegration.serviceId: required when spec.serviceId is not set")
        if (
            self.service_id is not None
            and events.service_id is not None
            and events.service_id != self.service_id
        ):
            raise ValueError(
                "eventsIntegration.serviceId: must equal spec.serviceId "
                "on a service-scoped integration"
            )
        if not self.credentials.has_rest_credentials:
            raise ValueError(
                "eventsIntegration: needs REST API credentials "
                "(credentials.apiKey or credentials.oauth)"
            )
        return self

    @property
    def events_service_id(self) -> str | None:
        """The service that the events integration goes on, after defaulting."""
        if self.events_integration is None:
            return None
        return self.events_integration.service_id or self.service_id


class ServiceInfo(StatusModel):
    """The service an integration is confined to."""

    id: Annotated[str, StringConstraints(max_length=32)] | None = None
    name: Annotated[str, StringConstraints(max_length=255)] | None = None


class ScopeChecks(StatusModel):
    """The result of checking each capability the operator needs."""

    incidents_read: ScopeCheck | None = Field(default=None, alias="incidents_read")
    incidents_write: ScopeCheck | None = Field(default=None, alias="incidents_write")
    services_read: ScopeCheck | None = Field(default=None, alias="services_read")
    services_write: ScopeCheck | None = Field(default=None, alias="services_write")
    webhook_subscriptions_read: ScopeCheck | None = Field(
        default=None, alias="webhook_subscriptions_read"
    )
    webhook_subscriptions_write: ScopeCheck | None = Field(
        default=None, alias="webhook_subscriptions_write"
    )
    event_orchestrations_read: ScopeCheck | None = Field(
        default=None, alias="event_orchestrations_read"
    )
    event_orchestrations_write: ScopeCheck | None = Field(
        default=None, alias="event_orchestrations_write"
    )


class EventsIntegrationStatus(StatusModel):
    """The Events API v2 integration the operator ensured."""

    id: Annotated[str, StringConstraints(max_length=64)] | None = None
    service_id: Annotated[str, StringConstraints(max_length=32)] | None = None
    secret_name: Annotated[str, StringConstraints(max_length=253)] | None = None


class IntegrationStatus(KindStatus):
    """``PagerDutyIntegration.status``."""

    auth_method: AuthMethod | None = None
    account: Annotated[str, StringConstraints(max_length=63)] | None = None
    service: ServiceInfo | None = None
    token_expires_at: datetime | None = None
    scopes: ScopeChecks | None = None
    events_integration: EventsIntegrationStatus | None = None


__all__ = [
    "DEFAULT_EVENTS_INTEGRATION_NAME",
    "ROUTING_KEY_SECRET_KEY",
    "AuthMethod",
    "Credentials",
    "EventsIntegrationSpec",
    "EventsIntegrationStatus",
    "IntegrationSpec",
    "IntegrationStatus",
    "OAuthCredentials",
    "ScopeCheck",
    "ScopeChecks",
    "ServiceInfo",
]

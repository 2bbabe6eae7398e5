"""PagerDutyWebhook spec and status models, mirroring its CRD in crds/."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from pagerduty_operator.models.common import (
    DeletionPolicy,
    IntegrationRef,
    KindStatus,
    ManagementPolicy,
    ObjectName,
    PagerDutyId,
    SecretDataKey,
    SecretKeyRef,
    SpecModel,
    StatusModel,
    list_type,
    unique_by,
    unique_set,
)

"""Set this annotation to any new value to have the operator ping the subscription once."""

_UNRESERVED = r"A-Za-z0-9._~!$&'()*+,;=:-"
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
URL_PATTERN = (
    rf"^https?://(([{_UNRESERVED}]|%[0-9A-Fa-f]{{2}})+@)?"
    rf"{_LABEL}(\.{_LABEL})*(:[0-9]{{1,5}})?"
    rf"([/?]([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{{2}})*)?$"
)
"""An absolute http(s) URL: lowercase scheme, host name, optional userinfo, port, path and query."""

HEADER_NAME_PATTERN = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"

WebhookEventType = Literal[
    "incident.acknowledged",
    "incident.action_invocation.created",
    "incident.action_invocation.terminated",
    "incident.action_invocation.updated",
    "incident.annotated",
    "incident.conference_bridge.updated",
    "incident.custom_field_values.updated",
    "incident.delegated",
    "incident.escalated",
    "incident.incident_type.changed",
    "incident.priority_updated",
    "incident.reassigned",
    "incident.reopened",
    "incident.resolved",
    "incident.responder.added",
    "incident.responder.replied",
    "incident.role.assigned",
    "incident.service_updated",
    "incident.status_update_published",
    "incident.task.completed",
    "incident.task.created",
    "incident.task.updated",
    "incident.triggered",
    "incident.unacknowledged",
    "incident.workflow.completed",
    "incident.workflow.started",
    "service.created",
    "service.custom_field_values.updated",
    "service.deleted",
    "service.updated",
]
"""Every v3 event type a subscription may name (pagey.ping is sent by the ping endpoint only)."""

WEBHOOK_EVENT_TYPES: tuple[WebhookEventType, ...] = get_args(WebhookEventType)

DEFAULT_WEBHOOK_EVENTS: tuple[WebhookEventType, ...] = tuple(
    e for e in WEBHOOK_EVENT_TYPES if e.startswith("incident.") and ".workflow." not in e
)
"""The default: every incident.* type that needs only the incidents.read scope."""

ScopeType = Literal["account", "service", "team"]


class WebhookScope(SpecModel):
    """What a subscription receives events for: the account, or one service or team."""

    type: ScopeType
    id: PagerDutyId | None = None

    @model_validator(mode="after")
    def _id_matches_type(self) -> WebhookScope:
        if self.type == "account" and self.id is not None:
            raise ValueError("scope.id: must not be set when type is account")
        if self.type != "account" and self.id is None:
            raise ValueError("scope.id: required when type is service or team")
        return self


class CustomHeader(SpecModel):
    """One extra HTTP header of the deliveries: a clear ``value`` or a ``valueFrom`` Secret."""

    name: Annotated[
        str, StringConstraints(min_length=1, max_length=256, pattern=HEADER_NAME_PATTERN)
    ]
    value: Annotated[str, StringConstraints(max_length=4096, pattern=r"^[^\r\n]*$")] | None = None
    value_from: SecretKeyRef | None = None

    @model_validator(mode="after")
    def _one_source(self) -> CustomHeader:
        if (self.value is None) == (self.value_from is None):
            raise ValueError(
                f"customHeaders[{self.name}]: exactly one of value or valueFrom must be set"
            )
        return self


def _header_name_lower(header: CustomHeader) -> str:
    return header.name.lower()


class SigningSecretRef(SpecModel):
    """The Secret (owned by the webhook) where the operator stores the signing secret."""

    name: ObjectName
    key: SecretDataKey = "signingSecret"


class WebhookSpec(SpecModel):
    """``PagerDutyWebhook.spec``."""

    integration_ref: IntegrationRef
    url: Annotated[str, StringConstraints(min_length=1, max_length=2048, pattern=URL_PATTERN)]
    allow_insecure_url: bool = False
    scope: WebhookScope | None = None
    events: Annotated[
        list[WebhookEventType],
        Field(min_length=1, max_length=64),
        list_type("set"),
        unique_set("event type"),
    ] = list(DEFAULT_WEBHOOK_EVENTS)
    description: Annotated[str, StringConstraints(max_length=512)] | None = None
    active: bool = True
    custom_headers: (
        Annotated[
            list[CustomHeader],
            Field(max_length=10),
            list_type("map", ["name"]),
            AfterValidator(unique_by(_header_name_lower, "header name (ignoring case)")),
        ]
        | None
    ) = None
    signing_secret_ref: SigningSecretRef
    rotate_signing_secret: bool = False
    adopt_id: PagerDutyId | None = None
    deletion_policy: DeletionPolicy = "Delete"
    management_policy: ManagementPolicy = "Manage"

    @model_validator(mode="after")
    def _cross_field(self) -> WebhookSpec:
        if not self.allow_insecure_url and not self.url.startswith("https://"):
            raise ValueError(
                "url: must use https; set allowInsecureUrl to true to deliver over plain http"
            )
        if self.rotate_signing_secret and self.management_policy == "Observe":
            raise ValueError(
                "rotateSigningSecret: replaces the subscription, "
                "which managementPolicy Observe never does"
            )
        return self


class StatusScope(StatusModel):
    """The scope a subscription actually has."""

    type: ScopeType | None = None
    id: Annotated[str, StringConstraints(max_length=32)] | None = None


class HeldSecret(StatusModel):
    """Where the signing secret is held."""

    name: Annotated[str, StringConstraints(max_length=253)] | None = None
    key: Annotated[str, StringConstraints(max_length=253)] | None = None


class PingResult(StatusModel):
    """The last ping requested with the ping annotation."""

    annotation: Annotated[str, StringConstraints(max_length=256)] | None = None
    time: datetime | None = None
    result: Literal["Accepted", "Failed"] | None = None
    message: Annotated[str, StringConstraints(max_length=1024)] | None = None


class WebhookStatus(KindStatus):
    """``PagerDutyWebhook.status``."""

    subscription_id: Annotated[str, StringConstraints(max_length=32)] | None = None
    scope: StatusScope | None = None
    signing_secret: HeldSecret | None = None
    last_ping: PingResult | None = None

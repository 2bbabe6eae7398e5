"""What a PagerDutyWebhook wants in PagerDuty, and how an existing subscription differs.

The operator marks each subscription it manages with a suffix in the description that PagerDuty
keeps (`[k8s:<namespace>/<name>]`), so it can find its own subscription again after a crash or a
create whose outcome was unknown, instead of creating a duplicate.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass

from pagerduty_operator.kube import Kube
from pagerduty_operator.models.reasons import Problem, SharedReason
from pagerduty_operator.models.webhook import WebhookSpec
from pagerduty_operator.pagerduty.resources.webhooks import (
    CustomHeader,
    NewWebhookSubscription,
    WebhookFilter,
    WebhookSubscription,
    WebhookSubscriptionUpdate,
)

DEFAULT_DESCRIPTION = "Managed by pagerduty-operator"
MARKER_RE = re.compile(r"\[k8s:([a-z0-9.-]+)/([a-z0-9.-]+)\]\s*$")


def marker(namespace: str, name: str) -> str:
    return f"[k8s:{namespace}/{name}]"


def marker_of(subscription: WebhookSubscription) -> tuple[str, str] | None:
    """The (namespace, name) a subscription is marked with, if any."""
    match = MARKER_RE.search(subscription.description or "")
    return (match.group(1), match.group(2)) if match else None


class ScopeNotAllowed(Problem):
    """The webhook asks for a scope its integration does not allow."""


def effective_scope(spec: WebhookSpec, integration_service_id: str | None) -> WebhookFilter:
    """The filter from `spec.scope`, defaulting to the integration's service, else the account."""
    scope = spec.scope
    if scope is None:
        if integration_service_id:
            return WebhookFilter.service(integration_service_id)
        return WebhookFilter.account()
    if integration_service_id and (scope.type != "service" or scope.id != integration_service_id):
        where = f"{scope.type} {scope.id}" if scope.id else scope.type
        raise ScopeNotAllowed(
            SharedReason.SCOPE_NOT_ALLOWED,
            f"spec.scope: the integration is limited to service {integration_service_id}; "
            f"scope {where} is not allowed (remove spec.scope or use that service)",
        )
    if scope.type == "account":
        return WebhookFilter.account()
    if scope.type == "team":
        return WebhookFilter.team(scope.id or "")
    return WebhookFilter.service(scope.id or "")


async def resolve_headers(kube: Kube, namespace: str, spec: WebhookSpec) -> list[CustomHeader]:
    """Header values, reading `valueFrom` Secrets (raises `SecretProblem` naming the Secret)."""
    headers: list[CustomHeader] = []
    for header in spec.custom_headers or []:
        if header.value_from is not None:
            ref = header.value_from.secret_key_ref
            value, _ = await kube.read_secret_value(namespace, ref.name, ref.key)
        else:
            value = header.value or ""
        headers.append(CustomHeader.model_validate({"name": header.name, "value": value}))
    return headers


def headers_digest(headers: list[CustomHeader], key: str) -> str:
    """A keyed digest of header names and values, to notice a changed value PagerDuty hides."""
    canonical = json.dumps(
        sorted((h.name.lower(), h.value.get_secret_value()) for h in headers)
    ).encode()
    return hmac.new(key.encode(), canonical, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class DesiredSubscription:
    """The subscription one PagerDutyWebhook wants."""

    url: str
    scope: WebhookFilter
    events: tuple[str, ...]
    description: str
    active: bool
    headers: tuple[CustomHeader, ...]

    @classmethod
    def build(
        cls,
        spec: WebhookSpec,
        namespace: str,
        name: str,
        scope: WebhookFilter,
        headers: list[CustomHeader],
    ) -> DesiredSubscription:
        base = (spec.description or DEFAULT_DESCRIPTION).strip()
        return cls(
            url=spec.url,
            scope=scope,
            events=tuple(sorted(spec.events)),
            description=f"{base} {marker(namespace, name)}",
            active=spec.active,
            headers=tuple(headers),
        )

    def for_create(self) -> NewWebhookSubscription:
        return NewWebhookSubscription(
            url=self.url,
            events=list(self.events),
            filter=self.scope,
            description=self.description,
            active=self.active,
            custom_headers=list(self.headers),
        )

    def header_names(self) -> list[str]:
        return sorted(h.name.lower() for h in self.headers)

    def is_same_endpoint(self, actual: WebhookSubscription) -> bool:
        """Same URL and filter: the identity used to adopt an unmarked subscription."""
        return actual.url == self.url and actual.filter == self.scope

    def replacement_reasons(self, actual: WebhookSubscription) -> list[str]:
        """What PagerDuty cannot change in place (a new subscription is needed)."""
        reasons = []
        if actual.url != self.url:
            reasons.append("url")
        actual_names = sorted(h.name.lower() for h in actual.delivery_method.custom_headers)
        if actual_names != self.header_names():
            reasons.append("customHeaders")
        return reasons

    def in_place_changes(self, actual: WebhookSubscription) -> WebhookSubscriptionUpdate | None:
        """The fields PagerDuty can change in place that differ, or None when all match."""
        change: dict[str, object] = {}
        if (actual.description or "") != self.description:
            change["description"] = self.description
        if sorted(actual.events) != list(self.events):
            change["events"] = list(self.events)
        if actual.filter != self.scope:
            change["filter"] = self.scope
        if actual.active != self.active:
            change["active"] = self.active
        return WebhookSubscriptionUpdate.model_validate(change) if change else None

    def drift(self, actual: WebhookSubscription) -> list[str]:
        """Names of every field that differs (for Observe, which never writes the marker).

        The description is compared without the marker: a subscription the operator only
        observes never carries it.
        """
        fields = self.replacement_reasons(actual)
        change = self.in_place_changes(actual)
        if change is not None:
            fields += [k for k, v in change.model_dump().items() if v is not None]
        if "description" in fields and _unmarked(actual.description) == _unmarked(self.description):
            fields.remove("description")
        return fields


def _unmarked(description: str | None) -> str:
    return MARKER_RE.sub("", description or "").strip()

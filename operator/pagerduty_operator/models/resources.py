"""The custom resource kinds, each tied to its names and its spec and status models."""

from __future__ import annotations

from dataclasses import dataclass

from pagerduty_operator.models.common import SpecModel, StatusModel
from pagerduty_operator.models.identity import API_VERSION, CATEGORY, FINALIZER, GROUP, VERSION
from pagerduty_operator.models.incident_rule import IncidentRuleSpec, IncidentRuleStatus
from pagerduty_operator.models.integration import IntegrationSpec, IntegrationStatus
from pagerduty_operator.models.webhook import WebhookSpec, WebhookStatus

__all__ = [
    "API_VERSION",
    "CATEGORY",
    "FINALIZER",
    "GROUP",
    "INCIDENT_RULE",
    "INTEGRATION",
    "KINDS",
    "VERSION",
    "WEBHOOK",
    "ResourceKind",
    "kind_named",
]


@dataclass(frozen=True)
class ResourceKind:
    """One custom resource kind: its names and the models of its spec and status."""

    kind: str
    plural: str
    short_name: str
    spec_model: type[SpecModel]
    status_model: type[StatusModel]

    @property
    def singular(self) -> str:
        """The lowercase singular name, e.g. ``pagerdutywebhook``."""
        return self.kind.lower()

    @property
    def crd_name(self) -> str:
        """The CustomResourceDefinition's name, ``<plural>.<group>``."""
        return f"{self.plural}.{GROUP}"


INTEGRATION = ResourceKind(
    kind="PagerDutyIntegration",
    plural="pagerdutyintegrations",
    short_name="pdi",
    spec_model=IntegrationSpec,
    status_model=IntegrationStatus,
)
WEBHOOK = ResourceKind(
    kind="PagerDutyWebhook",
    plural="pagerdutywebhooks",
    short_name="pdwh",
    spec_model=WebhookSpec,
    status_model=WebhookStatus,
)
INCIDENT_RULE = ResourceKind(
    kind="PagerDutyIncidentRule",
    plural="pagerdutyincidentrules",
    short_name="pdir",
    spec_model=IncidentRuleSpec,
    status_model=IncidentRuleStatus,
)
KINDS: tuple[ResourceKind, ...] = (INTEGRATION, WEBHOOK, INCIDENT_RULE)


def kind_named(kind: str) -> ResourceKind:
    """The ResourceKind whose ``kind`` is ``kind``; KeyError if none."""
    for candidate in KINDS:
        if candidate.kind == kind:
            return candidate
    raise KeyError(kind)

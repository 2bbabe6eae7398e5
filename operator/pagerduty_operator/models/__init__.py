"""Pydantic models of the three custom resources' spec and status, kept in step with ``crds/``.

Parse a spec from the cluster with ``WebhookSpec.model_validate(body["spec"])`` (camelCase keys);
dump it back with ``model_dump(mode="json", exclude_none=True)`` (camelCase by default).
"""

from pagerduty_operator.models.common import Condition, SecretKeyRef, SecretKeySelector
from pagerduty_operator.models.identity import PING_ANNOTATION
from pagerduty_operator.models.incident_rule import IncidentRuleSpec, IncidentRuleStatus
from pagerduty_operator.models.integration import IntegrationSpec, IntegrationStatus
from pagerduty_operator.models.resources import (
    API_VERSION,
    FINALIZER,
    GROUP,
    INCIDENT_RULE,
    INTEGRATION,
    KINDS,
    VERSION,
    WEBHOOK,
    ResourceKind,
    kind_named,
)
from pagerduty_operator.models.webhook import WebhookSpec, WebhookStatus

__all__ = [
    "API_VERSION",
    "FINALIZER",
    "GROUP",
    "INCIDENT_RULE",
    "INTEGRATION",
    "KINDS",
    "PING_ANNOTATION",
    "VERSION",
    "WEBHOOK",
    "Condition",
    "IncidentRuleSpec",
    "IncidentRuleStatus",
    "IntegrationSpec",
    "IntegrationStatus",
    "ResourceKind",
    "SecretKeyRef",
    "SecretKeySelector",
    "WebhookSpec",
    "WebhookStatus",
    "kind_named",
]

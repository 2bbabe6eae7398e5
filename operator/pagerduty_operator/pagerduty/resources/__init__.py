"""Typed access to the PagerDuty resources the operator manages, one module per resource."""

from .abilities import Abilities
from .orchestrations import (
    EventOrchestrations,
    OrchestrationPath,
    OrchestrationRule,
    OrchestrationSet,
    OrchestrationWarning,
    PathKind,
    PathUpdate,
)
from .priorities import Priorities, Priority
from .services import Integration, Reference, Service, ServiceIntegrations, Services
from .users import User, Users
from .webhooks import (
    CustomHeader,
    DeliveryMethod,
    FilterType,
    NewWebhookSubscription,
    WebhookFilter,
    WebhookSubscription,
    WebhookSubscriptions,
    WebhookSubscriptionUpdate,
)

__all__ = [
    "Abilities",
    "CustomHeader",
    "DeliveryMethod",
    "EventOrchestrations",
    "FilterType",
    "Integration",
    "NewWebhookSubscription",
    "OrchestrationPath",
    "OrchestrationRule",
    "OrchestrationSet",
    "OrchestrationWarning",
    "PathKind",
    "PathUpdate",
    "Priorities",
    "Priority",
    "Reference",
    "Service",
    "ServiceIntegrations",
    "Services",
    "User",
    "Users",
    "WebhookFilter",
    "WebhookSubscription",
    "WebhookSubscriptionUpdate",
    "WebhookSubscriptions",
]

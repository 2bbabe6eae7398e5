"""kopf handlers, one module per kind; `register_all` attaches them to a registry."""

from __future__ import annotations

import kopf

from pagerduty_operator.config import OperatorConfig
from pagerduty_operator.handlers import incident_rule, integration, secrets, webhook


def register_all(registry: kopf.OperatorRegistry, config: OperatorConfig) -> None:
    """Attach the handlers of every kind, and the Secret watch, to `registry`."""
    integration.register(registry, config)
    webhook.register(registry, config)
    incident_rule.register(registry, config)
    secrets.register(registry)

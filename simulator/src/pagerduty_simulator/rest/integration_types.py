"""Service integration types the REST API accepts, and which of them carry an integration key."""

from __future__ import annotations

INTEGRATION_TYPES: frozenset[str] = frozenset(
    {
        "aws_cloudwatch_inbound_integration",
        "cloudkick_inbound_integration",
        "event_transformer_api_inbound_integration",
        "generic_email_inbound_integration",
        "generic_events_api_inbound_integration",
        "keynote_inbound_integration",
        "nagios_inbound_integration",
        "pingdom_inbound_integration",
        "sql_monitor_inbound_integration",
        "events_api_v2_inbound_integration",
    }
)
EVENTS_V2_TYPE = "events_api_v2_inbound_integration"

"""The operator's webhook event types against the simulator's own list from PagerDuty's docs.

The simulator refuses a subscription naming an event type PagerDuty does not document, as
PagerDuty does; its list (pagerduty_simulator.event_types) is written from the developer docs,
not taken from the operator. So a type the operator's CRD accepts but PagerDuty would refuse, or
one PagerDuty documents that the CRD rejects, shows up here.
"""

from __future__ import annotations

from pagerduty_operator.models.webhook import DEFAULT_WEBHOOK_EVENTS, WEBHOOK_EVENT_TYPES
from pagerduty_simulator.event_types import (
    INCIDENT_EVENT_TYPES,
    SERVICE_EVENT_TYPES,
)
from pagerduty_simulator.event_types import (
    WEBHOOK_EVENT_TYPES as DOCUMENTED,
)


def test_the_operator_accepts_exactly_the_documented_event_types() -> None:
    assert set(WEBHOOK_EVENT_TYPES) - DOCUMENTED == set(), "PagerDuty would refuse these"
    assert DOCUMENTED - set(WEBHOOK_EVENT_TYPES) == set(), "the CRD rejects documented types"
    assert len(WEBHOOK_EVENT_TYPES) == len(set(WEBHOOK_EVENT_TYPES))


def test_the_operators_default_events_are_documented_incident_events() -> None:
    assert set(DEFAULT_WEBHOOK_EVENTS) <= set(INCIDENT_EVENT_TYPES)


def test_the_simulators_list_is_partitioned_by_resource() -> None:
    assert all(e.startswith("incident.") for e in INCIDENT_EVENT_TYPES)
    assert all(e.startswith("service.") for e in SERVICE_EVENT_TYPES)
    assert len(DOCUMENTED) == len(INCIDENT_EVENT_TYPES) + len(SERVICE_EVENT_TYPES) == 30
    assert "pagey.ping" not in DOCUMENTED

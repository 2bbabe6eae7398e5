"""The reconcile metrics the handlers record; `runtime.metrics` serves them with the client's."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

RECONCILES = Counter(
    "pagerduty_operator_reconciles",
    "Reconciles by kind and result (ok, failed, transient).",
    ["kind", "result"],
    registry=REGISTRY,
)
RECONCILE_SECONDS = Histogram(
    "pagerduty_operator_reconcile_duration_seconds",
    "Duration of one reconcile by kind.",
    ["kind"],
    registry=REGISTRY,
)
CHANGES = Counter(
    "pagerduty_operator_pagerduty_changes",
    "Changes made in PagerDuty by kind and action (Created, Updated, Replaced, Deleted ...).",
    ["kind", "action"],
    registry=REGISTRY,
)
DRIFT_CORRECTIONS = Counter(
    "pagerduty_operator_drift_corrections",
    "Changes made in PagerDuty by a periodic resync (PagerDuty had drifted from the spec).",
    ["kind"],
    registry=REGISTRY,
)

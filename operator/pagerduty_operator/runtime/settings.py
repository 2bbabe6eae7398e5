"""kopf settings decided once: finalizer, bookkeeping in annotations under our group, events."""

from __future__ import annotations

import logging

import kopf

from pagerduty_operator.config import OperatorConfig
from pagerduty_operator.models.identity import FINALIZER, GROUP, KOPF_STATE_KEY


def configure_kopf(settings: kopf.OperatorSettings, config: OperatorConfig) -> None:
    """Apply the operator's choices to kopf's settings object."""
    settings.persistence.finalizer = FINALIZER
    # kopf's own bookkeeping goes into annotations under our group, never into status:
    # status is the public API of each resource.
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key=KOPF_STATE_KEY
    )
    # Only warnings and errors logged by handlers become Kubernetes Events; the reconcilers post
    # explicit Normal events for every change they make in PagerDuty.
    settings.posting.level = logging.WARNING
    settings.posting.reporting_component = "pagerduty-operator"
    settings.peering.standalone = config.standalone
    settings.peering.name = "pagerduty-operator"
    # Without cluster-scoped reads kopf would retry its CRD and namespace lists for about a
    # minute, then fall back to what this declares at once.
    settings.scanning.disabled = not config.cluster_scans
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.networking.request_timeout = 60
    settings.queueing.error_delays = (1, 2, 5, 10, 30, 60, 120)
    # kopf's own worker limit stays off: with index handlers (handlers/secrets.py) its first
    # workers wait until every object is indexed, which objects without a worker never are, so
    # an operator starting with more objects than workers would never start. Reconciles are
    # bounded by the ReconcileContext instead (--max-concurrent-reconciles).

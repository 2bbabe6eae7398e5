"""Operator configuration, decided once at start-up from the command line and environment.

A leaf: it imports nothing from the operator, so every layer may read it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from pydantic import AnyHttpUrl, TypeAdapter

DEFAULT_RESYNC_SECONDS = 300.0
DEFAULT_MAX_CONCURRENT_RECONCILES = 50
"""Reconciles running at once: enough to keep PagerDuty's per-key rate (16 calls/s) busy; more
only holds more requests, answers and models in memory while a mass creation waits its turn
(0: no limit)."""

_url = TypeAdapter(AnyHttpUrl)


@dataclass(frozen=True)
class EndpointOverrides:
    """PagerDuty base URLs that replace the public hosts (tests, the simulator, proxies).

    Set on the operator, never in a custom resource. Empty means the public host.
    """

    api_us: str = ""
    api_eu: str = ""
    events_us: str = ""
    events_eu: str = ""
    oauth: str = ""

    def __post_init__(self) -> None:
        for name in ("api_us", "api_eu", "events_us", "events_eu", "oauth"):
            value = getattr(self, name)
            if value:
                _url.validate_python(value)


@dataclass(frozen=True)
class LeaderElection:
    """`--leader-elect`: only the holder of the Lease `namespace/lease_name` reconciles."""

    namespace: str
    lease_name: str = "pagerduty-operator"
    lease_duration: int = 15
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    identity: str = ""
    """Empty: the host name (the pod's name) and a random suffix, unique per process."""


@dataclass(frozen=True)
class OperatorConfig:
    """Everything `pagerduty-operator run` needs to know."""

    namespaces: tuple[str, ...] = ()
    resync_seconds: float = DEFAULT_RESYNC_SECONDS
    max_concurrent_reconciles: int = DEFAULT_MAX_CONCURRENT_RECONCILES
    health_address: str = "0.0.0.0:8081"
    metrics_address: str = "0.0.0.0:8080"
    log_format: str = "json"
    log_level: str = "INFO"
    standalone: bool = True
    cluster_scans: bool = True
    """List/watch CRDs (and namespaces when some are named); off when RBAC grants no such reads."""
    endpoints: EndpointOverrides = field(default_factory=EndpointOverrides)
    leader_election: LeaderElection | None = None
    """None: reconcile at once (one replica); else wait until holding the Lease."""

    @property
    def clusterwide(self) -> bool:
        return not self.namespaces


def env_default(name: str, default: str = "") -> str:
    """Read an operator setting from the environment (`PDO_<NAME>`), for containers and Helm."""
    return os.environ.get(f"PDO_{name}", default)

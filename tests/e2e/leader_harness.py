"""Operator processes started with `--leader-elect`, and who leads among them.

Which process leads is read from each one's `pagerduty_operator_leader` gauge; the Lease itself
is read from the apiserver. Timings are short by default so that a SIGKILL hand-over takes a few
seconds; `PDO_LEADER_TIMINGS=15,10,2` runs the tests with controller-runtime's defaults.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from kubernetes import client

from pagerduty_devenv.stack import OperatorProcess, SimulatorProcess
from support.waiting import wait_for

_timings = [
    float(part) for part in os.environ.get("PDO_LEADER_TIMINGS", "4,3,0.5").split(",") if part
]
LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD = int(_timings[0]), _timings[1], _timings[2]
LEADER_GAUGE = re.compile(r"^pagerduty_operator_leader (\S+)$", re.MULTILINE)
RECONCILES = re.compile(r"^pagerduty_operator_reconciles_total\{[^}]*\} (\S+)$", re.MULTILINE)


def leader_args(namespace: str, lease: str) -> list[str]:
    return [
        "--leader-elect",
        "--leader-election-namespace",
        namespace,
        "--leader-election-id",
        lease,
        "--leader-elect-lease-duration",
        str(LEASE_DURATION),
        "--leader-elect-renew-deadline",
        str(RENEW_DEADLINE),
        "--leader-elect-retry-period",
        str(RETRY_PERIOD),
    ]


def is_leading(operator: OperatorProcess) -> bool | None:
    """The process's leader gauge; None when it does not answer (stopped, or starting)."""
    if operator.process.poll() is not None:
        return None
    try:
        text = operator.metrics()
    except httpx.HTTPError:
        return None
    found = LEADER_GAUGE.search(text)
    return None if found is None else float(found.group(1)) == 1.0


def reconciles(operator: OperatorProcess) -> float:
    """Reconciles this process ran (all kinds and results)."""
    return sum(float(v) for v in RECONCILES.findall(operator.metrics()))


@dataclass
class Replicas:
    """Operator processes competing for one Lease."""

    operators: list[OperatorProcess]
    lease_namespace: str
    lease: str

    def leaders(self) -> list[OperatorProcess]:
        return [o for o in self.operators if is_leading(o)]

    def leader(self, timeout: float = 60.0) -> OperatorProcess:
        """The one leading process (waits until exactly one leads)."""
        found = wait_for(
            lambda: (lambda ls: ls if len(ls) == 1 else None)(self.leaders()),
            what="exactly one leading operator",
            timeout=timeout,
            interval=0.05,
            describe=lambda: f"leader gauges: {[is_leading(o) for o in self.operators]}",
        )
        return found[0]

    def standbys(self, leader: OperatorProcess) -> list[OperatorProcess]:
        return [o for o in self.operators if o is not leader]

    def wait_new_leader(self, old: OperatorProcess, timeout: float = 120.0) -> float:
        """Wait until another process leads; returns the seconds waited (polling every 20 ms)."""
        start = time.monotonic()
        wait_for(
            lambda: any(is_leading(o) for o in self.standbys(old)),
            what="a standby to lead",
            timeout=timeout,
            interval=0.02,
        )
        return time.monotonic() - start

    def holder(self, api: client.ApiClient) -> dict[str, object]:
        lease = client.CoordinationV1Api(api).read_namespaced_lease(
            self.lease, self.lease_namespace
        )
        spec = lease.spec
        return {
            "holder": spec.holder_identity or "",
            "transitions": spec.lease_transitions or 0,
        }

    def stop(self) -> None:
        for operator in self.operators:
            operator.stop()


def start_replicas(
    work_dir: Path,
    kubeconfig: Path,
    sim: SimulatorProcess,
    namespaces: Sequence[str],
    lease_namespace: str,
    lease: str,
    *,
    count: int = 2,
    resync_seconds: float = 300.0,
    name: str = "replica",
) -> Replicas:
    """Start `count` operator processes with `--leader-elect` on the same Lease."""
    operators = [
        OperatorProcess(
            work_dir,
            kubeconfig,
            sim,
            namespaces=list(namespaces),
            resync_seconds=resync_seconds,
            extra_args=leader_args(lease_namespace, lease),
            name=f"{name}-{i}",
        )
        for i in range(count)
    ]
    for operator in operators:  # started together: each takes seconds to import
        operator.process.start()
    for operator in operators:
        operator.process.wait_healthy(f"http://127.0.0.1:{operator.health_port}/healthz", 60)
    return Replicas(operators, lease_namespace, lease)

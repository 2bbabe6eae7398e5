"""Operator processes started with `--leader-elect` on one Lease (see `support.leadership`)."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kubernetes import client

from pagerduty_devenv.stack import OperatorProcess, SimulatorProcess
from support.leadership import is_leading, leader_args, the_leader
from support.waiting import wait_for

RECONCILES = re.compile(r"^pagerduty_operator_reconciles_total\{[^}]*\} (\S+)$", re.MULTILINE)


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
        return the_leader(self.operators, timeout)

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

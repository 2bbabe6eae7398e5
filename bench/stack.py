"""What a benchmark runs on: one control plane, and per scenario a simulator and an operator.

`Cluster` starts etcd, kube-apiserver and kube-controller-manager once and installs the CRDs.
`Scenario` adds a namespace, a simulator (seeded for its `Workload`, with its own rate limit)
and an operator process that watches only that namespace, so scenarios never see each other.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes import config as kube_config

from bench.kube_side import ReadyTracker, apiserver_requests
from bench.report import CallCounts
from bench.workload import Workload
from pagerduty_devenv import ControlPlane
from pagerduty_devenv.stack import OperatorProcess, SimulatorProcess

REPO = Path(__file__).resolve().parents[1]
TRACKED = ("pagerdutyintegrations", "pagerdutywebhooks", "pagerdutyincidentrules")


class Cluster:
    """The control plane shared by every scenario of one benchmark run."""

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.plane = ControlPlane(work_dir=work_dir / "controlplane")
        self.api: client.ApiClient | None = None

    def start(self) -> None:
        self.plane.start()
        self.plane.kubectl("apply", "--server-side", "-f", str(REPO / "crds"))
        self.plane.kubectl("wait", "--for=condition=Established", "crd", "--all")
        # The default pool (10 connections) would serialise the benchmark's creates.
        configuration = client.Configuration()
        configuration.connection_pool_maxsize = 32
        self.api = kube_config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(self.plane.kubeconfig),
            persist_config=False,
            client_configuration=configuration,
        )

    @property
    def kube(self) -> client.ApiClient:
        if self.api is None:
            raise RuntimeError("the cluster is not started")
        return self.api

    def apiserver_requests(self) -> Counter[str]:
        return apiserver_requests(self.kube)

    def component_pids(self) -> dict[str, int]:
        """Pids of this cluster's kube-apiserver and etcd (found by their work directory)."""
        found: dict[str, int] = {}
        marker = str(self.work_dir / "controlplane")
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if not argv or marker.encode() not in b" ".join(argv):
                continue
            name = Path(argv[0].decode(errors="replace")).name
            if name in ("kube-apiserver", "etcd"):
                found[name] = int(entry.name)
        return found

    def stop(self) -> None:
        if self.api is not None:
            self.api.close()  # type: ignore[no-untyped-call]
        self.plane.stop()


def cpu_seconds(pid: int | None) -> float:
    """User plus system CPU seconds of a process (0.0 when it is gone)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_kib(pid: int | None) -> dict[str, int]:
    """VmHWM (peak RSS) and VmRSS of a process, in KiB, from /proc/<pid>/status."""
    found: dict[str, int] = {}
    if pid is None:
        return found
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            found[name] = int(value.split()[0])
    return found


class RssSampler:
    """Samples a process's resident set size twice a second; the peak since the last `mark`."""

    def __init__(self, pid: Callable[[], int | None]) -> None:
        self._pid = pid
        self._peak = 0
        self.phases: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            try:
                self._peak = max(self._peak, memory_kib(self._pid()).get("VmRSS", 0))
            except OSError:
                continue

    def mark(self, phase: str) -> None:
        """Record the peak since the previous mark under `phase` (KiB) and start anew."""
        try:
            current = memory_kib(self._pid()).get("VmRSS", 0)
        except OSError:
            current = 0
        self.phases[phase] = max(self._peak, current)
        self._peak = 0

    def stop(self) -> None:
        self._stop.set()


class Scenario:
    """A namespace, a seeded simulator and an operator for one workload."""

    def __init__(
        self,
        cluster: Cluster,
        workload: Workload,
        *,
        rate_limit: int = 0,
        resync_seconds: float = 300.0,
        operator_args: list[str] | None = None,
    ) -> None:
        self.cluster = cluster
        self.workload = workload
        self.work_dir = cluster.work_dir / workload.namespace
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.simulator = SimulatorProcess(self.work_dir, rate_limit=rate_limit)
        self._resync_seconds = resync_seconds
        self._operator_args = operator_args or []
        self.operator: OperatorProcess | None = None
        self.tracker: ReadyTracker | None = None
        self.rss = RssSampler(lambda: self.operator_pid)

    def start(self) -> None:
        self.simulator.start()
        self.simulator.admin("POST", "seed", json=self.workload.seed_document())
        core = client.CoreV1Api(self.cluster.kube)
        core.create_namespace(
            client.V1Namespace(metadata=client.V1ObjectMeta(name=self.workload.namespace))
        )
        self.tracker = ReadyTracker(self.cluster.kube, self.workload.namespace, TRACKED)
        self.operator = OperatorProcess(
            self.work_dir,
            self.cluster.plane.kubeconfig,
            self.simulator,
            namespaces=[self.workload.namespace],
            resync_seconds=self._resync_seconds,
            extra_args=self._operator_args,
        )
        self.operator.start()

    @property
    def ready(self) -> ReadyTracker:
        if self.tracker is None:
            raise RuntimeError("the scenario is not started")
        return self.tracker

    @property
    def operator_pid(self) -> int | None:
        return self.operator.process.pid if self.operator else None

    def last_seq(self) -> int:
        return int(self.simulator.admin("GET", "requests", params={"entries": "false"})["last_seq"])

    def calls_since(self, seq: int) -> CallCounts:
        answer = self.simulator.admin(
            "GET", "requests", params={"since": str(seq), "entries": "false"}
        )
        return CallCounts.from_log(answer["counts"])

    def requests_since(self, seq: int) -> list[dict[str, Any]]:
        answer = self.simulator.admin("GET", "requests", params={"since": str(seq)})
        entries: list[dict[str, Any]] = answer["requests"]
        return entries

    def stop(self) -> None:
        self.rss.stop()
        if self.tracker is not None:
            self.tracker.stop()
        if self.operator is not None:
            self.operator.stop()
        self.simulator.stop()

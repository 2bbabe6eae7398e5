"""Convergence: apply a workload's webhooks and rules at once and time them until all are Ready.

Also the building block of the rate-limited benchmark. The clock starts before the first create
and stops when the watch sees the last object Ready for its generation. PagerDuty calls come
from the simulator's request log, kube-apiserver requests from its `apiserver_request_total`
(the benchmark's own creates and lists are subtracted).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench.kube_side import create_all, key_of, request_delta
from bench.report import BenchResult, CallCounts, Target
from bench.stack import Scenario, cpu_seconds

OBJECTS_PER_SECOND_TARGET = 50.0


class BenchError(RuntimeError):
    """The workload did not converge; the message says what was left and why."""


@dataclass
class Converged:
    """What one convergence run measured."""

    objects: int
    create_seconds: float
    ready_seconds: float
    calls_until_ready: CallCounts
    calls: CallCounts
    apiserver: dict[str, int]
    operator_cpu_seconds: float
    simulator_cpu_seconds: float
    control_plane_cpu_seconds: dict[str, float]
    first_call_seconds: float | None = None
    last_call_seconds: float | None = None

    @property
    def objects_per_second(self) -> float:
        return self.objects / self.ready_seconds

    @property
    def apiserver_total(self) -> int:
        return sum(self.apiserver.values())


def setup_integrations(scenario: Scenario, timeout: float = 120.0) -> None:
    """Create the credential Secrets and integrations and wait until they are Ready."""
    workload = scenario.workload
    integrations = workload.integration_objects()
    create_all(scenario.cluster.kube, [*workload.secrets(), *integrations])
    keys = [key_of(o) for o in integrations]
    if scenario.ready.wait_all_ready(keys, timeout) is None:
        raise BenchError(f"integrations not Ready: {dict(scenario.ready.reasons(keys))}")


def wait_quiet(scenario: Scenario, quiet: float = 2.0, limit: float = 30.0) -> None:
    """Wait until the simulator saw no request for `quiet` seconds (at most `limit`)."""
    deadline = time.monotonic() + limit
    last, since = scenario.last_seq(), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet:
        time.sleep(0.25)
        seq = scenario.last_seq()
        if seq != last:
            last, since = seq, time.monotonic()


def converge(scenario: Scenario, timeout: float, *, operator_after: bool = False) -> Converged:
    """Create every webhook and rule of the workload at once; measure until all are Ready.

    With `operator_after`, the operator is stopped while the objects are created and the clock
    starts when it is running again (it then finds them all at once, as after an upgrade):
    the operator's own throughput, without the apiserver's create rate in it.
    """
    workload = scenario.workload
    objects = [*workload.webhook_objects(), *workload.rule_objects()]
    keys = [key_of(o) for o in objects]
    cluster = scenario.cluster
    operator = scenario.operator
    if operator_after and operator is not None:
        operator.stop()
        create_seconds = create_all(cluster.kube, objects)
    seq = scenario.last_seq()
    api_before = cluster.apiserver_requests()
    lists_before = scenario.ready.lists
    components = cluster.component_pids()
    component_cpu = {name: cpu_seconds(pid) for name, pid in components.items()}
    simulator_cpu = cpu_seconds(scenario.simulator.process.pid)
    if operator_after and operator is not None:
        operator.restart()
        started, wall_started = time.monotonic(), time.time()
        operator_cpu = 0.0  # a new process: all of its CPU counts
    else:
        operator_cpu = cpu_seconds(scenario.operator_pid)
        started, wall_started = time.monotonic(), time.time()
        create_seconds = create_all(cluster.kube, objects)
    done = scenario.ready.wait_all_ready(keys, timeout)
    if done is None:
        left = scenario.ready.not_ready(keys)
        raise BenchError(
            f"{len(left)} of {len(keys)} objects not Ready after {timeout:.0f} s: "
            f"{dict(scenario.ready.reasons(keys))}"
        )
    calls_until_ready = scenario.calls_since(seq)
    stamps = [float(e["at"]) for e in scenario.requests_since(seq)]
    wait_quiet(scenario)
    operator_cpu = cpu_seconds(scenario.operator_pid) - operator_cpu
    simulator_cpu = cpu_seconds(scenario.simulator.process.pid) - simulator_cpu
    component_cpu = {
        name: cpu_seconds(pid) - component_cpu[name] for name, pid in components.items()
    }
    apiserver = request_delta(api_before, cluster.apiserver_requests())
    for plural in {k[0] for k in keys}:  # the benchmark's own creates
        apiserver[f"POST {plural}"] = apiserver.get(f"POST {plural}", 0) - sum(
            1 for k in keys if k[0] == plural
        )
    own_lists = scenario.ready.lists - lists_before
    for key in [k for k in apiserver if k.startswith("LIST pagerduty")]:
        taken = min(own_lists, apiserver[key])
        apiserver[key] -= taken
        own_lists -= taken
    return Converged(
        objects=len(objects),
        create_seconds=create_seconds,
        ready_seconds=done - started,
        calls_until_ready=calls_until_ready,
        calls=scenario.calls_since(seq),
        apiserver={k: v for k, v in apiserver.items() if v > 0},
        operator_cpu_seconds=operator_cpu,
        simulator_cpu_seconds=simulator_cpu,
        control_plane_cpu_seconds=component_cpu,
        first_call_seconds=min(stamps) - wall_started if stamps else None,
        last_call_seconds=max(stamps) - wall_started if stamps else None,
    )


def report_convergence(result: BenchResult, converged: Converged) -> None:
    """Rows and details of the convergence benchmark (rate limit off)."""
    calls = converged.calls
    result.row("objects", converged.objects, note="webhooks and rules applied at once")
    result.row(
        "time to all Ready",
        converged.ready_seconds,
        "s",
        note=f"creating them took {converged.create_seconds:.1f} s",
    )
    result.row(
        "throughput",
        converged.objects_per_second,
        "objects/s",
        Target(">=", OBJECTS_PER_SECOND_TARGET),
    )
    result.row("PagerDuty calls", calls.total, note=calls.summary())
    result.row("PagerDuty 429s", calls.with_status(429))
    result.row(
        "kube-apiserver requests",
        converged.apiserver_total,
        note=f"{converged.apiserver_total / converged.objects:.1f} per object",
    )
    others = ", ".join(
        f"{name} {seconds:.1f} s" for name, seconds in converged.control_plane_cpu_seconds.items()
    )
    result.row(
        "operator CPU",
        converged.operator_cpu_seconds,
        "s",
        note=f"{1000 * converged.operator_cpu_seconds / converged.objects:.1f} ms per object; "
        f"{others}",
    )
    result.details.update(
        create_seconds=round(converged.create_seconds, 3),
        ready_seconds=round(converged.ready_seconds, 3),
        objects_per_second=round(converged.objects_per_second, 2),
        pagerduty_calls=calls.as_json(),
        pagerduty_calls_until_ready=converged.calls_until_ready.as_json(),
        apiserver_requests=converged.apiserver,
        operator_cpu_seconds=round(converged.operator_cpu_seconds, 2),
        simulator_cpu_seconds=round(converged.simulator_cpu_seconds, 2),
        control_plane_cpu_seconds={
            k: round(v, 2) for k, v in converged.control_plane_cpu_seconds.items()
        },
    )

"""Memory: the operator's peak resident set size (VmHWM) after a scenario's work, from /proc."""

from __future__ import annotations

from bench.report import BenchResult, Target
from bench.stack import Scenario, memory_kib

PEAK_TARGET_MIB = 200.0


def measure_memory(scenario: Scenario) -> BenchResult:
    result = BenchResult("5 memory")
    usage = memory_kib(scenario.operator_pid)
    workload = scenario.workload
    held = f"{workload.webhooks} webhooks, {workload.rules} rules"
    peak = usage.get("VmHWM")
    result.row(
        "operator peak RSS",
        None if peak is None else peak / 1024,
        "MiB",
        Target("<", PEAK_TARGET_MIB),
        note=f"VmHWM with {held}, after convergence, resync and latency",
    )
    current = usage.get("VmRSS")
    phases = ", ".join(f"{k} {v / 1024:.0f}" for k, v in scenario.rss.phases.items())
    result.row(
        "operator RSS at the end",
        None if current is None else current / 1024,
        "MiB",
        note=f"peak RSS by phase (MiB, sampled every 0.5 s): {phases}",
    )
    result.details.update(usage_kib=usage, peak_rss_kib_by_phase=scenario.rss.phases)
    return result

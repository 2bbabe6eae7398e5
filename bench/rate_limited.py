"""Rate-limited convergence: one credential, the simulator enforcing 960 requests per minute.

The lower bound is the PagerDuty calls the operator needed until everything was Ready divided by
the budget (16 per second); the ratio of the measured time to it shows how much of the budget
the operator leaves unused, and the 429 count shows whether it ever overshoots.
"""

from __future__ import annotations

from bench.convergence import converge, setup_integrations
from bench.report import BenchResult, Target, lower_bound_seconds, ratio
from bench.stack import Cluster, Scenario
from bench.workload import Workload

RATIO_TARGET = 1.10
SIMULATOR_LIMIT = 960


def run_rate_limited(cluster: Cluster, webhooks: int, rules: int, timeout: float) -> BenchResult:
    result = BenchResult("2 rate-limited convergence")
    workload = Workload("bench-ratelimited", webhooks, rules, integrations=1)
    scenario = Scenario(cluster, workload, rate_limit=SIMULATOR_LIMIT)
    try:
        scenario.start()
        setup_integrations(scenario)
        converged = converge(scenario, timeout)
    finally:
        scenario.stop()
    calls = converged.calls_until_ready
    rejected = calls.with_status(429)
    needed = calls.total - rejected
    bound = lower_bound_seconds(needed)
    measured = ratio(converged.ready_seconds, bound)
    result.row("objects", converged.objects, note=f"{webhooks} webhooks, {rules} rules, 1 key")
    result.row("time to all Ready", converged.ready_seconds, "s")
    result.row("PagerDuty calls until Ready", needed, note=calls.summary())
    result.row("lower bound", bound, "s", note="calls / 16 per second")
    result.row("time / lower bound", measured, target=Target("<=", RATIO_TARGET))
    fewest = workload.minimal_calls()
    minimal = sum(fewest.values())
    parts = ", ".join(f"{k} {v}" for k, v in fewest.items())
    result.row("calls / fewest possible", needed / minimal, note=f"fewest: {minimal} ({parts})")
    result.row("PagerDuty 429s", rejected, target=Target("==", 0))
    first, last = converged.first_call_seconds, converged.last_call_seconds
    if first is not None and last is not None and last > first:
        result.row(
            "PagerDuty calls per second",
            needed / (last - first),
            note=f"from the first call at {first:.1f} s to the last at {last:.1f} s",
        )
    result.details.update(
        workload=workload.describe(),
        simulator_limit_per_minute=SIMULATOR_LIMIT,
        ready_seconds=round(converged.ready_seconds, 3),
        create_seconds=round(converged.create_seconds, 3),
        lower_bound_seconds=round(bound, 3),
        ratio=round(measured, 4),
        first_call_seconds=first,
        last_call_seconds=last,
        pagerduty_calls_until_ready=calls.as_json(),
        pagerduty_calls=converged.calls.as_json(),
        apiserver_requests=converged.apiserver,
        operator_cpu_seconds=round(converged.operator_cpu_seconds, 2),
        control_plane_cpu_seconds={
            k: round(v, 2) for k, v in converged.control_plane_cpu_seconds.items()
        },
    )
    return result

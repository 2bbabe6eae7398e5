"""Idle resync: what one resync interval costs in PagerDuty calls when nothing has drifted.

Runs right after convergence and counts every call in a window of exactly one interval. With
drift corrected within one interval (every shared read renewed once per interval), the fewest
calls any such operator needs are one list page per started 100 subscriptions a listing of each
(credential, filter scope) returns (an account-scope listing shows every account-scoped
subscription of the account, whichever key made it), one read per orchestration path and one
`active` read per service with rules;
the integrations' capability checks cost nothing while their credentials are in use. Reported:
all calls against the target, each part against its floor, and the ratio of all to the fewest.
"""

from __future__ import annotations

import time

from bench.report import BenchResult, CallCounts, Target, list_call_budget
from bench.stack import Scenario

LIST_ROUTE = "/webhook_subscriptions"
PATH_ROUTE = "/event_orchestrations/services/{service_id}"
ACTIVE_ROUTE = "/event_orchestrations/services/{service_id}/active"
PROBE_READS = ("/incidents", "/services", "/event_orchestrations")
ALL_CALLS_TARGET = 40


def probe_calls(calls: CallCounts) -> int:
    """The integrations' capability checks: probe reads of other lists, refused probe writes."""
    reads = sum(calls.count("GET", route) for route in PROBE_READS)
    return reads + calls.writes() - calls.changes()


def measure_idle_resync(
    scenario: Scenario, interval: float, name: str = "3 idle resync"
) -> BenchResult:
    result = BenchResult(name)
    workload = scenario.workload
    per_scope = workload.listed_per_scope()
    budget = list_call_budget(per_scope.values())
    paths = len({p.service_id for p in workload.rule_plans})
    seq = scenario.last_seq()
    time.sleep(interval)
    calls = scenario.calls_since(seq)
    lists = calls.count("GET", LIST_ROUTE)
    by_id = calls.count("GET", f"{LIST_ROUTE}/{{id}}")
    path_reads = calls.count("GET", PATH_ROUTE)
    active_reads = calls.count("GET", ACTIVE_ROUTE)
    probes = probe_calls(calls)
    fewest = budget + 2 * paths
    result.row(
        "window",
        interval,
        "s",
        note=f"one resync interval after convergence; {workload.webhooks} webhooks, "
        f"{workload.rules} rules on {paths} paths, {workload.integrations} integrations",
    )
    result.row(
        "all PagerDuty calls",
        calls.total,
        target=Target("<=", ALL_CALLS_TARGET),
        note=calls.summary(),
    )
    result.row(
        "... not on webhooks",
        calls.total - lists - by_id,
        note=f"floor {2 * paths}: a path read and an `active` read per path",
    )
    result.row(
        "webhook list calls",
        lists,
        target=Target("<=", budget),
        note=f"floor {budget}: a page per 100 subscriptions a listing of each of the "
        f"{len(per_scope)} (credential, filter scope) pairs returns (an account-scope listing "
        "shows the whole account's)",
    )
    result.row("webhook GETs by id", by_id, target=Target("==", 0))
    result.row("path reads", path_reads, target=Target("<=", paths), note=f"{paths} paths")
    result.row("`active` reads", active_reads, target=Target("<=", paths), note="per service")
    result.row(
        "integration checks",
        probes,
        note="capability probe calls (the full probe is hourly or on a new credential)",
    )
    result.row("calls / fewest possible", calls.total / fewest, note=f"fewest: {fewest}")
    result.row("writes (accepted)", calls.changes(), target=Target("==", 0))
    result.details.update(
        interval_seconds=interval,
        list_call_budget=budget,
        filter_scopes=len(per_scope),
        fewest_calls=fewest,
        workload=workload.describe(),
        pagerduty_calls=calls.as_json(),
    )
    return result

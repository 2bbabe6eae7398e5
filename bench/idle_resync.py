"""Idle resync: what one resync interval costs in PagerDuty calls when nothing has drifted.

Runs right after convergence with the operator's resync interval short, counts every call in a
window of exactly one interval and compares the webhook list calls with the budget: one call
per started page of 100 subscriptions per (credential, filter scope). Rules and integrations
resync in the same window; their calls are reported apart.
"""

from __future__ import annotations

import time

from bench.report import BenchResult, Target, list_call_budget
from bench.stack import Scenario

LIST_ROUTE = "/webhook_subscriptions"


def measure_idle_resync(scenario: Scenario, interval: float) -> BenchResult:
    result = BenchResult("3 idle resync")
    workload = scenario.workload
    per_scope = workload.subscriptions_per_scope()
    budget = list_call_budget(per_scope.values())
    seq = scenario.last_seq()
    time.sleep(interval)
    calls = scenario.calls_since(seq)
    lists = calls.count("GET", LIST_ROUTE)
    by_id = calls.count("GET", f"{LIST_ROUTE}/{{id}}")
    webhook_calls = calls.matching("GET", LIST_ROUTE) + calls.matching("PUT", LIST_ROUTE)
    webhook_calls += calls.matching("POST", LIST_ROUTE) + calls.matching("DELETE", LIST_ROUTE)
    rule_calls = calls.matching("GET", "/event_orchestrations") + calls.matching(
        "PUT", "/event_orchestrations"
    )
    result.row("window", interval, "s", note="one resync interval after convergence")
    result.row(
        "webhook list calls",
        lists,
        target=Target("<=", budget),
        note=f"{workload.webhooks} subscriptions in {len(per_scope)} (credential, scope) pairs",
    )
    result.row("webhook GETs by id", by_id)
    refused = calls.writes() - calls.changes()
    result.row(
        "writes (accepted)",
        calls.changes(),
        target=Target("==", 0),
        note=f"plus {refused} refused (4xx) writes: the integrations' capability probe, "
        "which PUTs to ids that do not exist",
    )
    result.row("rule (orchestration) calls", rule_calls, note=f"{workload.rules} rules")
    result.row(
        "all PagerDuty calls", calls.total, note=f"webhooks {webhook_calls}; {calls.summary()}"
    )
    result.details.update(
        interval_seconds=interval,
        list_call_budget=budget,
        filter_scopes=len(per_scope),
        pagerduty_calls=calls.as_json(),
    )
    return result

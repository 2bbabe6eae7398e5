"""Latency: from a spec change of one resource to PagerDuty showing it, while many others exist.

One change at a time, on resources spread over the workload: a webhook's description (an
in-place PUT) and a rule's label (a path PUT). The clock starts before the merge patch is sent;
the benchmark polls PagerDuty (the simulator's REST API, with a key of its own) every 10 ms until
the new value is visible.

Rule changes are timed twice. `rule` is a lone change: consecutive changes take turns over the
paths, each on a path the benchmark left alone for longer than the coordinator's batch interval
(what a person editing one rule sees). `rule back-to-back` changes rules of one path, each right
after the previous one showed: every change then follows its path's last write by moments, so it
joins the next batch, an interval after that write (the price of coalescing trickles).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from kubernetes import client

from bench.report import BenchResult, Target, percentile
from bench.stack import Scenario
from bench.workload import GROUP, OBSERVER_KEY, VERSION, RulePlan
from pagerduty_operator.reconcile.rule_coordinator import MIN_BATCH_INTERVAL

P50_TARGET_SECONDS = 1.0
POLL_SECONDS = 0.01
IDLE_PATH_SECONDS = MIN_BATCH_INTERVAL + 0.5
"""A lone rule change is made on a path the benchmark did not change for this long."""


class _Observer:
    """Reads PagerDuty as a person would, with the benchmark's own key."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(
            base_url=base_url,
            headers={
                "Authorization": f"Token token={OBSERVER_KEY}",
                "Accept": "application/vnd.pagerduty+json;version=2",
            },
            timeout=10,
        )

    def description(self, subscription_id: str) -> str:
        body = self.http.get(f"/webhook_subscriptions/{subscription_id}").json()
        return str(body["webhook_subscription"].get("description") or "")

    def labels(self, service_id: str) -> list[str]:
        body = self.http.get(f"/event_orchestrations/services/{service_id}").json()
        sets = body["orchestration_path"].get("sets") or []
        return [str(rule.get("label") or "") for s in sets for rule in s.get("rules") or []]


def _wait_until(check: Callable[[], bool], timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return time.monotonic()
        time.sleep(POLL_SECONDS)
    return None


def _spread(count: int, total: int) -> list[int]:
    return sorted({i * total // count for i in range(count)}) if count and total else []


def _taking_turns(plans: list[RulePlan], count: int) -> list[RulePlan]:
    """`count` rules spread over each path, consecutive ones on different paths."""
    by_path: dict[str, list[RulePlan]] = {}
    for plan in plans:
        by_path.setdefault(plan.service_id, []).append(plan)
    groups = list(by_path.values())
    turns = -(-count // len(groups)) if groups else 0
    picked = [[group[i] for i in _spread(turns, len(group))] for group in groups]
    order = [group[turn] for turn in range(turns) for group in picked if turn < len(group)]
    return order[:count]


def measure_latency(
    scenario: Scenario, changes: int, rule_changes: int, timeout: float = 30.0
) -> BenchResult:
    result = BenchResult("4 latency")
    workload = scenario.workload
    custom = client.CustomObjectsApi(scenario.cluster.kube)
    observer = _Observer(scenario.simulator.us_url)
    namespace = workload.namespace

    def patch(plural: str, name: str, spec: dict[str, Any]) -> None:
        custom.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            namespace,
            plural,
            name,
            {"spec": spec},
            _content_type="application/merge-patch+json",
        )

    webhook_latencies: list[float] = []
    missed = 0
    run = uuid.uuid4().hex[:6]
    for index in _spread(changes, len(workload.webhook_plans)):
        plan = workload.webhook_plans[index]
        obj = scenario.ready.object(("pagerdutywebhooks", plan.name)) or {}
        subscription_id = (obj.get("status") or {}).get("subscriptionId")
        if not subscription_id:
            missed += 1
            continue
        wanted = f"latency {run} {index}"
        started = time.monotonic()
        patch("pagerdutywebhooks", plan.name, {"description": wanted})

        def updated(sid: str = subscription_id, w: str = wanted) -> bool:
            return observer.description(sid).startswith(w)

        seen = _wait_until(updated, timeout)
        if seen is None:
            missed += 1
        else:
            webhook_latencies.append(seen - started)

    def rule_change(rule: RulePlan, wanted: str) -> float | None:
        started = time.monotonic()
        patch("pagerdutyincidentrules", rule.name, {"label": wanted})

        def relabelled() -> bool:
            return any(label.startswith(wanted) for label in observer.labels(rule.service_id))

        seen = _wait_until(relabelled, timeout)
        return None if seen is None else seen - started

    latencies: dict[str, list[float]] = {"webhook": webhook_latencies, "rule": []}
    changed: dict[str, float] = {}  # path -> when the benchmark's last change to it showed
    for rule in _taking_turns(workload.rule_plans, rule_changes):
        idle = time.monotonic() - changed.get(rule.service_id, float("-inf"))
        if idle < IDLE_PATH_SECONDS:
            time.sleep(IDLE_PATH_SECONDS - idle)
        seconds = rule_change(rule, f"latency {run} lone {rule.name}")
        changed[rule.service_id] = time.monotonic()
        if seconds is None:
            missed += 1
        else:
            latencies["rule"].append(seconds)
    time.sleep(IDLE_PATH_SECONDS)
    one_path = [p for p in workload.rule_plans if p.service_id == workload.rule_plans[0].service_id]
    latencies["rule back-to-back"] = []
    for index in _spread(rule_changes, len(one_path)):
        seconds = rule_change(one_path[index], f"latency {run} next {index}")
        if seconds is None:
            missed += 1
        else:
            latencies["rule back-to-back"].append(seconds)
    observer.http.close()

    others = f"{workload.webhooks + workload.rules} objects exist"
    for kind, values in latencies.items():
        if not values:
            continue
        target = None if kind == "rule back-to-back" else Target("<", P50_TARGET_SECONDS)
        note = f"{len(values)} changes"
        if kind == "rule back-to-back":
            note += ", one path, each right after the previous showed"
        result.row(f"{kind} p50", percentile(values, 50), "s", target, note)
        result.row(f"{kind} p95", percentile(values, 95), "s", note=others)
        result.details[f"{kind}_latencies_seconds"] = [round(v, 4) for v in values]
    result.row("changes not seen in time", missed, target=Target("==", 0))
    return result

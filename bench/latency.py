"""Latency: from a spec change of one resource to PagerDuty showing it, while many others exist.

One change at a time, on resources spread over the workload: a webhook's description (an
in-place PUT) and a rule's label (a path PUT). The clock starts before the merge patch is sent;
the benchmark polls PagerDuty (the simulator's REST API, with a key of its own) every 10 ms until
the new value is visible.
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
from bench.workload import GROUP, OBSERVER_KEY, VERSION

P50_TARGET_SECONDS = 1.0
POLL_SECONDS = 0.01


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

    rule_latencies: list[float] = []
    for index in _spread(rule_changes, len(workload.rule_plans)):
        rule = workload.rule_plans[index]
        wanted = f"latency {run} {index}"
        started = time.monotonic()
        patch("pagerdutyincidentrules", rule.name, {"label": wanted})

        def relabelled(sid: str = rule.service_id, w: str = wanted) -> bool:
            return any(label.startswith(w) for label in observer.labels(sid))

        seen = _wait_until(relabelled, timeout)
        if seen is None:
            missed += 1
        else:
            rule_latencies.append(seen - started)
    observer.http.close()

    others = f"{workload.webhooks + workload.rules} objects exist"
    for kind, values in (("webhook", webhook_latencies), ("rule", rule_latencies)):
        if not values:
            continue
        target = Target("<", P50_TARGET_SECONDS)
        result.row(f"{kind} p50", percentile(values, 50), "s", target, f"{len(values)} changes")
        result.row(f"{kind} p95", percentile(values, 95), "s", note=others)
        result.details[f"{kind}_latencies_seconds"] = [round(v, 4) for v in values]
    result.row("changes not seen in time", missed, target=Target("==", 0))
    return result

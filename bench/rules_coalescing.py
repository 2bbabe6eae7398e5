"""How many PUTs N PagerDutyIncidentRules cost on one orchestration path, end to end.

Starts the devenv stack on loopback only (etcd, kube-apiserver and kube-controller-manager, the
PagerDuty simulator, the operator as a process), seeds a fresh service with two rules "made by
hand", and puts `--rules` (default 40) rules on that service's path. The phases, in order:

- `create`: all rules in one `kubectl apply` (arriving together);
- `update`: all of them changed in a second `kubectl apply`;
- `spread update`: each rule changed on its own, one every `--spread / --rules` seconds (40 over
  10 s: one every 250 ms, as a slow client or a GitOps tool applying one by one would);
- `paced delete`: each rule deleted on its own, one every `--delete-gap` seconds (0.15: the pace
  of `kubectl delete` reported on a busy machine; on a quiet one it deletes 40 in under 1 s);
- `recreate` (all at once again) and `kubectl delete`: `kubectl delete --all`, at its own pace.

For each phase: the operator's GETs and PUTs of the path (from the simulator's request log), the
seconds the changes were actually spread over, and the time until every rule is Ready for its
current generation (or, for deletes, gone: the finalizer waits for the rule's removal). The
path's rules are counted after the updates (rules + 2) and after each delete (the 2 by hand).
Bounded by `--timeout` per phase.

    .venv/bin/python bench/rules_coalescing.py
    .venv/bin/python bench/rules_coalescing.py --rules 100 --spread 20 --json out.json

Prints the results as JSON and one Markdown table row per phase.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubernetes import client

from pagerduty_devenv import ControlPlane
from pagerduty_devenv.stack import OperatorProcess, SimulatorProcess
from pagerduty_operator.models.identity import GROUP, VERSION

REPO = Path(__file__).resolve().parents[1]
NAMESPACE = "bench-rules"
API_KEY = "y_SIMfake_acme_FULL1"  # the simulator's default seed (a fake key)
KEY_LABEL = "api_key:acme-full"
SERVICE_ID = "PBENCHR"
PATH = f"/event_orchestrations/services/{SERVICE_ID}"
PLURAL = "pagerdutyincidentrules"
BY_HAND = 2


def _name(index: int) -> str:
    return f"rule-{index:03d}"


def _manifests(count: int, severity: str) -> str:
    documents: list[dict[str, Any]] = []
    for i in range(count):
        documents.append(
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "PagerDutyIncidentRule",
                "metadata": {"name": _name(i)},
                "spec": {
                    "integrationRef": {"name": "bench"},
                    "order": count - i,
                    "conditions": [f"event.summary matches part 'r{i}'"],
                    "actions": {"severity": severity},
                },
            }
        )
    return "\n---\n".join(json.dumps(d) for d in documents)


def _not_ready(plane: ControlPlane, kind: str) -> int:
    listing = json.loads(plane.kubectl("get", kind, "-n", NAMESPACE, "-o", "json").stdout)
    waiting = 0
    for item in listing["items"]:
        status = item.get("status") or {}
        ready = {c["type"]: c for c in status.get("conditions") or []}.get("Ready", {})
        current = status.get("observedGeneration") == item["metadata"].get("generation")
        if ready.get("status") != "True" or not current:
            waiting += 1
    return waiting if listing["items"] else -1


def _left(plane: ControlPlane) -> int:
    listing = json.loads(plane.kubectl("get", PLURAL, "-n", NAMESPACE, "-o", "json").stdout)
    return len(listing["items"])


def _wait(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def _wait_ready(plane: ControlPlane, kind: str, timeout: float) -> bool:
    return _wait(lambda: _not_ready(plane, kind) == 0, timeout)


def _last_seq(simulator: SimulatorProcess) -> int:
    return int(simulator.admin("GET", "requests", params={"entries": "false"})["last_seq"])


def _path_counts(simulator: SimulatorProcess, since: int) -> dict[str, int]:
    entries = simulator.admin("GET", "requests", params={"since": since})["requests"]
    mine = [e for e in entries if e["credential"] == KEY_LABEL and e["path"] == PATH]
    return {
        "gets": sum(1 for e in mine if e["method"] == "GET"),
        "puts": sum(1 for e in mine if e["method"] == "PUT" and e["status"] == 200),
        "failed_puts": sum(1 for e in mine if e["method"] == "PUT" and e["status"] != 200),
    }


def _paced(count: int, gap: float, act: Callable[[int], None]) -> float:
    """Call `act(i)` for each rule, the i-th at `i * gap` after the first; the spread taken."""
    start = time.monotonic()
    for i in range(count):
        delay = start + i * gap - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        act(i)
    return time.monotonic() - start


def _stored_rules(simulator: SimulatorProcess) -> int:
    state = simulator.admin("GET", "state")
    for account in state["accounts"]:
        for service in account.get("services") or []:
            if service["id"] == SERVICE_ID:
                path = service.get("orchestration") or {}
                return sum(len(s.get("rules") or []) for s in path.get("sets") or [])
    return -1


class Phases:
    """The phases on one stack; each returns its row."""

    def __init__(self, plane: ControlPlane, simulator: SimulatorProcess, timeout: float) -> None:
        self.plane = plane
        self.simulator = simulator
        self.timeout = timeout
        self.api = plane.api_client()
        self.custom = client.CustomObjectsApi(self.api)

    def _measure(self, name: str, changes: Callable[[], float], done: Callable[[], bool]) -> Any:
        since = _last_seq(self.simulator)
        started = time.monotonic()
        spread = changes()
        finished = _wait(done, self.timeout)
        seconds = time.monotonic() - started
        return {
            "phase": name,
            "done": finished,
            "spread_seconds": round(spread, 2),
            "seconds_to_done": round(seconds, 2),
            "stored_after": _stored_rules(self.simulator),
        } | _path_counts(self.simulator, since)

    def _ready(self) -> bool:
        return _not_ready(self.plane, PLURAL) == 0

    def _gone(self) -> bool:
        return _left(self.plane) == 0

    def apply(self, name: str, count: int, severity: str) -> Any:
        def changes() -> float:
            started = time.monotonic()
            self.plane.kubectl(
                "apply", "-n", NAMESPACE, "-f", "-", input=_manifests(count, severity)
            )
            return time.monotonic() - started

        return self._measure(name, changes, self._ready)

    def spread_update(self, count: int, seconds: float, severity: str) -> Any:
        def patch(i: int) -> None:
            self.custom.patch_namespaced_custom_object(
                GROUP,
                VERSION,
                NAMESPACE,
                PLURAL,
                _name(i),
                {"spec": {"actions": {"severity": severity}}},
                _content_type="application/merge-patch+json",
            )

        return self._measure(
            "spread update", lambda: _paced(count, seconds / count, patch), self._ready
        )

    def paced_delete(self, count: int, gap: float) -> Any:
        def delete(i: int) -> None:
            self.custom.delete_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, _name(i))

        return self._measure("paced delete", lambda: _paced(count, gap, delete), self._gone)

    def kubectl_delete(self) -> Any:
        def changes() -> float:
            started = time.monotonic()
            self.plane.kubectl("delete", PLURAL, "--all", "-n", NAMESPACE, "--wait=false")
            return time.monotonic() - started

        return self._measure("kubectl delete", changes, self._gone)


def _setup(plane: ControlPlane, simulator: SimulatorProcess) -> None:
    plane.kubectl("apply", "--server-side", "-f", str(REPO / "crds"))
    plane.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
    simulator.admin(
        "POST",
        "seed",
        json={"accounts": [{"subdomain": "acme", "services": [{"id": SERVICE_ID, "name": "B"}]}]},
    )
    by_hand = [
        {"label": "by hand 1", "actions": {"severity": "info"}},
        {"label": "by hand 2", "actions": {"suppress": True}},
    ]
    simulator.admin(
        "PUT",
        f"accounts/acme{PATH}",
        json={"orchestration_path": {"sets": [{"id": "start", "rules": by_hand}]}},
    )


def _integration(plane: ControlPlane, timeout: float) -> None:
    plane.kubectl("create", "namespace", NAMESPACE)
    setup = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "bench-key"},
            "stringData": {"token": API_KEY},
        },
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "PagerDutyIntegration",
            "metadata": {"name": "bench"},
            "spec": {
                "serviceId": SERVICE_ID,
                "credentials": {"apiKey": {"secretKeyRef": {"name": "bench-key", "key": "token"}}},
            },
        },
    ]
    manifests = "\n---\n".join(json.dumps(d) for d in setup)
    plane.kubectl("apply", "-n", NAMESPACE, "-f", "-", input=manifests)
    if not _wait_ready(plane, "pagerdutyintegrations", timeout):
        raise RuntimeError("the integration did not become Ready")


def run(rules: int, spread: float, delete_gap: float, timeout: float, work_dir: Path) -> Any:
    plane = ControlPlane(work_dir=work_dir / "controlplane")
    simulator = SimulatorProcess(work_dir)
    operator: OperatorProcess | None = None
    phases: Phases | None = None
    try:
        plane.start()
        simulator.start()
        _setup(plane, simulator)
        # A long resync: the counts are the reaction to the changes, not periodic re-reads.
        operator = OperatorProcess(
            work_dir, plane.kubeconfig, simulator, namespaces=[NAMESPACE], resync_seconds=600
        )
        operator.start()
        _integration(plane, timeout)
        phases = Phases(plane, simulator, timeout)
        rows = [
            phases.apply("create", rules, "warning"),
            phases.apply("update", rules, "error"),
            phases.spread_update(rules, spread, "critical"),
            phases.paced_delete(rules, delete_gap),
            phases.apply("recreate", rules, "warning"),
            phases.kubectl_delete(),
        ]
        expected = [rules + BY_HAND] * 3 + [BY_HAND, rules + BY_HAND, BY_HAND]
        for row, stored in zip(rows, expected, strict=True):
            row["expected_stored"] = stored
        return {"rules": rules, "phases": rows}
    finally:
        if phases is not None:
            phases.api.close()  # type: ignore[no-untyped-call]
        if operator is not None:
            operator.stop()
        simulator.stop()
        plane.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=40, help="rules on the one path")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds of the spread update")
    parser.add_argument("--delete-gap", type=float, default=0.15, help="seconds between deletes")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per phase")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pdo-bench-rules-") as tmp:
        report = run(args.rules, args.spread, args.delete_gap, args.timeout, Path(tmp))
    print(json.dumps(report, indent=2))
    print("\n| phase | rules | spread over | PUTs | GETs | failed PUTs | seconds to done |")
    print("|---|---|---|---|---|---|---|")
    for phase in report["phases"]:
        print(
            f"| {phase['phase']} | {report['rules']} | {phase['spread_seconds']} s "
            f"| {phase['puts']} | {phase['gets']} | {phase['failed_puts']} "
            f"| {phase['seconds_to_done']} |"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    ok = all(p["done"] and p["stored_after"] == p["expected_stored"] for p in report["phases"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

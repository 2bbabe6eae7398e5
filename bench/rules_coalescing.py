"""How many PUTs N PagerDutyIncidentRules cost on one orchestration path, end to end.

Starts the devenv stack on loopback only (etcd, kube-apiserver and kube-controller-manager, the
PagerDuty simulator, the operator as a process), seeds a fresh service with two rules "made by
hand", and applies `--rules` (default 50) rules targeting that service's path in one `kubectl
apply`. Then it changes all of them at once (a second `kubectl apply`). For each phase it reports
the operator's GETs and PUTs of the path (from the simulator's request log) and the time until
every rule is Ready for its current generation. Bounded by `--timeout` per phase.

    .venv/bin/python bench/rules_coalescing.py
    .venv/bin/python bench/rules_coalescing.py --rules 100 --json out.json

Prints the results as JSON and one Markdown table row per phase.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pagerduty_devenv import ControlPlane
from pagerduty_devenv.stack import OperatorProcess, SimulatorProcess

REPO = Path(__file__).resolve().parents[1]
NAMESPACE = "bench-rules"
API_KEY = "y_SIMfake_acme_FULL1"  # the simulator's default seed (a fake key)
KEY_LABEL = "api_key:acme-full"
SERVICE_ID = "PBENCHR"
PATH = f"/event_orchestrations/services/{SERVICE_ID}"
GROUP_VERSION = "pagerduty.ops.dev/v1alpha1"


def _manifests(count: int, severity: str) -> str:
    documents: list[dict[str, Any]] = []
    for i in range(count):
        documents.append(
            {
                "apiVersion": GROUP_VERSION,
                "kind": "PagerDutyIncidentRule",
                "metadata": {"name": f"rule-{i:03d}"},
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


def _wait_ready(plane: ControlPlane, kind: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _not_ready(plane, kind) == 0:
            return True
        time.sleep(0.2)
    return False


def _path_counts(simulator: SimulatorProcess, since: int) -> dict[str, int]:
    entries = simulator.admin("GET", "requests", params={"since": since})["requests"]
    mine = [e for e in entries if e["credential"] == KEY_LABEL and e["path"] == PATH]
    return {
        "gets": sum(1 for e in mine if e["method"] == "GET"),
        "puts": sum(1 for e in mine if e["method"] == "PUT" and e["status"] == 200),
        "failed_puts": sum(1 for e in mine if e["method"] == "PUT" and e["status"] != 200),
    }


def _phase(
    plane: ControlPlane, simulator: SimulatorProcess, name: str, manifests: str, timeout: float
) -> dict[str, Any]:
    since = int(simulator.admin("GET", "requests", params={"entries": "false"})["last_seq"])
    started = time.monotonic()
    plane.kubectl("apply", "-n", NAMESPACE, "-f", "-", input=manifests)
    ready = _wait_ready(plane, "pagerdutyincidentrules", timeout)
    seconds = time.monotonic() - started
    return {"phase": name, "ready": ready, "seconds_to_ready": round(seconds, 2)} | _path_counts(
        simulator, since
    )


def _stored_rules(simulator: SimulatorProcess) -> int:
    state = simulator.admin("GET", "state")
    for account in state["accounts"]:
        for service in account.get("services") or []:
            if service["id"] == SERVICE_ID:
                path = service.get("orchestration") or {}
                return sum(len(s.get("rules") or []) for s in path.get("sets") or [])
    return -1


def run(rules: int, timeout: float, work_dir: Path) -> dict[str, Any]:
    plane = ControlPlane(work_dir=work_dir / "controlplane")
    simulator = SimulatorProcess(work_dir)
    operator: OperatorProcess | None = None
    try:
        plane.start()
        simulator.start()
        plane.kubectl("apply", "--server-side", "-f", str(REPO / "crds"))
        plane.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
        simulator.admin(
            "POST",
            "seed",
            json={
                "accounts": [
                    {
                        "subdomain": "acme",
                        "services": [{"id": SERVICE_ID, "name": "Bench rules"}],
                    }
                ]
            },
        )
        simulator.admin(
            "PUT",
            f"accounts/acme{PATH}",
            json={
                "orchestration_path": {
                    "sets": [
                        {
                            "id": "start",
                            "rules": [
                                {"label": "by hand 1", "actions": {"severity": "info"}},
                                {"label": "by hand 2", "actions": {"suppress": True}},
                            ],
                        }
                    ]
                }
            },
        )
        # A long resync: the counts are the reaction to the applies, not periodic re-reads.
        operator = OperatorProcess(
            work_dir, plane.kubeconfig, simulator, namespaces=[NAMESPACE], resync_seconds=600
        )
        operator.start()
        plane.kubectl("create", "namespace", NAMESPACE)
        setup = [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "bench-key"},
                "stringData": {"token": API_KEY},
            },
            {
                "apiVersion": GROUP_VERSION,
                "kind": "PagerDutyIntegration",
                "metadata": {"name": "bench"},
                "spec": {
                    "serviceId": SERVICE_ID,
                    "credentials": {
                        "apiKey": {"secretKeyRef": {"name": "bench-key", "key": "token"}}
                    },
                },
            },
        ]
        plane.kubectl(
            "apply", "-n", NAMESPACE, "-f", "-", input="\n---\n".join(json.dumps(d) for d in setup)
        )
        if not _wait_ready(plane, "pagerdutyintegrations", timeout):
            raise RuntimeError("the integration did not become Ready")
        phases = [
            _phase(plane, simulator, "create", _manifests(rules, "warning"), timeout),
            _phase(plane, simulator, "update", _manifests(rules, "error"), timeout),
        ]
        return {
            "rules": rules,
            "phases": phases,
            "rules_stored": _stored_rules(simulator),
            "expected_stored": rules + 2,
        }
    finally:
        if operator is not None:
            operator.stop()
        simulator.stop()
        plane.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=50, help="rules on the one path")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per phase")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pdo-bench-rules-") as tmp:
        report = run(args.rules, args.timeout, Path(tmp))
    print(json.dumps(report, indent=2))
    print("\n| phase | rules | PUTs | GETs | failed PUTs | seconds to all Ready |")
    print("|---|---|---|---|---|---|")
    for phase in report["phases"]:
        print(
            f"| {phase['phase']} | {report['rules']} | {phase['puts']} | {phase['gets']} "
            f"| {phase['failed_puts']} | {phase['seconds_to_ready']} |"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    ok = all(p["ready"] for p in report["phases"])
    return 0 if ok and report["rules_stored"] == report["expected_stored"] else 1


if __name__ == "__main__":
    sys.exit(main())

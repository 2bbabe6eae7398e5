"""The local demo: a real control plane, the PagerDuty simulator, the operator, the examples.

`make demo` runs until Ctrl-C and prints how to use kubectl against it; `make demo ARGS=--once`
stops once everything converged (exit code 1 if something did not become Ready).
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from pagerduty_devenv import ControlPlane
from pagerduty_devenv.stack import OperatorProcess, SimulatorProcess

REPO = Path(__file__).resolve().parents[1]
KINDS = ("pagerdutyintegrations", "pagerdutywebhooks", "pagerdutyincidentrules")
DEFAULT_EXAMPLES = ("service-scoped", "account-scoped", "oauth")


class _Stop(Exception):
    pass


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def _not_ready(plane: ControlPlane, namespace: str) -> list[str]:
    listing = json.loads(
        plane.kubectl("get", ",".join(KINDS), "-n", namespace, "-o", "json").stdout
    )
    waiting = []
    for item in listing["items"]:
        conditions = {c["type"]: c for c in (item.get("status") or {}).get("conditions") or []}
        ready = conditions.get("Ready", {})
        if ready.get("status") != "True":
            reason = ready.get("reason", "NotReconciled")
            waiting.append(f"{item['kind']}/{item['metadata']['name']}: {reason}")
    return waiting


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--once", action="store_true", help="exit once everything is Ready")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--examples", nargs="*", default=list(DEFAULT_EXAMPLES))
    parser.add_argument("--work-dir", type=Path, default=REPO / ".demo")
    args = parser.parse_args()
    work_dir: Path = args.work_dir.resolve()
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    plane = ControlPlane(work_dir=work_dir / "controlplane")
    simulator = SimulatorProcess(work_dir)
    operator: OperatorProcess | None = None
    try:
        print("starting the control plane (etcd, kube-apiserver, kube-controller-manager) ...")
        plane.start()
        print("starting the PagerDuty simulator ...")
        simulator.start()
        plane.kubectl("apply", "--server-side", "-f", str(REPO / "crds"))
        plane.kubectl("wait", "--for=condition=Established", "crd", "-l", "", "--all")
        print("starting the operator ...")
        operator = OperatorProcess(work_dir, plane.kubeconfig, simulator, resync_seconds=60)
        operator.start()
        for example in args.examples:
            namespace = f"demo-{example}"
            plane.kubectl("create", "namespace", namespace)
            for path in sorted((REPO / "examples" / example).glob("*.yaml")):
                plane.kubectl("apply", "-n", namespace, "-f", str(path))
        deadline = time.monotonic() + args.timeout
        waiting = ["(not checked yet)"]
        while waiting and time.monotonic() < deadline:
            time.sleep(1)
            waiting = [w for example in args.examples for w in _not_ready(plane, f"demo-{example}")]
        print(plane.kubectl("get", "pagerduty", "-A").stdout)
        state = simulator.admin("GET", "state")
        subscriptions = [
            s for account in state["accounts"] for s in account.get("webhook_subscriptions", [])
        ]
        print(f"the simulator holds {len(subscriptions)} webhook subscriptions")
        if waiting:
            print("not Ready in time:\n  " + "\n  ".join(waiting), file=sys.stderr)
            print(f"operator log: {operator.log_path}", file=sys.stderr)
            return 1
        print("everything is Ready.")
        if args.once:
            return 0
        print(f"\nexport KUBECONFIG={plane.kubeconfig}")
        print(f"simulator: {simulator.us_url} (admin API under /_simulator/, docs/simulator.md)")
        print(f"operator log: {operator.log_path}\nCtrl-C stops everything.")
        while True:
            time.sleep(3600)
    except _Stop:
        return 0
    finally:
        if operator is not None:
            operator.stop()
        simulator.stop()
        plane.stop()


if __name__ == "__main__":
    sys.exit(main())

"""The chart on the test control plane: identities, the Deployment run as a process, can-i.

There is no kubelet in the test control plane, so the Deployment's pod never starts. Instead
`DeploymentProcess` runs the Deployment's container as a local process: the image's entrypoint
(`pagerduty-operator run`) with the container's `args` and `env` exactly as installed, and the
ServiceAccount's own token (TokenRequest) in place of the pod's mounted token.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from pagerduty_devenv import ControlPlane
from pagerduty_devenv.processes import ManagedProcess
from pagerduty_devenv.stack import console_script

KINDS = ("pagerdutyintegrations", "pagerdutywebhooks", "pagerdutyincidentrules")
CONVERGE_SECONDS = 90.0
"""Upper bound of the chart tests' waits on the operator run from the chart."""


def unique(prefix: str) -> str:
    """A namespace name no other test uses (and no shared operator watches: not `pdo-`/`pdk-`)."""
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Identity:
    """A ServiceAccount and a kubeconfig holding a token issued for it."""

    namespace: str
    name: str
    kubeconfig: Path

    @classmethod
    def of(cls, plane: ControlPlane, namespace: str, name: str) -> Identity:
        token = plane.token_for_service_account(namespace, name)
        return cls(namespace, name, plane.kubeconfig_for_token(token))

    def can_i(
        self,
        plane: ControlPlane,
        verb: str,
        resource: str,
        namespace: str | None = None,
        *,
        subresource: str | None = None,
        all_namespaces: bool = False,
    ) -> bool:
        """`kubectl auth can-i` as this identity."""
        args = ["auth", "can-i", verb, resource]
        if subresource is not None:
            args.append(f"--subresource={subresource}")
        if all_namespaces:
            args.append("--all-namespaces")
        elif namespace is not None:
            args.append(f"--namespace={namespace}")
        result = plane.kubectl(*args, check=False, kubeconfig=self.kubeconfig)
        answer = result.stdout.strip()
        if answer not in ("yes", "no"):
            raise AssertionError(f"kubectl auth can-i {verb} {resource}: {result.stderr.strip()}")
        return answer == "yes"


def installed_container(plane: ControlPlane, namespace: str, deployment: str) -> dict[str, Any]:
    """The operator container of the Deployment as the apiserver stores it."""
    obj = json.loads(
        plane.kubectl("get", "deployment", deployment, "-n", namespace, "-o", "json").stdout
    )
    containers = obj["spec"]["template"]["spec"]["containers"]
    container: dict[str, Any] = next(c for c in containers if c["name"] == "operator")
    return container


class DeploymentProcess:
    """The Deployment's operator container run as a local process with a ServiceAccount token."""

    def __init__(self, work_dir: Path, container: dict[str, Any], identity: Identity) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PDO_")}
        for entry in container.get("env") or []:
            if "value" in entry:
                env[entry["name"]] = entry["value"]
        env["KUBECONFIG"] = str(identity.kubeconfig)
        env["PYTHONUNBUFFERED"] = "1"
        # The image's ENTRYPOINT is `pagerduty-operator run`; Kubernetes appends `args`.
        argv = [*console_script(), "run", *container["args"]]
        self.container = container
        self.health_port = _port_of(container, "health")
        self.metrics_port = _port_of(container, "metrics")
        self.log_path = work_dir / "operator.log"
        self.process = ManagedProcess("operator-from-chart", argv, self.log_path, env=env)

    def start(self, timeout: float = 60.0) -> None:
        self.process.start()
        self.process.wait_healthy(f"http://127.0.0.1:{self.health_port}/healthz", timeout)

    def stop(self) -> None:
        self.process.stop()

    def metrics(self) -> str:
        return httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).text

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _port_of(container: dict[str, Any], name: str) -> int:
    for port in container.get("ports") or []:
        if port.get("name") == name:
            return int(port["containerPort"])
    raise AssertionError(f"the container has no port named {name}")


def list_objects(plane: ControlPlane, namespace: str) -> list[dict[str, Any]]:
    """Every custom resource of the three kinds in `namespace`, with its managedFields."""
    out = plane.kubectl(
        "get", ",".join(KINDS), "-n", namespace, "-o", "json", "--show-managed-fields"
    ).stdout
    items: list[dict[str, Any]] = json.loads(out)["items"]
    return items


def ready_state(obj: dict[str, Any]) -> str:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return f"{condition.get('status')}/{condition.get('reason')}"
    return "no status"


def all_ready(plane: ControlPlane, namespace: str, expected: int) -> bool:
    items = list_objects(plane, namespace)
    return len(items) == expected and all(ready_state(i) == "True/Ready" for i in items)


def describe(plane: ControlPlane, namespace: str) -> str:
    return ", ".join(
        f"{i['kind']}/{i['metadata']['name']}={ready_state(i)}"
        for i in list_objects(plane, namespace)
    )

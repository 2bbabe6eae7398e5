"""The real kube-apiserver validates what the chart renders, and enforces restricted on its pod.

Every value set goes through a server-side dry-run apply; the Deployment's pod template goes
through a dry-run create in a namespace that enforces the restricted Pod Security Standard.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chart_helpers import VALUE_SETS, Helm, documents, one

from pagerduty_devenv import ControlPlane

# The namespaces the value sets name: the release namespace, the watched ones, the
# ServiceMonitor's.
NAMESPACES = ("pagerduty-operator", "team-a", "team-b", "monitoring")


@pytest.fixture(scope="module")
def value_set_namespaces(control_plane: ControlPlane) -> Iterator[None]:
    manifest = "\n---\n".join(
        json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}})
        for n in NAMESPACES
    )
    control_plane.kubectl("apply", "-f", "-", input=manifest)
    yield
    control_plane.kubectl("delete", "namespace", *NAMESPACES, "--wait=false", "--ignore-not-found")


@pytest.fixture(scope="module")
def restricted_namespace(control_plane: ControlPlane) -> Iterator[str]:
    """A namespace where the apiserver enforces the restricted Pod Security Standard."""
    name = "chart-restricted"
    control_plane.kubectl("create", "namespace", name)
    control_plane.kubectl(
        "label",
        "namespace",
        name,
        "pod-security.kubernetes.io/enforce=restricted",
        "pod-security.kubernetes.io/enforce-version=latest",
    )
    yield name
    control_plane.kubectl("delete", "namespace", name, "--wait=false")


@pytest.mark.usefixtures("value_set_namespaces", "servicemonitor_crd")
@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_the_apiserver_accepts_every_rendered_object(
    helm: Helm, control_plane: ControlPlane, name: str
) -> None:
    rendered = helm.template(VALUE_SETS[name], include_crds=True)
    kinds = sorted({d["kind"] for d in documents(rendered)})
    result = control_plane.kubectl(
        "apply",
        "--server-side",
        "--dry-run=server",
        "--field-manager=chart-dry-run",
        "-o",
        "json",
        "-f",
        "-",
        input=rendered,
    )
    accepted = json.loads(result.stdout)
    accepted_items = accepted["items"] if accepted.get("kind") == "List" else [accepted]
    assert sorted({i["kind"] for i in accepted_items}) == kinds
    assert len(accepted_items) == len(documents(rendered))


@pytest.mark.usefixtures("value_set_namespaces", "servicemonitor_crd")
@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("tolerations[0].bogus=1", "field not declared in schema"),
        ("metrics.serviceMonitor.relabelings[0].action=Nope", "Unsupported value"),
        ("resources.limits.memory=lots", "quantities must match"),
    ],
)
def test_the_dry_run_does_refuse_what_kubernetes_would_refuse(
    helm: Helm, control_plane: ControlPlane, setting: str, complaint: str
) -> None:
    """The check above can fail: values the schema lets through but Kubernetes refuses."""
    rendered = helm.template(VALUE_SETS["full"], (setting,))
    result = control_plane.kubectl(
        "apply", "--server-side", "--dry-run=server", "-f", "-", input=rendered, check=False
    )
    assert result.returncode != 0
    assert complaint in result.stderr


def _pod_from(deployment: dict[str, Any], namespace: str) -> dict[str, Any]:
    template = deployment["spec"]["template"]
    spec = dict(template["spec"])
    # The chart's ServiceAccount does not exist in this namespace; PodSecurity does not look at it.
    spec.pop("serviceAccountName", None)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "pod-security-probe", "namespace": namespace},
        "spec": spec,
    }


def _create_dry_run(plane: ControlPlane, pod: dict[str, Any]) -> tuple[int, str]:
    result = plane.kubectl(
        "create", "--dry-run=server", "-f", "-", input=json.dumps(pod), check=False
    )
    return result.returncode, result.stderr


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_the_pod_passes_the_restricted_pod_security_standard(
    helm: Helm, control_plane: ControlPlane, restricted_namespace: str, name: str
) -> None:
    deployment = one(documents(helm.template(VALUE_SETS[name])), "Deployment")
    code, stderr = _create_dry_run(control_plane, _pod_from(deployment, restricted_namespace))
    assert code == 0, stderr


def test_the_restricted_namespace_does_refuse_a_pod_without_the_security_settings(
    helm: Helm, control_plane: ControlPlane, restricted_namespace: str
) -> None:
    """The check above can fail: the same pod without its security contexts is refused."""
    deployment = one(documents(helm.template()), "Deployment")
    pod = _pod_from(deployment, restricted_namespace)
    pod["spec"].pop("securityContext")
    for container in pod["spec"]["containers"]:
        container.pop("securityContext")
    code, stderr = _create_dry_run(control_plane, pod)
    assert code != 0
    assert "violates PodSecurity" in stderr

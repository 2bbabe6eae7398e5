"""The local control plane is a real Kubernetes API: kubectl, CEL, tokens + RBAC, GC, clean stop."""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pagerduty_devenv import (
    BinariesNotFoundError,
    ControlPlane,
    ControlPlaneError,
    Kubectl,
    KubectlError,
    find_bin_dir,
)
from pagerduty_devenv.processes import process_group_alive

REPO_ROOT = Path(__file__).resolve().parents[2]
POLL_LIMIT_SECONDS = 90.0


def eventually(condition: Callable[[], bool], what: str) -> None:
    """Retry ``condition`` until true: controllers and caches converge asynchronously."""
    deadline = time.monotonic() + POLL_LIMIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never observed: {what}")
        time.sleep(0.2)


def pinned_k8s_version() -> str:
    for line in (REPO_ROOT / "hack" / "versions.env").read_text().splitlines():
        if line.startswith("K8S_VERSION="):
            return line.split("=", 1)[1].strip()
    raise AssertionError("K8S_VERSION missing from hack/versions.env")


def test_kubectl_talks_to_the_pinned_apiserver(
    kubectl: Kubectl, control_plane: ControlPlane
) -> None:
    assert kubectl("get", "namespace", "default", "-o", "name").stdout.strip() == (
        "namespace/default"
    )
    version = json.loads(kubectl("version", "-o", "json").stdout)
    assert version["serverVersion"]["gitVersion"] == pinned_k8s_version()
    assert control_plane.server.startswith("https://127.0.0.1:")
    assert stat.S_IMODE(control_plane.kubeconfig.stat().st_mode) == 0o600


CEL_CRD_NAME = "ranges.celcheck.devenv.test"
CEL_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ranges.celcheck.devenv.test
spec:
  group: celcheck.devenv.test
  scope: Namespaced
  names: {plural: ranges, singular: range, kind: Range, listKind: RangeList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [min, max]
              properties:
                min: {type: integer}
                max: {type: integer}
              x-kubernetes-validations:
                - rule: self.min <= self.max
                  message: min must not exceed max
"""


def _range(namespace: str, name: str, low: int, high: int) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "celcheck.devenv.test/v1",
            "kind": "Range",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"min": low, "max": high},
        }
    )


def test_cel_validation_rejects_a_bad_object(kubectl: Kubectl, namespace: str) -> None:
    kubectl("apply", "--server-side", "-f", "-", input=CEL_CRD)
    kubectl("wait", "--for=condition=Established", "--timeout=60s", f"crd/{CEL_CRD_NAME}")
    kubectl("apply", "-f", "-", input=_range(namespace, "good", 1, 2))

    rejected = kubectl("apply", "-f", "-", input=_range(namespace, "bad", 3, 2), check=False)

    assert rejected.returncode != 0
    assert "min must not exceed max" in rejected.stderr
    assert "spec" in rejected.stderr
    missing = kubectl("get", CEL_CRD_NAME, "bad", "-n", namespace, check=False)
    assert "NotFound" in missing.stderr
    kubectl("delete", "crd", CEL_CRD_NAME, "--wait=false")


def _can_list_configmaps(control_plane: ControlPlane, kubeconfig: Path, namespace: str) -> str:
    result = control_plane.kubectl(
        "auth", "can-i", "list", "configmaps", "-n", namespace, kubeconfig=kubeconfig, check=False
    )
    return result.stdout.strip()


def test_service_account_token_authenticates_and_rbac_decides(
    control_plane: ControlPlane, kubectl: Kubectl, namespace: str
) -> None:
    kubectl("create", "serviceaccount", "robot", "-n", namespace)
    token = control_plane.token_for_service_account(namespace, "robot")
    as_robot = control_plane.kubeconfig_for_token(token, namespace=namespace)
    assert stat.S_IMODE(as_robot.stat().st_mode) == 0o600

    whoami = control_plane.kubectl("auth", "whoami", "-o", "json", kubeconfig=as_robot)
    username = json.loads(whoami.stdout)["status"]["userInfo"]["username"]
    assert username == f"system:serviceaccount:{namespace}:robot"

    assert _can_list_configmaps(control_plane, as_robot, namespace) == "no"
    denied = control_plane.kubectl("get", "configmaps", kubeconfig=as_robot, check=False)
    assert "Forbidden" in denied.stderr

    kubectl(
        "create", "role", "read-cm", "--verb=get,list", "--resource=configmaps", f"-n={namespace}"
    )
    kubectl(
        "create", "rolebinding", "robot-reads", "--role=read-cm",
        f"--serviceaccount={namespace}:robot", "-n", namespace,
    )  # fmt: skip
    eventually(
        lambda: _can_list_configmaps(control_plane, as_robot, namespace) == "yes",
        "the RoleBinding taking effect",
    )
    control_plane.kubectl("get", "configmaps", kubeconfig=as_robot)
    assert _can_list_configmaps(control_plane, as_robot, "default") == "no"


def test_token_for_another_audience_is_not_accepted(
    control_plane: ControlPlane, kubectl: Kubectl, namespace: str
) -> None:
    kubectl("create", "serviceaccount", "elsewhere", "-n", namespace)
    token = control_plane.token_for_service_account(
        namespace, "elsewhere", audiences=["https://not-this-apiserver.invalid"]
    )
    config = control_plane.kubeconfig_for_token(token)
    result = control_plane.kubectl("auth", "whoami", kubeconfig=config, check=False)
    assert result.returncode != 0
    assert "Unauthorized" in result.stderr or "provide credentials" in result.stderr


def test_kubectl_errors_never_show_a_token(control_plane: ControlPlane, namespace: str) -> None:
    token = "not-a-real-token-but-treated-as-secret-0123456789"
    with pytest.raises(KubectlError) as caught:
        control_plane.kubectl("--token", token, "get", "nosuchkinds", "-n", namespace)
    with pytest.raises(KubectlError) as caught_inline:
        control_plane.kubectl(f"--token={token}", "get", "nosuchkinds", "-n", namespace)
    for error in (caught.value, caught_inline.value):
        assert token not in str(error)
        assert token not in repr(error)
        assert "<redacted>" in str(error)


def _exists(kubectl: Kubectl, kind: str, name: str, namespace: str) -> bool:
    result = kubectl("get", kind, name, "-n", namespace, "--ignore-not-found", "-o", "name")
    return bool(result.stdout.strip())


def test_garbage_collector_removes_dependents_of_a_deleted_owner(
    kubectl: Kubectl, namespace: str
) -> None:
    kubectl("create", "configmap", "owner", "-n", namespace)
    owner_uid = kubectl(
        "get", "configmap", "owner", "-n", namespace, "-o", "jsonpath={.metadata.uid}"
    ).stdout.strip()
    dependent = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "dependent",
            "namespace": namespace,
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner_uid}
            ],
        },
    }
    kubectl("apply", "-f", "-", input=yaml.safe_dump(dependent))
    assert _exists(kubectl, "configmap", "dependent", namespace)

    kubectl("delete", "configmap", "owner", "-n", namespace, "--cascade=background")

    eventually(
        lambda: not _exists(kubectl, "configmap", "dependent", namespace),
        "the garbage collector deleting the dependent",
    )


def test_new_namespaces_get_a_default_service_account(kubectl: Kubectl, namespace: str) -> None:
    eventually(
        lambda: _exists(kubectl, "serviceaccount", "default", namespace),
        "the serviceaccount controller creating `default`",
    )


@pytest.mark.e2e
def test_a_separate_control_plane_stops_without_leftovers() -> None:
    plane = ControlPlane()
    plane.start()
    try:
        pids = plane.pids
        work_dir = plane.work_dir
        assert len(pids) == 3
        assert all(process_group_alive(pid) for pid in pids)
        assert plane.kubectl("get", "--raw", "/readyz").stdout.strip() == "ok"
    finally:
        plane.stop()
    assert [pid for pid in pids if process_group_alive(pid)] == []
    assert not work_dir.exists()
    plane.stop()  # idempotent


@pytest.mark.e2e
def test_a_component_that_dies_fails_start_with_its_log(tmp_path: Path) -> None:
    real_bin = find_bin_dir()
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "etcd").symlink_to(real_bin / "etcd")
    (fake_bin / "kube-controller-manager").symlink_to(real_bin / "kube-controller-manager")
    apiserver = fake_bin / "kube-apiserver"
    apiserver.write_text("#!/bin/sh\necho apiserver-broke-on-purpose >&2\nexit 3\n")
    apiserver.chmod(0o755)
    work_dir = tmp_path / "work"
    plane = ControlPlane(work_dir, fake_bin, start_timeout=60)

    with pytest.raises(ControlPlaneError) as caught:
        plane.start()

    message = str(caught.value)
    assert "kube-apiserver exited with code 3" in message
    assert "apiserver-broke-on-purpose" in message
    assert plane.pids == []
    assert (work_dir / "logs" / "etcd.log").exists()
    etcd_pids = [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _cmdline(entry).startswith(str(fake_bin / "etcd"))
    ]
    assert etcd_pids == []


def _cmdline(proc_entry: Path) -> str:
    try:
        return (proc_entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_bin_dir_env_is_honoured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PDO_BIN_DIR", str(tmp_path))
    with pytest.raises(BinariesNotFoundError) as caught:
        find_bin_dir()
    assert "kube-apiserver" in str(caught.value)
    assert os.fspath(tmp_path) in str(caught.value)

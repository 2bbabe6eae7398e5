"""Least privilege, proven: the chart's ServiceAccount runs the operator end to end, and no more.

Each test helm-installs the chart into the test control plane, issues a token for the chart's
ServiceAccount (TokenRequest), runs the Deployment's container as a process with that token
against the PagerDuty simulator, takes the service-scoped example (an integration that publishes
a routing key, a webhook with its signing secret, five incident rules; cluster-wide also the
OAuth example, whose user token the operator refreshes into its Secret) to Ready and deletes it
through the finalizers; then `kubectl auth can-i` as that identity shows what it cannot do.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from argocd_lua import evaluate
from chart_cluster import (
    CONVERGE_SECONDS,
    DeploymentProcess,
    Identity,
    all_ready,
    describe,
    installed_container,
    list_objects,
    unique,
)
from chart_helpers import CHART_DIR, REPO, Helm

from pagerduty_devenv import ControlPlane
from pagerduty_devenv.processes import free_port
from pagerduty_devenv.stack import SimulatorProcess
from support.waiting import wait_for

EXAMPLE = REPO / "examples" / "service-scoped"
OAUTH_EXAMPLE = REPO / "examples" / "oauth"
CR = "pagerduty.ops.dev"
WEBHOOKS, RULES, INTEGRATIONS = (
    f"{p}.{CR}" for p in ("pagerdutywebhooks", "pagerdutyincidentrules", "pagerdutyintegrations")
)
GITOPS_MANAGER = "gitops"


@dataclass
class Install:
    """One helm release of the chart and the operator running as its Deployment."""

    plane: ControlPlane
    helm: Helm
    release: str
    namespace: str
    identity: Identity
    operator: DeploymentProcess

    def wait_all_ready(self, namespace: str, expected: int, *, what: str) -> None:
        """Wait until `expected` custom resources of `namespace` are Ready (fails with the log)."""
        wait_for(
            lambda: all_ready(self.plane, namespace, expected),
            what=what,
            timeout=CONVERGE_SECONDS,
            describe=lambda: (
                f"{describe(self.plane, namespace)}\n{self.operator.process.log_tail()}"
            ),
        )

    def uninstall(self) -> None:
        self.operator.stop()
        self.helm.run("uninstall", self.release, f"--namespace={self.namespace}", check=False)
        self.plane.kubectl("delete", "namespace", self.namespace, "--wait=false", check=False)


def install(
    plane: ControlPlane,
    sim: SimulatorProcess,
    work_dir: Path,
    sets: list[str],
) -> Install:
    release, namespace = unique("pdo"), unique("chart-op")
    helm = Helm(Path(plane.bin_dir) / "helm", kubeconfig=plane.kubeconfig)
    # The CRDs are cluster-wide and shared by every release these tests install: applied once
    # here as the repository's crds/ (templated by the chart, they would belong to one release).
    plane.kubectl(
        "apply", "--server-side", "--force-conflicts", "--field-manager=pdo-tests",
        f"--filename={REPO / 'crds'}",
    )  # fmt: skip
    helm.run(
        "install", release, str(CHART_DIR), f"--namespace={namespace}", "--create-namespace",
        f"--set=operator.healthPort={free_port()}",
        f"--set=operator.metricsPort={free_port()}",
        f"--set=operator.pagerduty.apiUrlUs={sim.us_url}",
        f"--set=operator.pagerduty.eventsUrlUs={sim.us_url}",
        f"--set=operator.pagerduty.apiUrlEu={sim.eu_url}",
        f"--set=operator.pagerduty.eventsUrlEu={sim.eu_url}",
        f"--set=operator.pagerduty.oauthUrl={sim.us_url}",
        "--set=crds.enabled=false",
        *(f"--set={s}" for s in sets),
    )  # fmt: skip
    plane.kubectl(
        "wait", "--for=condition=Established", "--timeout=60s",
        *(f"crd/{kind.split('.')[0]}.{CR}" for kind in (INTEGRATIONS, WEBHOOKS, RULES)),
    )  # fmt: skip
    account = f"{release}-pagerduty-operator"
    identity = Identity.of(plane, namespace, account)
    container = installed_container(plane, namespace, account)
    operator = DeploymentProcess(work_dir, container, identity)
    operator.start()
    return Install(plane, helm, release, namespace, identity, operator)


def account_of(release: Install) -> str:
    """The release's full name: its ServiceAccount, Deployment and Lease are named so."""
    return f"{release.release}-pagerduty-operator"


def terminating_namespaces(plane: ControlPlane) -> list[str]:
    listed = json.loads(plane.kubectl("get", "namespaces", "-o", "json").stdout)
    return [
        ns["metadata"]["name"]
        for ns in listed["items"]
        if (ns.get("status") or {}).get("phase") == "Terminating"
    ]


def wait_until_no_namespace_terminates(plane: ControlPlane) -> None:
    """Let namespaces that earlier tests deleted go before a cluster-wide operator starts.

    It would reconcile their dying resources too: for the OAuth example that means spending the
    example's one-time refresh token (the same in every copy) on a Secret it can no longer write.
    """
    wait_for(
        lambda: not terminating_namespaces(plane),
        what="the namespaces of earlier tests to be deleted",
        timeout=CONVERGE_SECONDS,
        describe=lambda: ", ".join(terminating_namespaces(plane)),
    )


def apply_examples(plane: ControlPlane, namespace: str, *dirs: Path) -> None:
    args = [f"--filename={d}" for d in dirs]
    manager = f"--field-manager={GITOPS_MANAGER}"
    plane.kubectl("apply", "--server-side", manager, f"--namespace={namespace}", *args)


def custom_resource_count(*dirs: Path) -> int:
    return sum(
        1
        for d in dirs
        for path in d.glob("*.yaml")
        for doc in yaml.safe_load_all(path.read_text())
        if isinstance(doc, dict) and doc.get("apiVersion", "").startswith(f"{CR}/")
    )


def custom_resource_manifests(*dirs: Path) -> str:
    """The example's custom resources only (Secrets are not the operator's business)."""
    docs = [
        doc
        for d in dirs
        for path in sorted(d.glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if isinstance(doc, dict) and doc.get("apiVersion", "").startswith(f"{CR}/")
    ]
    return yaml.safe_dump_all(docs)


def delete_custom_resources(plane: ControlPlane, namespace: str) -> None:
    plane.kubectl(
        "delete",
        f"{RULES},{WEBHOOKS},{INTEGRATIONS}",
        "--all",
        f"--namespace={namespace}",
        "--wait=false",
    )
    wait_for(
        lambda: not list_objects(plane, namespace),
        what=f"the custom resources of {namespace} to be finalized",
        timeout=CONVERGE_SECONDS,
    )


def markers_in_pagerduty(sim: SimulatorProcess, namespace: str) -> int:
    """Subscriptions and rules in the simulator that carry this namespace's ownership marker."""
    return json.dumps(sim.admin("GET", "state")).count(f"[k8s:{namespace}/")


def secret(plane: ControlPlane, namespace: str, name: str) -> dict[str, Any] | None:
    result = plane.kubectl(
        "get", "secret", name, f"--namespace={namespace}", "-o", "json", check=False
    )
    if result.returncode != 0:
        return None
    obj: dict[str, Any] = json.loads(result.stdout)
    return obj


def digest_of_key(obj: dict[str, Any], key: str) -> str:
    """A digest of one Secret key's value, so that no value reaches test output."""
    return hashlib.sha256(base64.b64decode(obj["data"][key])).hexdigest()


def example_secret_digest(directory: Path, name: str, key: str) -> str:
    for path in directory.glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if (
                isinstance(doc, dict)
                and doc.get("kind") == "Secret"
                and doc["metadata"]["name"] == name
            ):
                return hashlib.sha256(doc["stringData"][key].encode()).hexdigest()
    raise AssertionError(f"no Secret {name} in {directory}")


def event_reasons(plane: ControlPlane, namespace: str) -> set[str]:
    events = json.loads(
        plane.kubectl("get", "events", f"--namespace={namespace}", "-o", "json").stdout
    )
    return {
        e["reason"]
        for e in events["items"]
        if e["involvedObject"].get("apiVersion", "").startswith(f"{CR}/")
    }


def forbidden_lines(log: str) -> list[str]:
    """Log lines where RBAC refused the operator's ServiceAccount something."""
    return [
        line[:300]
        for line in log.splitlines()
        if "forbidden" in line.lower() and "system:serviceaccount:" in line
    ]


@pytest.fixture
def tenant(control_plane: ControlPlane) -> Iterator[str]:
    name = unique("chart-team")
    control_plane.kubectl("create", "namespace", name)
    yield name
    control_plane.kubectl("delete", "namespace", name, "--wait=false")


@pytest.fixture
def other_tenant(control_plane: ControlPlane) -> Iterator[str]:
    name = unique("chart-other")
    control_plane.kubectl("create", "namespace", name)
    yield name
    control_plane.kubectl("delete", "namespace", name, "--wait=false")


@pytest.mark.usefixtures("servicemonitor_crd")
def test_cluster_wide_install_runs_the_operator_with_least_privilege(
    control_plane: ControlPlane, simulator: SimulatorProcess, tenant: str, tmp_path: Path
) -> None:
    plane = control_plane
    wait_until_no_namespace_terminates(plane)
    release = install(plane, simulator, tmp_path, [])
    try:
        applied_token = example_secret_digest(
            OAUTH_EXAMPLE, "acme-alice-oauth-token", "access_token"
        )
        apply_examples(plane, tenant, EXAMPLE, OAUTH_EXAMPLE)
        expected = custom_resource_count(EXAMPLE, OAUTH_EXAMPLE)
        release.wait_all_ready(tenant, expected, what="every example resource Ready")

        # The operator created and patched Secrets as the ServiceAccount: the routing key and
        # the signing secret it owns, and the refreshed user OAuth token written back.
        for name in ("checkout-routing-key", "checkout-incidents-signing-secret"):
            owned = secret(plane, tenant, name)
            assert owned is not None, f"Secret {name} was not written"
            assert [r["apiVersion"] for r in owned["metadata"]["ownerReferences"]] == [
                f"{CR}/v1alpha1"
            ]
        refreshed = secret(plane, tenant, "acme-alice-oauth-token")
        assert refreshed is not None
        assert digest_of_key(refreshed, "access_token") != applied_token
        # Events were posted (kopf's and the reconcilers'), and nothing was refused.
        assert {"Created"} <= event_reasons(plane, tenant)
        assert not forbidden_lines(release.operator.log())
        assert "pagerduty_operator_reconciles_total" in release.operator.metrics()
        assert markers_in_pagerduty(simulator, tenant) > 0
        # It reconciled as the leader, on the Lease the chart grants in its own namespace.
        assert "--leader-elect" in release.operator.container["args"]
        assert "pagerduty_operator_leader 1.0" in release.operator.metrics()
        lease = json.loads(
            plane.kubectl(
                "get", "lease", account_of(release), f"--namespace={release.namespace}",
                "-o", "json",
            ).stdout
        )  # fmt: skip
        assert lease["spec"]["holderIdentity"]

        # GitOps hygiene: the operator never wrote a spec, and re-applying the same manifests
        # changes nothing.
        objects = list_objects(plane, tenant)
        for obj in objects:
            name = f"{obj['kind']}/{obj['metadata']['name']}"
            assert obj["metadata"]["generation"] == 1, name
            spec_managers = {
                m["manager"]
                for m in obj["metadata"]["managedFields"]
                if "f:spec" in json.dumps(m.get("fieldsV1", {}))
            }
            assert spec_managers == {GITOPS_MANAGER}, name
            # Argo CD's health check agrees with the operator.
            health = evaluate(obj)
            assert health.status == "Healthy", f"{name}: {health}"
        diff = plane.kubectl(
            "diff", "--server-side", f"--field-manager={GITOPS_MANAGER}", f"--namespace={tenant}",
            "-f", "-", input=custom_resource_manifests(EXAMPLE, OAUTH_EXAMPLE), check=False,
        )  # fmt: skip
        assert diff.returncode == 0, f"re-applying the example would change:\n{diff.stdout[:2000]}"

        delete_custom_resources(plane, tenant)
        assert markers_in_pagerduty(simulator, tenant) == 0

        me = release.identity
        # What it needs, everywhere.
        for verb in ("get", "list", "watch", "create", "patch"):
            assert me.can_i(plane, verb, "secrets", tenant), verb
        assert me.can_i(plane, "list", "secrets", all_namespaces=True)
        assert me.can_i(plane, "patch", WEBHOOKS, tenant)
        assert me.can_i(plane, "patch", RULES, tenant, subresource="status")
        assert me.can_i(plane, "create", "events", tenant)
        assert me.can_i(plane, "watch", "customresourcedefinitions.apiextensions.k8s.io")
        lease = f"leases.coordination.k8s.io/{account_of(release)}"
        assert me.can_i(plane, "create", "leases.coordination.k8s.io", release.namespace)
        for verb in ("get", "update", "watch"):
            assert me.can_i(plane, verb, lease, release.namespace), verb
        # The standby's watch (lease_watch) as the apiserver authorizes it: by the field selector.
        leases = f"/apis/coordination.k8s.io/v1/namespaces/{release.namespace}/leases"
        one = f"{leases}?fieldSelector=metadata.name%3D{account_of(release)}&watch=true"
        for path, allowed in ((f"{one}&timeoutSeconds=1", True), (f"{leases}?watch=true", False)):
            watch = plane.kubectl("get", "--raw", path, check=False, kubeconfig=me.kubeconfig)
            assert (watch.returncode == 0) == allowed, (path, watch.stderr.strip())
        # And nothing more.
        denied = [
            ("delete", "secrets", tenant),
            ("update", "secrets", tenant),
            ("deletecollection", "secrets", tenant),
            ("create", WEBHOOKS, tenant),
            ("delete", WEBHOOKS, tenant),
            ("update", WEBHOOKS, tenant),
            ("update", INTEGRATIONS, tenant),
            ("delete", "namespaces", None),
            ("create", "namespaces", None),
            ("get", "customresourcedefinitions.apiextensions.k8s.io", None),
            ("patch", "customresourcedefinitions.apiextensions.k8s.io", None),
            ("delete", "customresourcedefinitions.apiextensions.k8s.io", None),
            ("get", "servicemonitors.monitoring.coreos.com", tenant),
            ("create", "servicemonitors.monitoring.coreos.com", tenant),
            ("get", "configmaps", tenant),
            ("create", "pods", tenant),
            ("list", "deployments.apps", tenant),
            ("create", "serviceaccounts/token", tenant),
            ("patch", "events", tenant),
            ("bind", "clusterroles.rbac.authorization.k8s.io", None),
            ("escalate", "clusterroles.rbac.authorization.k8s.io", None),
            ("impersonate", "serviceaccounts", tenant),
            ("list", "nodes", None),
            ("get", "leases.coordination.k8s.io/someone-elses", release.namespace),
            ("update", "leases.coordination.k8s.io/someone-elses", release.namespace),
            ("delete", lease, release.namespace),
            ("list", "leases.coordination.k8s.io", release.namespace),
            ("watch", "leases.coordination.k8s.io", release.namespace),
            ("watch", "leases.coordination.k8s.io/someone-elses", release.namespace),
            ("create", "leases.coordination.k8s.io", tenant),
            ("get", lease, "kube-system"),
        ]
        allowed = [(v, r, n) for v, r, n in denied if me.can_i(plane, v, r, n)]
        assert not allowed, f"the operator's identity may also {allowed}"
    finally:
        release.uninstall()


@pytest.mark.usefixtures("servicemonitor_crd")
def test_namespaced_install_sees_only_its_namespaces(
    control_plane: ControlPlane,
    simulator: SimulatorProcess,
    tenant: str,
    other_tenant: str,
    tmp_path: Path,
) -> None:
    """One watched namespace: a Role there; cluster-wide only list/watch CRDs and namespaces."""
    plane = control_plane
    release = install(plane, simulator, tmp_path, [f"watchNamespaces[0]={tenant}"])
    try:
        apply_examples(plane, tenant, EXAMPLE)
        apply_examples(plane, other_tenant, EXAMPLE)
        expected = custom_resource_count(EXAMPLE)
        release.wait_all_ready(tenant, expected, what="the watched namespace Ready")
        assert secret(plane, tenant, "checkout-incidents-signing-secret") is not None
        assert {"Created"} <= event_reasons(plane, tenant)
        # The namespace it does not watch is untouched: no status, no finalizer, no Secret.
        for obj in list_objects(plane, other_tenant):
            assert "status" not in obj, obj["metadata"]["name"]
            assert not obj["metadata"].get("finalizers"), obj["metadata"]["name"]
        assert secret(plane, other_tenant, "checkout-incidents-signing-secret") is None
        assert not forbidden_lines(release.operator.log())
        # A webhook whose integration does not exist: Argo CD's health check says Degraded,
        # with the operator's reason and message.
        broken = {
            "apiVersion": f"{CR}/v1alpha1",
            "kind": "PagerDutyWebhook",
            "metadata": {"name": "orphan", "namespace": tenant},
            "spec": {
                "integrationRef": {"name": "missing"},
                "url": "https://hooks.example.com/orphan",
                "signingSecretRef": {"name": "orphan-signing"},
            },
        }
        plane.kubectl("apply", "--server-side", "-f", "-", input=json.dumps(broken))
        degraded = wait_for(
            lambda: next(
                (
                    o
                    for o in list_objects(plane, tenant)
                    if o["metadata"]["name"] == "orphan" and "status" in o
                ),
                None,
            ),
            what="the orphan webhook's status",
            timeout=CONVERGE_SECONDS,
        )
        health = evaluate(degraded)
        assert health.status == "Degraded"
        assert health.message.startswith("IntegrationNotFound: ")
        # Dependents first, then the integration (it waits for its dependents otherwise).
        plane.kubectl("delete", f"{RULES},{WEBHOOKS}", "--all", f"--namespace={tenant}")
        delete_custom_resources(plane, tenant)
        assert markers_in_pagerduty(simulator, tenant) == 0

        me = release.identity
        for verb in ("get", "list", "watch", "create", "patch"):
            assert me.can_i(plane, verb, "secrets", tenant), verb
        assert me.can_i(plane, "patch", WEBHOOKS, tenant)
        assert me.can_i(plane, "patch", INTEGRATIONS, tenant, subresource="status")
        assert me.can_i(plane, "create", "events", tenant)
        assert me.can_i(plane, "list", "namespaces")
        denied = [
            ("get", "secrets", other_tenant),
            ("list", "secrets", other_tenant),
            ("get", "secrets", release.namespace),
            ("get", "secrets", "kube-system"),
            ("patch", WEBHOOKS, other_tenant),
            ("list", RULES, other_tenant),
            ("create", "events", other_tenant),
            ("get", "namespaces", None),
            ("get", "customresourcedefinitions.apiextensions.k8s.io", None),
            ("get", "servicemonitors.monitoring.coreos.com", tenant),
            ("delete", "namespaces", None),
            ("delete", "secrets", tenant),
            ("get", "configmaps", tenant),
        ]
        allowed = [(v, r, n) for v, r, n in denied if me.can_i(plane, v, r, n)]
        assert not allowed, f"the operator's identity may also {allowed}"
        assert not me.can_i(plane, "list", "secrets", all_namespaces=True)
    finally:
        release.uninstall()


def test_namespaced_install_without_cluster_scoped_reads(
    control_plane: ControlPlane, simulator: SimulatorProcess, tenant: str, tmp_path: Path
) -> None:
    """No cluster-scoped grant at all: the operator scans nothing cluster-wide and still works."""
    plane = control_plane
    release = install(
        plane,
        simulator,
        tmp_path,
        [f"watchNamespaces[0]={tenant}", "rbac.clusterScopedReads=false"],
    )
    try:
        assert "--no-cluster-scans" in release.operator.container["args"]
        me = release.identity
        assert not me.can_i(plane, "list", "namespaces")
        assert not me.can_i(plane, "list", "customresourcedefinitions.apiextensions.k8s.io")
        apply_examples(plane, tenant, EXAMPLE)
        release.wait_all_ready(tenant, custom_resource_count(EXAMPLE), what="the examples Ready")
        log = release.operator.log()
        # Neither refused reads nor kopf's retries of them (a minute of errors before).
        assert not forbidden_lines(log)
        assert "customresourcedefinitions" not in log
        delete_custom_resources(plane, tenant)
        assert markers_in_pagerduty(simulator, tenant) == 0
    finally:
        release.uninstall()

"""helm lint and helm template of the chart: structure, RBAC, schema, and the operator's CLI.

The value sets are the defaults, namespaced mode (`values/namespaced.yaml`) and every value
customised (`values/full.yaml`). The apiserver validates the same renders in
`test_chart_apiserver.py`.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import pytest
import yaml
from chart_helpers import (
    CHART_DIR,
    DOCS_INSTALL,
    VALUE_SETS,
    VALUES_DIR,
    Helm,
    HelmError,
    by_kind,
    chart_values,
    documents,
    one,
    operator_container,
    rules_of,
    value_leaves,
)

from pagerduty_operator.config import EndpointOverrides, LeaderElection, OperatorConfig
from pagerduty_operator.runtime.arguments import add_run_arguments, config_from_arguments

CR = "pagerduty.ops.dev"
KINDS = ("pagerdutyintegrations", "pagerdutywebhooks", "pagerdutyincidentrules")
OPERATOR_RULES = (
    {(CR, plural, verb) for plural in KINDS for verb in ("get", "list", "watch", "patch")}
    | {(CR, f"{plural}/status", "patch") for plural in KINDS}
    | {(CR, f"{plural}/finalizers", "update") for plural in KINDS[:2]}
    | {("", "secrets", verb) for verb in ("get", "list", "watch", "create", "patch")}
    | {("", "events", "create")}
)
CRD_READS = {("apiextensions.k8s.io", "customresourcedefinitions", v) for v in ("list", "watch")}
NAMESPACE_READS = {("", "namespaces", v) for v in ("list", "watch")}
CLUSTER_SCOPED = {"ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
LEADER_ROLE = "pdo-pagerduty-operator-leader-election"
LEASES = "coordination.k8s.io"


def render(helm: Helm, name: str, sets: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return documents(helm.template(VALUE_SETS[name], sets))


def operator_config(container: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> OperatorConfig:
    """What `pagerduty-operator run` makes of the container's args and env (the real parser)."""
    for name in [n for n in os.environ if n.startswith("PDO_")]:
        monkeypatch.delenv(name)
    for entry in container.get("env") or []:
        if "value" in entry:
            monkeypatch.setenv(entry["name"], entry["value"])
    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    return config_from_arguments(parser.parse_args(container["args"]))


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_lint_passes_strictly(helm: Helm, name: str) -> None:
    output = helm.lint(VALUE_SETS[name])
    assert "0 chart(s) failed" in output


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("replicas=2", "additional properties 'replicas' not allowed"),
        ("podDisruptionBudget.minAvaliable=1", "additional properties 'minAvaliable' not allowed"),
        ("leaderElection.leaseDuration=0", "/leaderElection/leaseDuration"),
        ("operator.resyncIntervall=5", "additional properties 'resyncIntervall' not allowed"),
        ("image.pullPolicy=Sometimes", "/image/pullPolicy"),
        ("operator.pagerduty.apiUrlUs=ftp://proxy", "/operator/pagerduty/apiUrlUs"),
        ("operator.logFormat=xml", "/operator/logFormat"),
        ("watchNamespaces[0]=Team_A", "/watchNamespaces/0"),
        ("image.digest=latest", "/image/digest"),
        ("operator.healthPort=0", "/operator/healthPort"),
    ],
)
def test_the_schema_refuses_wrong_values(helm: Helm, setting: str, complaint: str) -> None:
    with pytest.raises(HelmError) as failure:
        helm.template(sets=(setting,))
    assert complaint in failure.value.stderr


def test_full_values_set_every_value() -> None:
    defaults = value_leaves(*chart_values())
    full = yaml.safe_load((VALUES_DIR / "full.yaml").read_text())
    missing = [path for path in defaults if not _has_path(full, path)]
    assert not missing, f"values/full.yaml does not set {missing}"


def _has_path(tree: Any, path: str) -> bool:
    for part in path.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return False
        tree = tree[part]
    return True


def test_every_value_is_typed_and_described_in_the_schema() -> None:
    values, schema = chart_values()
    for path in value_leaves(values, schema):
        node = schema
        for part in path.split("."):
            assert node.get("additionalProperties") is False, f"{path}: open schema above it"
            node = node["properties"].get(part)
            assert node is not None, f"{path} is not in values.schema.json"
        assert node.get("type"), f"{path}: no type"
        assert node.get("description"), f"{path}: no description"


def test_every_value_is_in_the_configuration_reference() -> None:
    docs = DOCS_INSTALL.read_text()
    missing = [path for path in value_leaves(*chart_values()) if f"| `{path}` |" not in docs]
    assert not missing, f"docs/install.md's configuration reference lacks {missing}"


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_the_deployment_runs_restricted_replicas_with_leader_election(
    helm: Helm, name: str
) -> None:
    docs = render(helm, name)
    deployment = one(docs, "Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    assert spec["strategy"]["type"] == "RollingUpdate"
    assert "--leader-elect" in operator_container(docs)["args"]
    readiness = operator_container(docs)["readinessProbe"]["httpGet"]
    assert readiness == {"path": "/readyz", "port": "health"}
    spread = spec["template"]["spec"]["topologySpreadConstraints"]
    assert spread
    for constraint in spread:  # each selects the operator's own pods
        assert constraint["labelSelector"]["matchLabels"] == spec["selector"]["matchLabels"]
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert isinstance(pod["securityContext"]["runAsUser"], int)
    assert pod["securityContext"]["runAsUser"] > 0
    container = operator_container(docs)
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert container["resources"]["requests"]
    assert container["resources"]["limits"]
    probe = container["livenessProbe"]["httpGet"]
    assert probe["path"] == "/healthz"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert probe["port"] == "health"
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    assert {"tmp"} <= {v["name"] for v in pod["volumes"]}
    assert ports["health"] != ports["metrics"]


def test_default_args_mean_the_operators_defaults_cluster_wide(
    helm: Helm, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = operator_container(render(helm, "default"))
    config = operator_config(container, monkeypatch)
    assert config == OperatorConfig(
        leader_election=LeaderElection("pagerduty-operator", "pdo-pagerduty-operator")
    )
    assert config.clusterwide
    assert "env" not in container


def test_namespaced_args_watch_each_namespace(helm: Helm, monkeypatch: pytest.MonkeyPatch) -> None:
    config = operator_config(operator_container(render(helm, "namespaced")), monkeypatch)
    assert config.namespaces == ("team-a", "team-b")
    assert not config.clusterwide


def test_full_values_reach_the_operator(helm: Helm, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = render(helm, "full")
    container = operator_container(docs)
    config = operator_config(container, monkeypatch)
    proxy = "https://pagerduty-proxy.example.com"
    assert config == OperatorConfig(
        namespaces=("team-a", "team-c"),
        resync_seconds=120.0,
        health_address="0.0.0.0:9081",
        metrics_address="0.0.0.0:9080",
        log_format="text",
        log_level="DEBUG",
        cluster_scans=False,  # rbac.clusterScopedReads: false grants no CRD/namespace reads
        leader_election=LeaderElection("pagerduty-operator", "pagerduty-leader", 30, 20.0, 4.0),
        endpoints=EndpointOverrides(
            api_us=f"{proxy}/api-us",
            api_eu=f"{proxy}/api-eu",
            events_us=f"{proxy}/events-us",
            events_eu=f"{proxy}/events-eu",
            oauth=f"{proxy}/identity",
        ),
    )
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["HTTPS_PROXY"] == "http://proxy.example.com:3128"
    assert container["envFrom"] == [{"configMapRef": {"name": "proxy-settings"}}]
    assert container["image"] == (
        "registry.example.com/platform/pagerduty-operator@sha256:"
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    )
    assert container["imagePullPolicy"] == "Always"
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["tolerations"][0]["key"] == "dedicated"
    assert "nodeAffinity" in pod["affinity"]
    assert pod["priorityClassName"] == "system-cluster-critical"
    assert pod["serviceAccountName"] == "pagerduty-operator-sa"
    assert {"tmp", "proxy-ca"} == {v["name"] for v in pod["volumes"]}
    assert {"name": "proxy-ca", "mountPath": "/etc/ssl/proxy-ca", "readOnly": True} in container[
        "volumeMounts"
    ]
    assert container["livenessProbe"]["failureThreshold"] == 6
    assert container["readinessProbe"]["failureThreshold"] == 4
    deployment = one(docs, "Deployment")["spec"]
    assert deployment["replicas"] == 3
    assert deployment["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}
    assert one(docs, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    assert "minAvailable" not in one(docs, "PodDisruptionBudget")["spec"]
    assert pod["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"


def test_image_tag_defaults_to_the_app_version(helm: Helm) -> None:
    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    container = operator_container(render(helm, "default"))
    assert container["image"] == f"pagerduty-operator:{chart['appVersion']}"


def test_cluster_wide_rbac_is_one_cluster_role_with_the_operators_rules(helm: Helm) -> None:
    docs = render(helm, "default")
    roles = {r["metadata"]["name"]: r for r in by_kind(docs, "ClusterRole")}
    assert rules_of(roles["pdo-pagerduty-operator"]) == OPERATOR_RULES | CRD_READS
    assert [r["metadata"]["name"] for r in by_kind(docs, "Role")] == [LEADER_ROLE]
    binding = one(docs, "ClusterRoleBinding")
    assert binding["roleRef"]["name"] == "pdo-pagerduty-operator"
    assert binding["subjects"] == [
        {
            "kind": "ServiceAccount",
            "name": "pdo-pagerduty-operator",
            "namespace": "pagerduty-operator",
        }
    ]


def test_namespaced_rbac_is_a_role_per_watched_namespace(helm: Helm) -> None:
    docs = render(helm, "namespaced")
    roles = [r for r in by_kind(docs, "Role") if r["metadata"]["name"] != LEADER_ROLE]
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["team-a", "team-b"]
    for role in roles:
        assert rules_of(role) == OPERATOR_RULES
    bindings = [b for b in by_kind(docs, "RoleBinding") if b["metadata"]["name"] != LEADER_ROLE]
    assert sorted(b["metadata"]["namespace"] for b in bindings) == ["team-a", "team-b"]
    cluster_roles = {r["metadata"]["name"]: r for r in by_kind(docs, "ClusterRole")}
    # Cluster-wide, the operator may only list and watch CRDs and namespaces.
    assert rules_of(cluster_roles["pdo-pagerduty-operator-observer"]) == CRD_READS | NAMESPACE_READS
    for name, role in cluster_roles.items():
        if name != "pdo-pagerduty-operator-observer":
            assert name.endswith(("-view", "-edit")), name
            assert all(group == CR for group, _, _ in rules_of(role))


def test_strict_namespaced_mode_renders_nothing_cluster_scoped(helm: Helm) -> None:
    docs = render(helm, "full")
    assert not [d["kind"] for d in docs if d["kind"] in CLUSTER_SCOPED]
    roles = {r["metadata"]["name"]: r["metadata"]["namespace"] for r in by_kind(docs, "Role")}
    assert roles == {"pagerduty": "team-a", "pagerduty-leader-election": "pagerduty-operator"}


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_the_lease_is_granted_in_the_release_namespace_only(helm: Helm, name: str) -> None:
    docs = render(helm, name)
    lease = next(r for r in by_kind(docs, "Role") if r["metadata"]["name"].endswith("-election"))
    assert lease["metadata"]["namespace"] == "pagerduty-operator"
    args = operator_container(docs)["args"]
    lease_name = next(a.split("=", 1)[1] for a in args if a.startswith("--leader-election-id="))
    assert lease["rules"] == [
        {"apiGroups": [LEASES], "resources": ["leases"], "verbs": ["create"]},
        {
            "apiGroups": [LEASES],
            "resources": ["leases"],
            "resourceNames": [lease_name],
            "verbs": ["get", "update", "watch"],
        },
    ]
    binding = next(
        b for b in by_kind(docs, "RoleBinding") if b["metadata"]["name"].endswith("-election")
    )
    assert binding["roleRef"]["name"] == lease["metadata"]["name"]
    assert binding["metadata"]["namespace"] == "pagerduty-operator"
    for role in by_kind(docs, "ClusterRole"):  # nothing cluster-wide about leases
        assert not any(group == LEASES for group, _, _ in rules_of(role))


def test_one_replica_without_leader_election_is_recreated(helm: Helm) -> None:
    docs = documents(helm.template(sets=("leaderElection.enabled=false", "replicaCount=1")))
    spec = one(docs, "Deployment")["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    container = operator_container(docs)
    assert "--leader-elect" not in container["args"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert not by_kind(docs, "PodDisruptionBudget")  # one pod: a PDB would block node drains
    assert not [r for r in by_kind(docs, "Role") if r["metadata"]["name"] == LEADER_ROLE]
    with pytest.raises(HelmError) as failure:
        helm.template(sets=("leaderElection.enabled=false",))
    assert "replicaCount above 1 needs leaderElection.enabled" in failure.value.stderr


def test_pod_disruption_budget_keeps_one_pod_by_default(helm: Helm) -> None:
    pdb = one(render(helm, "default"), "PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "pagerduty-operator",
        "app.kubernetes.io/instance": "pdo",
    }
    with pytest.raises(HelmError) as failure:
        helm.template(sets=("podDisruptionBudget.maxUnavailable=1",))
    assert "not both" in failure.value.stderr
    assert not by_kind(
        render(helm, "default", ("podDisruptionBudget.enabled=false",)), "PodDisruptionBudget"
    )


def test_network_policy_allows_egress_to_the_apiserver_pagerduty_and_dns_only(helm: Helm) -> None:
    assert not by_kind(render(helm, "default"), "NetworkPolicy")
    docs = render(helm, "full")
    policy = one(docs, "NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Egress"]
    assert (
        policy["podSelector"]["matchLabels"]
        == one(docs, "Deployment")["spec"]["selector"]["matchLabels"]
    )
    egress = policy["egress"]
    assert egress[0] == {
        "ports": [{"protocol": "TCP", "port": 6443}],
        "to": [{"ipBlock": {"cidr": "10.0.0.1/32"}}],
    }
    assert egress[1] == {
        "ports": [{"protocol": "TCP", "port": 3128}],
        "to": [{"ipBlock": {"cidr": "192.0.2.10/32"}}],
    }
    assert {p["port"] for p in egress[2]["ports"]} == {53}
    assert egress[2]["to"][0]["podSelector"]["matchLabels"] == {"k8s-app": "coredns"}
    assert egress[3]["to"] == [{"ipBlock": {"cidr": "198.51.100.0/24"}}]
    assert len(egress) == 4


def test_aggregated_roles_for_people(helm: Helm) -> None:
    roles = {r["metadata"]["name"]: r for r in by_kind(render(helm, "default"), "ClusterRole")}
    view, edit = roles["pdo-pagerduty-operator-view"], roles["pdo-pagerduty-operator-edit"]
    assert view["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-view"] == "true"
    assert edit["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-edit"] == "true"
    assert "rbac.authorization.k8s.io/aggregate-to-view" not in edit["metadata"]["labels"]
    assert {verb for _, _, verb in rules_of(view)} == {"get", "list", "watch"}
    assert not any(resource.endswith("/status") for _, resource, _ in rules_of(edit))


def test_no_rbac_when_disabled(helm: Helm) -> None:
    docs = render(helm, "namespaced", ("rbac.create=false",))
    assert not [d for d in docs if d["kind"].endswith(("Role", "RoleBinding"))]


def test_an_existing_service_account_must_be_named(helm: Helm) -> None:
    with pytest.raises(HelmError) as failure:
        helm.template(sets=("serviceAccount.create=false",))
    assert "serviceAccount.name is required" in failure.value.stderr
    docs = documents(helm.template(sets=("serviceAccount.create=false", "serviceAccount.name=ops")))
    assert not by_kind(docs, "ServiceAccount")
    assert one(docs, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == "ops"
    assert one(docs, "ClusterRoleBinding")["subjects"][0]["name"] == "ops"


def test_service_monitor_scrapes_the_metrics_service(helm: Helm) -> None:
    docs = render(helm, "full")
    service = one(docs, "Service")
    monitor = one(docs, "ServiceMonitor")
    assert monitor["metadata"]["namespace"] == "monitoring"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["pagerduty-operator"]}
    endpoint = monitor["spec"]["endpoints"][0]
    assert endpoint["port"] == service["spec"]["ports"][0]["name"] == "metrics"
    assert (endpoint["interval"], endpoint["scrapeTimeout"], endpoint["honorLabels"]) == (
        "15s",
        "5s",
        True,
    )
    assert service["spec"]["ports"][0]["targetPort"] == "metrics"
    assert (
        service["spec"]["selector"].items()
        <= one(docs, "Deployment")["spec"]["template"]["metadata"]["labels"].items()
    )


def test_no_service_monitor_by_default_and_none_without_the_service(helm: Helm) -> None:
    assert not by_kind(render(helm, "default"), "ServiceMonitor")
    with pytest.raises(HelmError) as failure:
        helm.template(sets=("metrics.serviceMonitor.enabled=true", "metrics.service.enabled=false"))
    assert "needs metrics.service.enabled" in failure.value.stderr


def test_every_object_carries_the_standard_labels(helm: Helm) -> None:
    for doc in render(helm, "full"):
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "pdo"
        assert labels["app.kubernetes.io/instance"] == "pdo"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["team"] == "platform", doc["kind"]
        assert doc["metadata"]["name"].startswith("pagerduty"), doc["metadata"]["name"]


def test_helm_template_needs_no_kube_version(helm: Helm) -> None:
    """The helm the project builds assumes a current Kubernetes, as helm's release builds do.

    helm stamps the Kubernetes version of its client-go at build time (its Makefile's ldflags);
    a helm built without them assumes v1.20 and refuses the chart's kubeVersion (>=1.27).
    """
    rendered = helm.run("template", "pdo", str(CHART_DIR), "--namespace=pagerduty-operator")
    kinds = {doc["kind"] for doc in documents(rendered.stdout)}
    assert "Deployment" in kinds

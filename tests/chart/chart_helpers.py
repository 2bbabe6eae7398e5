"""Render and lint the Helm chart with the pinned helm binary; read what it renders.

helm comes from the control-plane binary cache (`hack/build-binaries.sh`, pinned in
`hack/versions.env`). That build does not stamp helm's default Kubernetes version, so every
`helm template` passes the pinned `K8S_VERSION` explicitly.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pagerduty_devenv.binaries import find_bin_dir

REPO = Path(__file__).resolve().parents[2]
CHART_DIR = REPO / "charts" / "pagerduty-operator"
VALUES_DIR = Path(__file__).resolve().parent / "values"
DOCS_INSTALL = REPO / "docs" / "install.md"
VALUE_SETS: dict[str, list[Path]] = {
    "default": [],
    "namespaced": [VALUES_DIR / "namespaced.yaml"],
    "full": [VALUES_DIR / "full.yaml"],
}
"""The configurations every chart test renders: defaults, namespaced mode, every value set."""


def pinned_kube_version() -> str:
    for line in (REPO / "hack" / "versions.env").read_text().splitlines():
        if line.startswith("K8S_VERSION="):
            return line.split("=", 1)[1].strip()
    raise AssertionError("hack/versions.env has no K8S_VERSION")


class HelmError(subprocess.CalledProcessError):
    """helm exited non-zero; the message carries its output."""

    def __str__(self) -> str:
        return f"{super().__str__()}\n{self.stdout}\n{self.stderr}"


@dataclass(frozen=True)
class Helm:
    """The pinned helm binary, with a kubeconfig when it talks to a cluster."""

    binary: Path
    kubeconfig: Path | None = None

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [str(self.binary), *args]
        if self.kubeconfig is not None:
            argv.append(f"--kubeconfig={self.kubeconfig}")
        result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
        if check and result.returncode != 0:
            raise HelmError(result.returncode, argv, result.stdout, result.stderr)
        return result

    def lint(self, values: Sequence[Path] = (), sets: Sequence[str] = ()) -> str:
        args = ["lint", str(CHART_DIR), "--strict", *_value_args(values, sets)]
        return self.run(*args).stdout

    def template(
        self,
        values: Sequence[Path] = (),
        sets: Sequence[str] = (),
        *,
        release: str = "pdo",
        namespace: str = "pagerduty-operator",
        include_crds: bool = False,
    ) -> str:
        args = [
            "template",
            release,
            str(CHART_DIR),
            f"--namespace={namespace}",
            f"--kube-version={pinned_kube_version()}",
            *_value_args(values, sets),
        ]
        if include_crds:
            args.append("--include-crds")
        return self.run(*args).stdout


def _value_args(values: Sequence[Path], sets: Sequence[str]) -> list[str]:
    return [*(f"--values={v}" for v in values), *(f"--set={s}" for s in sets)]


def helm_binary() -> Path:
    return find_bin_dir() / "helm"


def documents(rendered: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(rendered) if isinstance(d, dict)]


def by_kind(docs: Iterable[Mapping[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [dict(d) for d in docs if d.get("kind") == kind]


def one(docs: Iterable[Mapping[str, Any]], kind: str) -> dict[str, Any]:
    found = by_kind(docs, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def operator_container(docs: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    deployment = one(docs, "Deployment")
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["operator"]
    container: dict[str, Any] = containers[0]
    return container


def rules_of(role: Mapping[str, Any]) -> set[tuple[str, str, str]]:
    """(apiGroup, resource, verb) of every rule of a Role or ClusterRole, flattened."""
    flat = set()
    for rule in role.get("rules") or []:
        for group in rule.get("apiGroups") or []:
            for resource in rule.get("resources") or []:
                for verb in rule.get("verbs") or []:
                    flat.add((group, resource, verb))
    return flat


def value_leaves(values: Any, schema: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every value of the chart by dotted path, as the schema structures them.

    A map the schema lists properties for is descended into; anything else (a scalar, a list,
    a free-form map of labels, a Kubernetes object such as `resources`) is one value.
    """
    properties = schema.get("properties")
    if isinstance(values, dict) and properties:
        leaves: dict[str, Any] = {}
        for key, value in values.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            leaves.update(value_leaves(value, properties.get(key) or {}, path))
        return leaves
    return {prefix: values}


def chart_values() -> tuple[dict[str, Any], dict[str, Any]]:
    """The chart's default values and its values schema."""
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())
    return values, schema

"""Every example directory applies to the real apiserver, which fills in the models' defaults."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pagerduty_devenv import Kubectl
from pagerduty_operator.models import KINDS, kind_named

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_DIRS = sorted(p for p in EXAMPLES.iterdir() if p.is_dir())


def _custom_resources(directory: Path) -> list[dict[str, Any]]:
    docs = []
    for path in sorted(directory.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d and d["kind"] != "Secret"]
    return docs


@pytest.mark.parametrize("directory", EXAMPLE_DIRS, ids=lambda p: p.name)
def test_example_directory_applies_with_the_models_defaults(
    kubectl: Kubectl, crds: list[str], namespace: str, directory: Path
) -> None:
    kubectl("apply", "-n", namespace, "-f", str(directory))
    for resource in _custom_resources(directory):
        kind = kind_named(resource["kind"])
        name = resource["metadata"]["name"]
        stored = json.loads(
            kubectl("get", kind.crd_name, name, "-n", namespace, "-o", "json").stdout
        )
        expected = kind.spec_model.model_validate(resource["spec"]).model_dump(
            mode="json", exclude_none=True
        )
        assert stored["spec"] == expected, f"{kind.kind}/{name}"


def test_all_examples_in_one_namespace_are_listed_by_category(
    kubectl: Kubectl, crds: list[str], namespace: str
) -> None:
    for directory in EXAMPLE_DIRS:
        kubectl("apply", "-n", namespace, "-f", str(directory))
    listing = kubectl("get", "pagerduty", "-n", namespace, "-o", "name").stdout.split()
    expected = {
        f"{kind_named(r['kind']).singular}.{r['apiVersion'].split('/')[0]}/{r['metadata']['name']}"
        for d in EXAMPLE_DIRS
        for r in _custom_resources(d)
    }
    assert set(listing) == expected
    for kind in KINDS:
        table = kubectl("get", kind.short_name, "-n", namespace).stdout.splitlines()
        assert table[0].split()[:2] == ["NAME", "READY"]
        assert table[0].split()[-1] == "AGE"

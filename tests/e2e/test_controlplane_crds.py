"""The ``crds`` fixture installs every CRD of ``crds/`` and waits until each is Established."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from pagerduty_devenv import Kubectl

CRD_DIR = Path(__file__).resolve().parents[2] / "crds"


def test_crds_fixture_installs_every_crd_in_the_repo(crds: list[str], kubectl: Kubectl) -> None:
    expected = sorted(
        doc["metadata"]["name"]
        for path in CRD_DIR.glob("*.yaml")
        for doc in yaml.safe_load_all(path.read_text())
        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition"
    )
    assert sorted(crds) == expected
    for name in crds:
        crd = json.loads(kubectl("get", "crd", name, "-o", "json").stdout)
        conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
        assert conditions.get("Established") == "True"

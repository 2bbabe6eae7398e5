"""Every example, applied and reconciled, is in sync under a GitOps tool's default diff.

Argo CD compares custom resources by a three-way JSON merge patch, lists whole: a default the
apiserver adds inside a list item makes the resource OutOfSync for ever (`kubectl diff
--server-side` cannot show this, it merges lists by item). Each example directory is applied with
client-side `kubectl apply` (the last-applied annotation Argo CD's diff uses), the operator brings
every resource to Ready, and then every custom resource compares equal to its manifest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from operator_harness import Tenant

from support.gitops_diff import merge_patch_drift
from support.kube import PLURALS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_DIRS = sorted(p for p in EXAMPLES.iterdir() if p.is_dir())


def _documents(directory: Path) -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(directory.glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


@pytest.mark.parametrize("directory", EXAMPLE_DIRS, ids=lambda p: p.name)
def test_an_applied_and_reconciled_example_compares_equal_to_its_manifest(
    tenant: Tenant, directory: Path
) -> None:
    documents = _documents(directory)
    for doc in documents:
        if doc["kind"] == "Secret":
            for key, value in (doc.get("stringData") or {}).items():
                tenant.sim.ledger.add(f"example Secret {doc['metadata']['name']}/{key}", value)
    tenant.cluster.kubectl("apply", "-n", tenant.namespace, "-f", str(directory))
    resources = [doc for doc in documents if doc["kind"] != "Secret"]
    assert resources
    for doc in resources:
        plural = PLURALS[doc["kind"]]
        live = tenant.wait_condition(plural, doc["metadata"]["name"], "Ready", "True")
        last_applied = json.loads(
            live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
        )
        # The manifest as kubectl applied it (namespace filled in) is what Argo CD would compare.
        assert last_applied["spec"] == doc["spec"]
        drift = merge_patch_drift(last_applied, live, last_applied)
        assert not drift, f"{doc['kind']}/{doc['metadata']['name']} looks OutOfSync: {drift}"

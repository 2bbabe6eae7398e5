"""The examples converge, and a second apply changes nothing: the operator never writes spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from operator_harness import Tenant

from support.kube import INTEGRATIONS, WEBHOOKS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DIRECTORIES = ("service-scoped", "account-scoped")


def _manifests() -> list[Path]:
    """The Secret, integration and webhook manifests (rules have tests of their own)."""
    return [
        path
        for directory in DIRECTORIES
        for path in sorted((EXAMPLES / directory).glob("*.yaml"))
        if "rules" not in path.name
    ]


def _documents(paths: list[Path]) -> list[dict[str, Any]]:
    return [doc for path in paths for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_second_apply_of_the_examples_is_a_no_op(tenant: Tenant) -> None:
    paths = _manifests()
    documents = _documents(paths)
    for doc in documents:
        if doc["kind"] == "Secret":
            for key, value in (doc.get("stringData") or {}).items():
                tenant.sim.ledger.add(f"example Secret {doc['metadata']['name']}/{key}", value)
    files = [arg for path in paths for arg in ("-f", str(path))]
    tenant.cluster.kubectl("apply", "-n", tenant.namespace, *files)
    names = {
        plural: [d["metadata"]["name"] for d in documents if d["kind"] == kind]
        for plural, kind in ((INTEGRATIONS, "PagerDutyIntegration"), (WEBHOOKS, "PagerDutyWebhook"))
    }
    for name in names[INTEGRATIONS]:
        tenant.wait_integration_ready(name)
    for name in names[WEBHOOKS]:
        tenant.wait_webhook_ready(name)
    before = {
        (plural, name): tenant.cluster.get(plural, tenant.namespace, name)
        for plural, listed in names.items()
        for name in listed
    }

    # kubectl diff (a server-side dry run of the same apply) sees nothing to change ...
    diff = tenant.cluster.kubectl("diff", "-n", tenant.namespace, *files, check=False)
    assert diff.returncode == 0, f"kubectl diff found differences:\n{diff.stdout}{diff.stderr}"
    assert not diff.stdout.strip()

    # ... and applying again leaves every custom resource unchanged. (kubectl always reports
    # a Secret written with stringData as "configured"; the diff above covers those.)
    again = tenant.cluster.kubectl("apply", "-n", tenant.namespace, *files).stdout
    lines = [line for line in again.splitlines() if line.startswith("pagerduty")]
    assert len(lines) == len(before), again
    changed = [line for line in lines if not line.endswith(" unchanged")]
    assert not changed, f"a second apply changed something: {changed}"

    for (plural, name), obj in before.items():
        assert obj is not None
        now = tenant.cluster.get(plural, tenant.namespace, name)
        assert now is not None
        assert now["metadata"]["generation"] == 1, f"{plural}/{name}: spec was rewritten"
        assert now["spec"] == obj["spec"]

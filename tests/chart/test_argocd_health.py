"""The Argo CD health check of the three kinds, run in a real Lua runtime over status fixtures."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from argocd_lua import CHART_DIR, HEALTH_LUA, Health, evaluate

REPO = CHART_DIR.parents[1]
KINDS = sorted(
    doc["spec"]["names"]["kind"]
    for path in (REPO / "crds").glob("*.yaml")
    for doc in yaml.safe_load_all(path.read_text())
    if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition"
)


def resource(
    kind: str,
    generation: int = 3,
    status: dict[str, Any] | None = None,
    deleting: bool = False,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "checkout", "namespace": "team-a", "generation": generation}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    obj: dict[str, Any] = {"apiVersion": "pagerduty.ops.dev/v1alpha1", "kind": kind}
    obj["metadata"] = meta
    if status is not None:
        obj["status"] = status
    return obj


def ready(status: str, reason: str, message: str, generation: int = 3) -> dict[str, Any]:
    return {
        "type": "Ready",
        "status": status,
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }


def synced(generation: int = 3) -> dict[str, Any]:
    return {
        "type": "Synced",
        "status": "True",
        "reason": "Synced",
        "message": "subscription PXXXXXX matches the spec",
        "observedGeneration": generation,
    }


def test_the_crds_define_three_kinds() -> None:
    assert KINDS == ["PagerDutyIncidentRule", "PagerDutyIntegration", "PagerDutyWebhook"]


@pytest.mark.parametrize("kind", KINDS)
def test_ready_for_the_current_generation_is_healthy(kind: str) -> None:
    status = {
        "observedGeneration": 3,
        "conditions": [ready("True", "Ready", "the rule is in place and in effect"), synced()],
    }
    health = evaluate(resource(kind, status=status))
    assert health.status == "Healthy"
    assert health.message == "the rule is in place and in effect"


@pytest.mark.parametrize("kind", KINDS)
def test_not_ready_is_degraded_with_the_reason_and_message(kind: str) -> None:
    message = "PagerDuty rejected the integration's credentials (401); fix the Secret"
    status = {
        "observedGeneration": 3,
        "conditions": [ready("False", "CredentialsInvalid", message)],
    }
    health = evaluate(resource(kind, status=status))
    assert health == Health("Degraded", f"CredentialsInvalid: {message}")


@pytest.mark.parametrize("kind", KINDS)
def test_no_status_yet_is_progressing(kind: str) -> None:
    assert evaluate(resource(kind)).status == "Progressing"
    assert evaluate(resource(kind, status={})).status == "Progressing"
    assert evaluate(resource(kind, status={"conditions": []})).status == "Progressing"


@pytest.mark.parametrize("kind", KINDS)
def test_conditions_without_ready_are_progressing(kind: str) -> None:
    status = {"observedGeneration": 3, "conditions": [synced()]}
    assert evaluate(resource(kind, status=status)).status == "Progressing"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("ready_status", ["True", "False"])
def test_a_stale_generation_is_progressing_whatever_ready_says(
    kind: str, ready_status: str
) -> None:
    status = {
        "observedGeneration": 2,
        "conditions": [ready(ready_status, "Ready", "old news", generation=2)],
    }
    health = evaluate(resource(kind, generation=3, status=status))
    assert health.status == "Progressing"
    assert health.message == "Waiting for the operator to reconcile generation 3"


@pytest.mark.parametrize("kind", KINDS)
def test_a_stale_ready_condition_is_progressing_even_with_a_current_status(kind: str) -> None:
    status = {
        "observedGeneration": 3,
        "conditions": [ready("True", "Ready", "old news", generation=2)],
    }
    assert evaluate(resource(kind, generation=3, status=status)).status == "Progressing"


@pytest.mark.parametrize("kind", KINDS)
def test_the_ready_conditions_generation_stands_in_for_a_missing_status_one(kind: str) -> None:
    status = {"conditions": [ready("True", "Ready", "fine", generation=3)]}
    assert evaluate(resource(kind, generation=3, status=status)).status == "Healthy"
    status = {"conditions": [ready("True", "Ready", "fine", generation=2)]}
    assert evaluate(resource(kind, generation=3, status=status)).status == "Progressing"


@pytest.mark.parametrize("kind", KINDS)
def test_ready_without_any_observed_generation_is_progressing(kind: str) -> None:
    condition = ready("True", "Ready", "fine")
    del condition["observedGeneration"]
    assert evaluate(resource(kind, status={"conditions": [condition]})).status == "Progressing"


@pytest.mark.parametrize("kind", KINDS)
def test_ready_unknown_is_progressing_with_its_message(kind: str) -> None:
    status = {
        "observedGeneration": 3,
        "conditions": [ready("Unknown", "Reconciling", "looking for the subscription")],
    }
    expected = Health("Progressing", "looking for the subscription")
    assert evaluate(resource(kind, status=status)) == expected


@pytest.mark.parametrize("kind", KINDS)
def test_an_object_being_deleted_is_progressing(kind: str) -> None:
    status = {"observedGeneration": 3, "conditions": [ready("True", "Ready", "fine")]}
    health = evaluate(resource(kind, status=status, deleting=True))
    assert health.status == "Progressing"
    assert "deleted" in health.message


def test_degraded_without_a_message_shows_the_reason_alone() -> None:
    condition = ready("False", "IntegrationNotFound", "")
    status = {"observedGeneration": 3, "conditions": [condition]}
    health = evaluate(resource("PagerDutyWebhook", status=status))
    assert health.message == "IntegrationNotFound"


def test_ready_is_found_among_many_conditions_in_any_order() -> None:
    others = [
        {"type": "Synced", "status": "False", "reason": "Drifted", "observedGeneration": 3},
        {"type": "Warnings", "status": "False", "reason": "NoWarnings", "observedGeneration": 3},
    ]
    status = {"observedGeneration": 3, "conditions": [*others, ready("True", "Ready", "ok")]}
    assert evaluate(resource("PagerDutyIncidentRule", status=status)).status == "Healthy"


def test_the_configmap_snippet_installs_the_same_script_for_every_kind() -> None:
    snippet = yaml.safe_load((CHART_DIR / "argocd" / "resource-customizations.yaml").read_text())
    script = HEALTH_LUA.read_text()
    expected = {f"resource.customizations.health.pagerduty.ops.dev_{kind}" for kind in KINDS}
    assert set(snippet["data"]) == expected
    for key in expected:
        assert snippet["data"][key] == script, f"{key} differs from argocd/health.lua"


def test_the_example_application_installs_this_chart() -> None:
    app = yaml.safe_load((CHART_DIR / "argocd" / "application.yaml").read_text())
    assert (app["apiVersion"], app["kind"]) == ("argoproj.io/v1alpha1", "Application")
    assert app["spec"]["source"]["path"] == "charts/pagerduty-operator"
    assert "ServerSideApply=true" in app["spec"]["syncPolicy"]["syncOptions"]

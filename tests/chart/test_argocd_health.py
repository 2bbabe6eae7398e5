"""The Argo CD health check of every kind, run as Argo CD runs it (gopher-lua, default sandbox).

Argo CD opens only the base, table, package and a safe os library unless
`resource.customizations.useOpenLibs.<group>_<kind>` is set; a script error shows the resource as
Unknown. Every case below runs in that sandbox, and a few prove the sandbox is the real one.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from argocd_lua import CHART_DIR, HEALTH_LUA, Health, LuaScriptError, evaluate, evaluate_many

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


def test_the_sandbox_is_argo_cds_default_one(tmp_path: Any) -> None:
    """The runner really lacks `string` and `math`, so a script that needs them fails here too."""
    probe = tmp_path / "probe.lua"
    probe.write_text('return {status = "Healthy", message = string.format("%d", 3)}')
    with pytest.raises(LuaScriptError, match="format"):
        evaluate({"metadata": {}}, probe)
    probe.write_text(
        'return {status = "Healthy", message = type(string) .. type(math) .. type(os)}'
    )
    assert evaluate({}, probe) == Health("Healthy", "nilniltable")
    probe.write_text('return {status = "Fine", message = "x"}')
    assert evaluate({}, probe) == Health("Unknown", "Lua returned an invalid health status")


@pytest.mark.parametrize("kind", KINDS)
def test_a_new_generation_not_yet_observed_is_progressing_in_the_sandbox(kind: str) -> None:
    """The case Argo CD showed as Unknown: a spec edit the operator has not reconciled yet."""
    for generation in (2, 17, 123456):
        status = {
            "observedGeneration": generation - 1,
            "conditions": [ready("True", "Ready", "old", generation=generation - 1)],
        }
        health = evaluate(resource(kind, generation=generation, status=status))
        assert health == Health(
            "Progressing", f"Waiting for the operator to reconcile generation {generation}"
        )


MALFORMED: list[tuple[str, dict[str, Any], str]] = [
    ("status a string", {"status": "broken"}, "Degraded"),
    ("status a list (a table in Lua, without conditions)", {"status": ["x"]}, "Progressing"),
    ("conditions a string", {"status": {"conditions": "Ready"}}, "Degraded"),
    ("conditions an object", {"status": {"conditions": {"type": "Ready"}}}, "Progressing"),
    ("a condition a string", {"status": {"conditions": ["Ready"]}}, "Progressing"),
    ("a condition a number", {"status": {"conditions": [3, None]}}, "Progressing"),
    (
        "observedGeneration a string",
        {"status": {"observedGeneration": "3", "conditions": [ready("True", "Ready", "ok")]}},
        "Degraded",
    ),
    (
        "the condition's observedGeneration a string",
        {"status": {"conditions": [{**ready("True", "Ready", "ok"), "observedGeneration": "3"}]}},
        "Degraded",
    ),
    (
        "reason and message not strings",
        {
            "status": {
                "observedGeneration": 3,
                "conditions": [{**ready("False", "x", "y"), "reason": 4, "message": {"a": 1}}],
            }
        },
        "Degraded",
    ),
    (
        "Ready's status missing",
        {
            "status": {
                "observedGeneration": 3,
                "conditions": [{"type": "Ready", "observedGeneration": 3}],
            }
        },
        "Progressing",
    ),
]


@pytest.mark.parametrize("kind", KINDS)
def test_a_malformed_status_gives_a_clear_status_never_a_script_error(kind: str) -> None:
    objects = []
    for _, fields, _ in MALFORMED:
        obj = resource(kind)
        obj.update(fields)
        objects.append(obj)
    results = evaluate_many(objects)
    for (case, _, expected), result in zip(MALFORMED, results, strict=True):
        assert isinstance(result, Health), f"{case}: {result}"
        assert result.status == expected, f"{case}: {result}"
        assert result.message, f"{case}: no message"


@pytest.mark.parametrize(
    "metadata",
    [None, "x", {"generation": "3"}, {"generation": None}, {}],
    ids=["no metadata", "metadata a string", "generation a string", "generation null", "empty"],
)
def test_malformed_metadata_never_raises(metadata: Any) -> None:
    status = {"observedGeneration": 3, "conditions": [ready("True", "Ready", "ok")]}
    obj: dict[str, Any] = {"kind": "PagerDutyWebhook", "status": status}
    if metadata is not None:
        obj["metadata"] = metadata
    assert evaluate(obj) == Health("Healthy", "ok")


def test_a_non_table_object_never_raises() -> None:
    (result,) = evaluate_many([{}])
    assert result == Health("Progressing", "Waiting for the operator to reconcile this resource")

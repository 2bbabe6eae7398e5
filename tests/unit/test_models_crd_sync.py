"""The pydantic models and the CRD schemas agree, found by walking both (no hand-kept list).

For every kind, the CRD's spec and status schemas are compared node by node with the JSON schema
pydantic derives from the spec and status models: the same property names (camelCase aliases), the
same required sets, and the same types, enums, defaults, patterns, bounds and list types. CEL rules
cannot be compared this way; tests/e2e/test_admission.py checks them case by case on both sides.
"""

from __future__ import annotations

from typing import Any

import pytest

from pagerduty_operator.crds import load_crds
from pagerduty_operator.models import KINDS, ResourceKind

COMPARED_KEYWORDS = (
    "enum",
    "default",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
)


class ModelSchema:
    """A pydantic JSON schema with its ``$ref``s, nullable unions and consts normalised away."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.defs: dict[str, Any] = schema.get("$defs", {})
        self.root = schema

    def normalise(self, node: dict[str, Any]) -> dict[str, Any]:
        node = dict(node)
        if "$ref" in node:
            target = self.defs[node.pop("$ref").rsplit("/", 1)[-1]]
            node = {**target, **node}
        if "anyOf" in node:
            variants = [v for v in node.pop("anyOf") if v.get("type") != "null"]
            assert len(variants) == 1, f"unexpected union {variants}"
            if node.get("default", ...) is None:
                node.pop("default")
            node = {**self.normalise(variants[0]), **node}
        if "const" in node:
            node["enum"] = [node.pop("const")]
        return node


def _compare(
    crd: dict[str, Any], model_node: dict[str, Any], models: ModelSchema, path: str
) -> list[str]:
    model = models.normalise(model_node)
    problems: list[str] = []
    if crd.get("type") != model.get("type"):
        problems.append(f"{path}: type {crd.get('type')!r} (CRD) != {model.get('type')!r} (model)")
        return problems
    for keyword in COMPARED_KEYWORDS:
        crd_value, model_value = crd.get(keyword), model.get(keyword)
        if keyword == "enum" and crd_value is not None and model_value is not None:
            crd_value, model_value = sorted(crd_value), sorted(model_value)
        if crd_value != model_value:
            problems.append(f"{path}: {keyword} {crd_value!r} (CRD) != {model_value!r} (model)")
    if crd.get("format") == "date-time" and model.get("format") != "date-time":
        problems.append(f"{path}: CRD date-time, model {model.get('format')!r}")
    if crd["type"] == "object":
        crd_props, model_props = crd.get("properties", {}), model.get("properties", {})
        if set(crd_props) != set(model_props):
            problems.append(
                f"{path}: properties only in CRD {sorted(set(crd_props) - set(model_props))}, "
                f"only in model {sorted(set(model_props) - set(crd_props))}"
            )
        if set(crd.get("required", [])) != set(model.get("required", [])):
            problems.append(
                f"{path}: required {sorted(crd.get('required', []))} (CRD) "
                f"!= {sorted(model.get('required', []))} (model)"
            )
        for name in sorted(set(crd_props) & set(model_props)):
            problems += _compare(crd_props[name], model_props[name], models, f"{path}.{name}")
    if crd["type"] == "array":
        problems += _compare(crd["items"], model["items"], models, f"{path}[]")
    return problems


def _crd_schema(kind: ResourceKind) -> dict[str, Any]:
    [crd] = [c for c in load_crds() if c["metadata"]["name"] == kind.crd_name]
    return dict(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])


@pytest.mark.parametrize(
    ("kind", "part"),
    [(k, part) for k in KINDS for part in ("spec", "status")],
    ids=[f"{k.kind}-{part}" for k in KINDS for part in ("spec", "status")],
)
def test_model_matches_crd(kind: ResourceKind, part: str) -> None:
    model_class = kind.spec_model if part == "spec" else kind.status_model
    model_schema = model_class.model_json_schema(by_alias=True, mode="validation")
    crd_node = _crd_schema(kind)["properties"][part]
    problems = _compare(crd_node, model_schema, ModelSchema(model_schema), part)
    assert problems == []


def test_comparison_detects_drift() -> None:
    """The walker is not vacuous: a renamed field, a changed default, a new enum value show up."""
    kind = KINDS[1]
    model_schema = kind.spec_model.model_json_schema(by_alias=True, mode="validation")
    crd_node = _crd_schema(kind)["properties"]["spec"]
    drifted = {**crd_node, "properties": dict(crd_node["properties"])}
    drifted["properties"]["allowInsecureURL"] = drifted["properties"].pop("allowInsecureUrl")
    drifted["properties"]["active"] = {**drifted["properties"]["active"], "default": False}
    policy = drifted["properties"]["deletionPolicy"]
    drifted["properties"]["deletionPolicy"] = {**policy, "enum": [*policy["enum"], "Abandon"]}
    problems = _compare(drifted, model_schema, ModelSchema(model_schema), "spec")
    assert any("allowInsecureURL" in p for p in problems)
    assert any(p.startswith("spec.active: default") for p in problems)
    assert any(p.startswith("spec.deletionPolicy: enum") for p in problems)

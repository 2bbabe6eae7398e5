"""Generated specs: the apiserver and the models agree on every one, and on the defaults.

Hypothesis draws specs from the CRD's own schema (types, enums, patterns, bounds, list types), so
they are structurally plausible but freely combine fields that CEL rules forbid together. For each
one the apiserver (server-side dry-run) and the pydantic model must give the same verdict, and for
an admitted spec the apiserver's defaulted spec must equal the model's dump.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pagerduty_operator.crds import load_crds
from pagerduty_operator.devenv import Kubectl
from pagerduty_operator.models import API_VERSION, KINDS, ResourceKind

EXAMPLES_PER_KIND = 30
MAX_LIST_ITEMS = 3
MAX_FREE_TEXT = 24
INT32 = 2**31 - 1


def _string(node: dict[str, Any]) -> st.SearchStrategy[str]:
    if "enum" in node:
        return st.sampled_from(node["enum"])
    low, high = node.get("minLength", 0), node.get("maxLength", MAX_FREE_TEXT)
    if "pattern" in node:
        return st.from_regex(node["pattern"], fullmatch=True).filter(
            lambda s: low <= len(s) <= high
        )
    return st.text(min_size=low, max_size=min(high, MAX_FREE_TEXT))


def _array(node: dict[str, Any]) -> st.SearchStrategy[list[Any]]:
    items = strategy_for(node["items"])
    low = node.get("minItems", 0)
    high = min(node.get("maxItems", MAX_LIST_ITEMS), max(low, MAX_LIST_ITEMS))
    list_type = node.get("x-kubernetes-list-type")
    if list_type == "set":
        return st.lists(items, min_size=low, max_size=high, unique=True)
    if list_type == "map":
        keys = node["x-kubernetes-list-map-keys"]
        return st.lists(
            items, min_size=low, max_size=high, unique_by=lambda x: tuple(x[k] for k in keys)
        )
    return st.lists(items, min_size=low, max_size=high)


def strategy_for(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that satisfy ``node``'s OpenAPI schema (but not necessarily its CEL rules)."""
    kind = node["type"]
    if kind == "string":
        return _string(node)
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(node.get("minimum", -INT32 - 1), node.get("maximum", INT32))
    if kind == "array":
        return _array(node)
    if kind == "object":
        required = set(node.get("required", []))
        props = node.get("properties", {})
        return st.fixed_dictionaries(
            {k: strategy_for(v) for k, v in props.items() if k in required},
            optional={k: strategy_for(v) for k, v in props.items() if k not in required},
        )
    raise AssertionError(f"no strategy for type {kind!r}")


def _spec_schema(kind: ResourceKind) -> dict[str, Any]:
    [crd] = [c for c in load_crds() if c["metadata"]["name"] == kind.crd_name]
    return dict(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"])


def _model_verdict(kind: ResourceKind, spec: dict[str, Any]) -> tuple[bool, Any]:
    try:
        parsed = kind.spec_model.model_validate(spec)
    except ValidationError as error:
        return False, str(error)
    return True, parsed.model_dump(mode="json", exclude_none=True)


def _apiserver_verdict(
    kubectl: Kubectl, namespace: str, kind: ResourceKind, spec: dict[str, Any]
) -> tuple[bool, Any]:
    resource = {
        "apiVersion": API_VERSION,
        "kind": kind.kind,
        "metadata": {"name": "generated"},
        "spec": spec,
    }
    result = kubectl(
        "create",
        "--dry-run=server",
        "-n",
        namespace,
        "-o",
        "json",
        "-f",
        "-",
        input=json.dumps(resource),
        check=False,
    )
    if result.returncode == 0:
        return True, json.loads(result.stdout)["spec"]
    assert "is invalid" in result.stderr or "BadRequest" in result.stderr, result.stderr
    return False, result.stderr


@pytest.mark.parametrize("kind", KINDS, ids=[k.kind for k in KINDS])
def test_generated_specs_get_the_same_verdict_from_apiserver_and_model(
    kubectl: Kubectl, crds: list[str], namespace: str, kind: ResourceKind
) -> None:
    verdicts: Counter[bool] = Counter()

    @settings(
        max_examples=EXAMPLES_PER_KIND,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(spec=strategy_for(_spec_schema(kind)))
    def check(spec: dict[str, Any]) -> None:
        admitted, server_view = _apiserver_verdict(kubectl, namespace, kind, spec)
        parsed, model_view = _model_verdict(kind, spec)
        note(f"apiserver: {server_view}")
        note(f"model: {model_view}")
        assert admitted == parsed
        if admitted:
            assert server_view == model_view
        verdicts[admitted] += 1

    check()
    assert verdicts[True] > 0, "no generated spec was admitted: the strategy is too weak"
    assert verdicts[False] > 0, "no generated spec was rejected: the CEL rules went untested"

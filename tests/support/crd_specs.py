"""Hypothesis strategies for custom resource specs, derived from the CRDs' own schemas.

`spec_strategy(crd_name, overrides)` draws values that satisfy the OpenAPI schema (types, enums,
patterns, bounds, list types) but freely combine fields that CEL rules forbid together, so the
apiserver admits some and refuses others. `overrides` replaces the strategy at a dotted path
(`scope.id`, `customHeaders[].valueFrom.secretKeyRef.name`) so that references sometimes point
at things that exist in the test's namespace and simulator account: otherwise almost every spec
would stop at "integration not found" and never reach PagerDuty. Without `overrides` the specs
are the schema's alone (the admission tests compare the apiserver's and the models' verdicts).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from pagerduty_operator.crds import load_crds

MAX_LIST_ITEMS = 3
MAX_FREE_TEXT = 24
INT32 = 2**31 - 1
Overrides = dict[str, st.SearchStrategy[Any]]


def _string(node: dict[str, Any]) -> st.SearchStrategy[str]:
    if "enum" in node:
        return st.sampled_from(node["enum"])
    low, high = node.get("minLength", 0), node.get("maxLength", MAX_FREE_TEXT)
    if "pattern" in node:
        return st.from_regex(node["pattern"], fullmatch=True).filter(
            lambda s: low <= len(s) <= high
        )
    return st.text(min_size=low, max_size=min(high, MAX_FREE_TEXT))


def _array(node: dict[str, Any], path: str, overrides: Overrides) -> st.SearchStrategy[list[Any]]:
    items = _strategy(node["items"], f"{path}[]", overrides)
    low = node.get("minItems", 0)
    high = min(node.get("maxItems", MAX_LIST_ITEMS), max(low, MAX_LIST_ITEMS))
    list_type = node.get("x-kubernetes-list-type")
    if list_type == "set":
        return st.lists(items, min_size=low, max_size=high, unique=True)
    if list_type == "map":
        keys = node["x-kubernetes-list-map-keys"]
        return st.lists(
            items, min_size=low, max_size=high, unique_by=lambda x: tuple(x.get(k) for k in keys)
        )
    return st.lists(items, min_size=low, max_size=high)


def _strategy(node: dict[str, Any], path: str, overrides: Overrides) -> st.SearchStrategy[Any]:
    if path in overrides:
        return overrides[path]
    kind = node["type"]
    if kind == "string":
        return _string(node)
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(node.get("minimum", -INT32 - 1), node.get("maximum", INT32))
    if kind == "array":
        return _array(node, path, overrides)
    if kind == "object":
        required = set(node.get("required", []))
        props = node.get("properties", {})
        prefix = f"{path}." if path else ""
        return st.fixed_dictionaries(
            {k: _strategy(v, prefix + k, overrides) for k, v in props.items() if k in required},
            optional={
                k: _strategy(v, prefix + k, overrides)
                for k, v in props.items()
                if k not in required
            },
        )
    raise AssertionError(f"no strategy for type {kind!r} at {path or 'spec'}")


def spec_schema(crd_name: str) -> dict[str, Any]:
    """The OpenAPI schema of the CRD's `spec` (its first version)."""
    [crd] = [c for c in load_crds() if c["metadata"]["name"] == crd_name]
    return dict(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"])


def spec_strategy(
    crd_name: str, overrides: Overrides | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Specs of the CRD `crd_name` (`<plural>.<group>`), with `overrides` by dotted path."""
    strategy: st.SearchStrategy[dict[str, Any]] = _strategy(
        spec_schema(crd_name), "", overrides or {}
    )
    return strategy


def _node_at(crd_name: str, path: str) -> dict[str, Any]:
    node: dict[str, Any] = spec_schema(crd_name)
    for part in path.replace("[]", ".[]").split("."):
        node = node["items"] if part == "[]" else node["properties"][part]
    return node


def mostly(
    good: st.SearchStrategy[Any], crd_name: str, path: str, weight: int = 3
) -> st.SearchStrategy[Any]:
    """Mostly `good`, sometimes anything the schema allows at `path`."""
    return st.one_of(*([good] * weight), _strategy(_node_at(crd_name, path), path, {}))


def sometimes(
    known: list[str], crd_name: str, path: str, weight: int = 3
) -> st.SearchStrategy[Any]:
    """Mostly one of `known`, sometimes whatever the schema allows at `path`."""
    return mostly(st.sampled_from(known), crd_name, path, weight)


APISERVER_EXAMPLES = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
"""Hypothesis settings for specs sent to the real apiserver: the same examples every run, no
example database, no deadline (each example is a request); `max_examples` is the caller's."""

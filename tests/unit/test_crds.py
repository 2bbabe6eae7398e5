"""Lint of the hand-written CRDs: names, structure, descriptions, CEL hygiene, printer columns."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pagerduty_operator.crds import crds_yaml, load_crds
from pagerduty_operator.models import GROUP, KINDS, VERSION, ResourceKind

CRD_DIR = Path(__file__).resolve().parents[2] / "crds"


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = [loader.construct_object(key_node) for key_node, _ in node.value]
    duplicates = sorted({str(k) for k in keys if keys.count(k) > 1})
    if duplicates:
        raise yaml.constructor.ConstructorError(
            None, None, f"duplicate keys {duplicates}", node.start_mark
        )
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def _crd_for(kind: ResourceKind) -> dict[str, Any]:
    matches = [c for c in load_crds() if c["metadata"]["name"] == kind.crd_name]
    assert len(matches) == 1, f"{kind.crd_name}: {len(matches)} CRDs"
    return matches[0]


def _schema(kind: ResourceKind) -> dict[str, Any]:
    versions = _crd_for(kind)["spec"]["versions"]
    return dict(versions[0]["schema"]["openAPIV3Schema"])


def _walk(node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, node
    for name, child in node.get("properties", {}).items():
        yield from _walk(child, f"{path}.{name}")
    if "items" in node:
        yield from _walk(node["items"], f"{path}[]")


def _spec_and_status_nodes(kind: ResourceKind) -> Iterator[tuple[str, dict[str, Any]]]:
    schema = _schema(kind)
    for top in ("spec", "status"):
        yield from _walk(schema["properties"][top], top)


KIND_IDS = [k.kind for k in KINDS]


def test_one_file_per_kind_named_after_it() -> None:
    expected = {f"{GROUP}_{k.plural}.yaml" for k in KINDS}
    assert {p.name for p in CRD_DIR.glob("*.yaml")} == expected


@pytest.mark.parametrize("path", sorted(CRD_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_yaml_has_no_duplicate_keys(path: Path) -> None:
    documents = list(yaml.load_all(path.read_text(), Loader=_UniqueKeyLoader))
    assert [d["kind"] for d in documents] == ["CustomResourceDefinition"]


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_names_scope_and_version(kind: ResourceKind) -> None:
    crd = _crd_for(kind)
    spec = crd["spec"]
    assert spec["group"] == GROUP
    assert spec["scope"] == "Namespaced"
    names = spec["names"]
    assert names["kind"] == kind.kind
    assert names["listKind"] == f"{kind.kind}List"
    assert names["plural"] == kind.plural
    assert names["singular"] == kind.singular
    assert names["shortNames"] == [kind.short_name]
    assert names["categories"] == ["pagerduty"]
    [version] = spec["versions"]
    assert (version["name"], version["served"], version["storage"]) == (VERSION, True, True)
    assert version["subresources"] == {"status": {}}


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_every_field_has_a_description(kind: ResourceKind) -> None:
    schema = _schema(kind)
    missing = [
        p for p, node in _walk(schema, "") if p != ".metadata" and not node.get("description")
    ]
    assert missing == []


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_structural_and_never_preserves_unknown_fields(kind: ResourceKind) -> None:
    untyped = [p for p, node in _walk(_schema(kind), "") if "type" not in node]
    assert untyped == []
    text = (CRD_DIR / f"{GROUP}_{kind.plural}.yaml").read_text()
    assert "x-kubernetes-preserve-unknown-fields" not in text


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_spec_strings_and_lists_are_bounded_for_cel_cost(kind: ResourceKind) -> None:
    unbounded = []
    for path, node in _walk(_schema(kind)["properties"]["spec"], "spec"):
        if node["type"] == "string" and "maxLength" not in node and "enum" not in node:
            unbounded.append(path)
        if node["type"] == "array" and "maxItems" not in node:
            unbounded.append(path)
    assert unbounded == []


def _resolve(schema: dict[str, Any], dotted: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = schema
    for part in [p for p in dotted.split(".") if p]:
        if node is None:
            return None
        if node.get("type") == "array":
            node = node.get("items")
        node = (node or {}).get("properties", {}).get(part)
    return node


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_cel_rules_have_messages_and_valid_field_paths(kind: ResourceKind) -> None:
    rules = 0
    for path, node in _spec_and_status_nodes(kind):
        for rule in node.get("x-kubernetes-validations", []):
            rules += 1
            assert rule.get("message"), f"{path}: rule without message: {rule['rule']}"
            assert rule.get("reason", "FieldValueInvalid") in {
                "FieldValueInvalid",
                "FieldValueForbidden",
                "FieldValueRequired",
                "FieldValueDuplicate",
            }
            if "fieldPath" in rule:
                assert _resolve(node, rule["fieldPath"]) is not None, (path, rule["fieldPath"])
    assert rules > 0


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_patterns_compile(kind: ResourceKind) -> None:
    for _, node in _spec_and_status_nodes(kind):
        if "pattern" in node:
            pattern = node["pattern"]
            assert pattern.startswith("^"), pattern
            assert pattern.endswith("$"), pattern
            re.compile(pattern)


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_printer_columns(kind: ResourceKind) -> None:
    columns = _crd_for(kind)["spec"]["versions"][0]["additionalPrinterColumns"]
    names = [c["name"] for c in columns]
    assert names[0] == "Ready"
    assert columns[0]["jsonPath"] == '.status.conditions[?(@.type=="Ready")].status'
    assert names[-1] == "Age"
    assert columns[-1]["jsonPath"] == ".metadata.creationTimestamp"
    schema = _schema(kind)
    for column in columns[1:-1]:
        assert column.get("description"), column["name"]
        assert _resolve(schema, column["jsonPath"]) is not None, column["jsonPath"]


def test_pagerduty_id_columns() -> None:
    def id_paths(kind: ResourceKind) -> set[str]:
        columns = _crd_for(kind)["spec"]["versions"][0]["additionalPrinterColumns"]
        return {c["jsonPath"] for c in columns}

    by_kind = {k.kind: id_paths(k) for k in KINDS}
    assert ".status.account" in by_kind["PagerDutyIntegration"]
    assert ".status.authMethod" in by_kind["PagerDutyIntegration"]
    assert ".status.subscriptionId" in by_kind["PagerDutyWebhook"]
    assert ".status.scope.type" in by_kind["PagerDutyWebhook"]
    assert ".status.ruleId" in by_kind["PagerDutyIncidentRule"]
    assert ".status.path.type" in by_kind["PagerDutyIncidentRule"]


def _without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_without_descriptions(v) for v in node]
    return node


def test_status_conditions_and_policies_are_identical_across_kinds() -> None:
    conditions = {
        k.kind: _without_descriptions(
            _schema(k)["properties"]["status"]["properties"]["conditions"]
        )
        for k in KINDS
    }
    assert len({repr(c) for c in conditions.values()}) == 1
    for name in ("managementPolicy",):
        shapes = {
            repr(_without_descriptions(_schema(k)["properties"]["spec"]["properties"][name]))
            for k in KINDS
        }
        assert len(shapes) == 1, name


def test_crds_yaml_is_every_file_and_parses_back() -> None:
    documents = [d for d in yaml.safe_load_all(crds_yaml()) if d is not None]
    assert documents == load_crds()
    assert sorted(d["metadata"]["name"] for d in documents) == sorted(k.crd_name for k in KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
def test_no_default_inside_a_list_item(kind: ResourceKind) -> None:
    """A default inside a list item makes a GitOps diff (lists compared whole) see drift for ever.

    The apiserver fills it in; Argo CD's default diff of a custom resource compares the manifest's
    list with the live one as a whole, so an example that leaves the field out is OutOfSync after
    every sync. The operator treats a missing value as the default instead.
    """
    offenders = [
        path
        for path, node in _walk(_schema(kind)["properties"]["spec"], "spec")
        if "[]" in path and "default" in node
    ]
    assert not offenders, f"defaults inside list items: {offenders}"

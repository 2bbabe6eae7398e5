"""Every manifest in examples/ parses in the models; each example directory is self-contained."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pagerduty_operator.models import API_VERSION, KINDS, kind_named
from pagerduty_operator.models.incident_rule import IncidentRuleSpec
from pagerduty_operator.models.integration import IntegrationSpec
from pagerduty_operator.models.webhook import WebhookSpec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_DIRS = sorted(p for p in EXAMPLES.iterdir() if p.is_dir())


def _documents(directory: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    return docs


def _custom_resources(directory: Path) -> list[dict[str, Any]]:
    return [d for d in _documents(directory) if d["kind"] != "Secret"]


def _secret_keys_read(resource: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every (secret, key) a resource reads; secrets the operator writes are not listed."""
    kind = resource["kind"]
    spec = kind_named(kind).spec_model.model_validate(resource["spec"])
    if isinstance(spec, IntegrationSpec):
        creds = spec.credentials
        refs = [creds.api_key, creds.routing_key]
        if creds.oauth is not None:
            refs += [creds.oauth.client_id, creds.oauth.client_secret]
        for ref in refs:
            if ref is not None:
                yield ref.secret_key_ref.name, ref.secret_key_ref.key
    if isinstance(spec, WebhookSpec):
        for header in spec.custom_headers or []:
            if header.value_from is not None:
                yield header.value_from.secret_key_ref.name, header.value_from.secret_key_ref.key


def test_there_are_example_directories_covering_every_kind() -> None:
    assert {p.name for p in EXAMPLE_DIRS} >= {"service-scoped", "account-scoped", "oauth"}
    kinds = {d["kind"] for p in EXAMPLE_DIRS for d in _custom_resources(p)}
    assert kinds == {k.kind for k in KINDS}


@pytest.mark.parametrize("directory", EXAMPLE_DIRS, ids=lambda p: p.name)
def test_every_example_parses_in_its_model(directory: Path) -> None:
    resources = _custom_resources(directory)
    assert resources
    for resource in resources:
        assert resource["apiVersion"] == API_VERSION
        assert "namespace" not in resource["metadata"], "examples apply into any namespace"
        kind_named(resource["kind"]).spec_model.model_validate(resource["spec"])


@pytest.mark.parametrize("directory", EXAMPLE_DIRS, ids=lambda p: p.name)
def test_every_referenced_secret_and_integration_is_in_the_same_directory(
    directory: Path,
) -> None:
    docs = _documents(directory)
    secrets = {
        d["metadata"]["name"]: set(d.get("stringData", {})) | set(d.get("data", {}))
        for d in docs
        if d["kind"] == "Secret"
    }
    integrations = {d["metadata"]["name"] for d in docs if d["kind"] == "PagerDutyIntegration"}
    for resource in _custom_resources(directory):
        for name, key in _secret_keys_read(resource):
            assert key in secrets.get(name, set()), f"{resource['metadata']['name']}: {name}/{key}"
        ref = resource["spec"].get("integrationRef")
        if ref is not None:
            assert ref["name"] in integrations


def test_examples_show_the_required_variety() -> None:
    specs = [
        kind_named(d["kind"]).spec_model.model_validate(d["spec"])
        for p in EXAMPLE_DIRS
        for d in _custom_resources(p)
    ]
    integrations = [s for s in specs if isinstance(s, IntegrationSpec)]
    assert any(s.credentials.api_key is not None for s in integrations)
    assert any(s.credentials.oauth is not None for s in integrations)
    assert any(s.service_id is not None for s in integrations)
    webhooks = [s for s in specs if isinstance(s, WebhookSpec)]
    scope_types = {w.scope.type if w.scope else "default" for w in webhooks}
    assert scope_types >= {"account", "service", "team"}
    headers = [h for w in webhooks for h in (w.custom_headers or [])]
    assert any(h.value_from is not None for h in headers)
    assert any(h.value is not None for h in headers)
    rules = [s for s in specs if isinstance(s, IncidentRuleSpec)]
    assert {r.path_type for r in rules} == {"service", "global", "router"}
    assert any(r.path_type == "global" and r.actions and r.actions.drop_event for r in rules)
    assert any(r.path_type == "router" and r.actions and r.actions.route_to for r in rules)
    assert any(r.set != "start" and r.actions and r.actions.route_to for r in rules)

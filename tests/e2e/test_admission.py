"""Admission: the real kube-apiserver rejects invalid resources, naming the field; so do the models.

Each case is a minimal JSON merge patch (``None`` deletes) of a valid base object. The same cases
run against the pydantic models (no control plane needed) and against the apiserver (server-side
dry-run create), so the CRD's schema and CEL rules and the models' validators stay in step.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import ValidationError

from pagerduty_devenv import Kubectl
from pagerduty_operator.crds import crds_yaml
from pagerduty_operator.models import API_VERSION, kind_named
from support.admission import dry_run_create

SECRET_REF = {"secretKeyRef": {"name": "pd-secret", "key": "token"}}
ORCHESTRATION_ID = "3f7c1a52-8d4e-4b6a-9c1f-5e2d7a9b0c41"


def _resource(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": "case"}, "spec": spec}


BASES: dict[str, dict[str, Any]] = {
    "integration": _resource(
        "PagerDutyIntegration", {"credentials": {"apiKey": copy.deepcopy(SECRET_REF)}}
    ),
    "oauth": _resource(
        "PagerDutyIntegration",
        {
            "region": "eu",
            "credentials": {
                "oauth": {
                    "clientId": copy.deepcopy(SECRET_REF),
                    "clientSecret": copy.deepcopy(SECRET_REF),
                    "subdomain": "acme",
                }
            },
        },
    ),
    "webhook": _resource(
        "PagerDutyWebhook",
        {
            "integrationRef": {"name": "pd"},
            "url": "https://hooks.example.com/pagerduty",
            "scope": {"type": "service", "id": "PSVC001"},
            "customHeaders": [{"name": "X-Team", "value": "sre"}],
            "signingSecretRef": {"name": "hook-signing-secret"},
        },
    ),
    "rule": _resource(
        "PagerDutyIncidentRule",
        {
            "integrationRef": {"name": "pd"},
            "target": {"service": {"id": "PSVC001"}},
            "conditions": ["event.severity matches 'critical'"],
            "actions": {"severity": "critical", "priority": "P1"},
        },
    ),
    "global": _resource(
        "PagerDutyIncidentRule",
        {
            "integrationRef": {"name": "pd"},
            "target": {"global": {"orchestrationId": ORCHESTRATION_ID}},
            "actions": {"dropEvent": True},
        },
    ),
    "router": _resource(
        "PagerDutyIncidentRule",
        {
            "integrationRef": {"name": "pd"},
            "target": {"router": {"orchestrationId": ORCHESTRATION_ID}},
            "conditions": ["event.source matches part 'payments'"],
            "actions": {"routeTo": "PSVC001"},
        },
    ),
}


@dataclass(frozen=True)
class Case:
    """One invalid object: ``base`` patched with ``patch`` (under spec); ``field`` must be named."""

    id: str
    base: str
    patch: dict[str, Any]
    field: str
    says: str = ""


def _merge(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    return result


def build(case: Case) -> dict[str, Any]:
    resource: dict[str, Any] = _merge(BASES[case.base], {"spec": case.patch})
    return resource


LONG_ASCII_PCL = "event.summary matches '" + "x" * 2030 + "'"
LONG_UTF8_PCL = "event.summary matches '" + "é" * 1020 + "'"  # 1044 characters, 2064 bytes

CASES = [
    # --- PagerDutyWebhook
    Case("url-not-a-url", "webhook", {"url": "not a url"}, "spec.url"),
    Case("url-ftp", "webhook", {"url": "ftp://hooks.example.com/x"}, "spec.url"),
    Case("url-no-host", "webhook", {"url": "https:///path"}, "spec.url"),
    Case("url-space-in-host", "webhook", {"url": "https://ex ample.com/x"}, "spec.url"),
    Case("url-fragment", "webhook", {"url": "https://hooks.example.com/x#frag"}, "spec.url"),
    Case(
        "url-http-without-allow",
        "webhook",
        {"url": "http://hooks.example.com/pagerduty"},
        "spec.url",
        says="allowInsecureUrl",
    ),
    Case(
        "url-http-allow-false",
        "webhook",
        {"url": "http://hooks.example.com/pagerduty", "allowInsecureUrl": False},
        "spec.url",
        says="https",
    ),
    Case(
        "event-unknown",
        "webhook",
        {"events": ["incident.triggered", "incident.exploded"]},
        "spec.events[1]",
    ),
    Case("event-ping-not-subscribable", "webhook", {"events": ["pagey.ping"]}, "spec.events[0]"),
    Case("events-empty", "webhook", {"events": []}, "spec.events"),
    Case(
        "events-duplicate",
        "webhook",
        {"events": ["incident.resolved", "incident.resolved"]},
        "spec.events[1]",
    ),
    Case("scope-account-with-id", "webhook", {"scope": {"type": "account"}}, "spec.scope.id"),
    Case("scope-service-without-id", "webhook", {"scope": {"id": None}}, "spec.scope.id"),
    Case(
        "scope-team-without-id", "webhook", {"scope": {"type": "team", "id": None}}, "spec.scope.id"
    ),
    Case("scope-unknown-type", "webhook", {"scope": {"type": "org"}}, "spec.scope.type"),
    Case("scope-id-not-an-id", "webhook", {"scope": {"id": "checkout-service"}}, "spec.scope.id"),
    Case(
        "header-value-and-valueFrom",
        "webhook",
        {"customHeaders": [{"name": "X-Key", "value": "a", "valueFrom": SECRET_REF}]},
        "spec.customHeaders[0]",
        says="exactly one of value or valueFrom",
    ),
    Case(
        "header-neither-value",
        "webhook",
        {"customHeaders": [{"name": "X-Key"}]},
        "spec.customHeaders[0]",
        says="exactly one of value or valueFrom",
    ),
    Case(
        "header-names-differ-only-in-case",
        "webhook",
        {"customHeaders": [{"name": "X-Key", "value": "a"}, {"name": "x-key", "value": "b"}]},
        "spec.customHeaders",
        says="unique",
    ),
    Case(
        "header-duplicate-name",
        "webhook",
        {"customHeaders": [{"name": "X-Key", "value": "a"}, {"name": "X-Key", "value": "b"}]},
        "spec.customHeaders[1]",
    ),
    Case(
        "header-name-with-space",
        "webhook",
        {"customHeaders": [{"name": "X Key", "value": "a"}]},
        "spec.customHeaders[0].name",
    ),
    Case(
        "header-value-newline",
        "webhook",
        {"customHeaders": [{"name": "X-Key", "value": "a\r\nInjected: yes"}]},
        "spec.customHeaders[0].value",
    ),
    Case(
        "too-many-headers",
        "webhook",
        {"customHeaders": [{"name": f"X-H{i}", "value": "v"} for i in range(11)]},
        "spec.customHeaders",
    ),
    Case("deletion-policy-unknown", "webhook", {"deletionPolicy": "Keep"}, "spec.deletionPolicy"),
    Case(
        "management-policy-unknown",
        "webhook",
        {"managementPolicy": "ReadOnly"},
        "spec.managementPolicy",
    ),
    Case(
        "rotate-while-observing",
        "webhook",
        {"rotateSigningSecret": True, "managementPolicy": "Observe"},
        "spec.rotateSigningSecret",
    ),
    Case(
        "signing-secret-ref-missing", "webhook", {"signingSecretRef": None}, "spec.signingSecretRef"
    ),
    Case(
        "integration-ref-bad-name",
        "webhook",
        {"integrationRef": {"name": "PD_Main"}},
        "spec.integrationRef.name",
    ),
    Case("description-too-long", "webhook", {"description": "d" * 513}, "spec.description"),
    Case("adopt-id-not-an-id", "webhook", {"adoptId": "p-123"}, "spec.adoptId"),
    Case("unknown-field", "webhook", {"filter": {"type": "account"}}, "spec.filter"),
    # --- PagerDutyIntegration
    Case("region-unknown", "integration", {"region": "ap"}, "spec.region"),
    Case(
        "credentials-empty",
        "integration",
        {"credentials": {"apiKey": None}},
        "spec.credentials",
        says="at least one",
    ),
    Case(
        "credentials-apikey-and-oauth",
        "oauth",
        {"credentials": {"apiKey": SECRET_REF}},
        "spec.credentials",
        says="mutually exclusive",
    ),
    Case(
        "oauth-both-grants",
        "oauth",
        {"credentials": {"oauth": {"tokenSecretRef": {"name": "user-token"}}}},
        "spec.credentials.oauth",
        says="exactly one of subdomain",
    ),
    Case(
        "oauth-no-grant",
        "oauth",
        {"credentials": {"oauth": {"subdomain": None}}},
        "spec.credentials.oauth",
        says="exactly one of subdomain",
    ),
    Case(
        "oauth-client-credentials-without-secret",
        "oauth",
        {"credentials": {"oauth": {"clientSecret": None}}},
        "spec.credentials.oauth.clientSecret",
    ),
    Case(
        "oauth-scopes-with-user-token",
        "oauth",
        {
            "credentials": {
                "oauth": {
                    "subdomain": None,
                    "tokenSecretRef": {"name": "user-token"},
                    "scopes": ["services.read"],
                }
            }
        },
        "spec.credentials.oauth.scopes",
    ),
    Case(
        "oauth-scope-with-account-prefix",
        "oauth",
        {"credentials": {"oauth": {"scopes": ["as_account-us.acme"]}}},
        "spec.credentials.oauth.scopes[0]",
    ),
    Case(
        "oauth-subdomain-not-a-subdomain",
        "oauth",
        {"credentials": {"oauth": {"subdomain": "Acme.Corp"}}},
        "spec.credentials.oauth.subdomain",
    ),
    Case(
        "secret-key-ref-without-key",
        "integration",
        {"credentials": {"apiKey": {"secretKeyRef": {"name": "pd-secret", "key": None}}}},
        "spec.credentials.apiKey.secretKeyRef.key",
    ),
    *(
        Case(
            f"secret-key-ref-key-{label}",
            "integration",
            {"credentials": {"apiKey": {"secretKeyRef": {"name": "pd-secret", "key": key}}}},
            "spec.credentials.apiKey.secretKeyRef.key",
        )
        for label, key in (("dot", "."), ("dotdot", ".."), ("leading-dotdot", "..token"))
    ),
    *(
        Case(
            f"signing-secret-key-{label}",
            "webhook",
            {"signingSecretRef": {"key": key}},
            "spec.signingSecretRef.key",
        )
        for label, key in (("dot", "."), ("dotdot", ".."), ("leading-dotdot", "..secret"))
    ),
    Case("service-id-lowercase", "integration", {"serviceId": "pchkout"}, "spec.serviceId"),
    Case(
        "events-integration-without-service",
        "integration",
        {"eventsIntegration": {"secretName": "routing-key"}},
        "spec.eventsIntegration.serviceId",
    ),
    Case(
        "events-integration-outside-the-service",
        "integration",
        {"serviceId": "PSVC001", "eventsIntegration": {"serviceId": "PSVC002", "secretName": "rk"}},
        "spec.eventsIntegration.serviceId",
    ),
    Case(
        "events-integration-without-rest-credentials",
        "integration",
        {
            "serviceId": "PSVC001",
            "credentials": {"apiKey": None, "routingKey": SECRET_REF},
            "eventsIntegration": {"secretName": "rk"},
        },
        "spec.eventsIntegration",
        says="REST API credentials",
    ),
    Case(
        "integration-management-policy-unknown",
        "integration",
        {"managementPolicy": "Delete"},
        "spec.managementPolicy",
    ),
    # --- PagerDutyIncidentRule
    Case("target-empty", "rule", {"target": {"service": None}}, "spec.target", says="exactly one"),
    Case(
        "target-service-and-global",
        "rule",
        {"target": {"global": {"orchestrationId": ORCHESTRATION_ID}}},
        "spec.target",
        says="exactly one",
    ),
    Case(
        "target-orchestration-id-bad",
        "global",
        {"target": {"global": {"orchestrationId": "not an id!"}}},
        "spec.target.global.orchestrationId",
    ),
    Case("router-priority", "router", {"actions": {"priority": "P1"}}, "spec.actions.priority"),
    Case("router-severity", "router", {"actions": {"severity": "info"}}, "spec.actions.severity"),
    Case("router-suppress", "router", {"actions": {"suppress": True}}, "spec.actions.suppress"),
    Case(
        "router-extractions",
        "router",
        {"actions": {"extractions": [{"target": "event.summary", "template": "x"}]}},
        "spec.actions.extractions",
    ),
    Case("router-without-route", "router", {"actions": {"routeTo": None}}, "spec.actions.routeTo"),
    Case(
        "router-routes-to-a-set",
        "router",
        {"actions": {"routeTo": "escalate"}},
        "spec.actions.routeTo",
        says="service id",
    ),
    Case("router-non-start-set", "router", {"set": "second"}, "spec.set"),
    Case(
        "drop-event-on-service", "rule", {"actions": {"dropEvent": True}}, "spec.actions.dropEvent"
    ),
    Case(
        "drop-event-on-router", "router", {"actions": {"dropEvent": True}}, "spec.actions.dropEvent"
    ),
    Case(
        "drop-event-on-default-target",
        "rule",
        {"target": None, "actions": {"dropEvent": False}},
        "spec.actions.dropEvent",
    ),
    Case("suspend-negative", "rule", {"actions": {"suspend": -1}}, "spec.actions.suspend"),
    Case("severity-unknown", "rule", {"actions": {"severity": "fatal"}}, "spec.actions.severity"),
    Case(
        "event-action-acknowledge",
        "rule",
        {"actions": {"eventAction": "acknowledge"}},
        "spec.actions.eventAction",
    ),
    Case("pcl-too-long", "rule", {"conditions": [LONG_ASCII_PCL]}, "spec.conditions[0]"),
    Case(
        "pcl-too-many-bytes",
        "rule",
        {"conditions": [LONG_UTF8_PCL]},
        "spec.conditions[0]",
        says="2048 bytes",
    ),
    Case(
        "route-to-own-set",
        "rule",
        {"set": "triage", "actions": {"routeTo": "triage"}},
        "spec.actions.routeTo",
    ),
    Case(
        "extraction-template-and-regex",
        "rule",
        {"actions": {"extractions": [{"target": "event.summary", "template": "t", "regex": "r"}]}},
        "spec.actions.extractions[0]",
    ),
    Case(
        "extraction-regex-without-source",
        "rule",
        {"actions": {"extractions": [{"target": "event.summary", "regex": "(x)"}]}},
        "spec.actions.extractions[0]",
    ),
    Case(
        "variable-type-unknown",
        "rule",
        {
            "actions": {
                "variables": [
                    {"name": "v", "path": "event.summary", "value": "x", "type": "literal"}
                ]
            }
        },
        "spec.actions.variables[0].type",
    ),
    Case(
        "activate-orchestration-on-global",
        "global",
        {"activateServiceOrchestration": True},
        "spec.activateServiceOrchestration",
    ),
    Case("order-out-of-range", "rule", {"order": 2_000_000}, "spec.order"),
    Case(
        "rule-deletion-policy-unknown", "rule", {"deletionPolicy": "Remove"}, "spec.deletionPolicy"
    ),
    Case(
        "escalation-policy-not-an-id",
        "rule",
        {"actions": {"escalationPolicy": "payments-ep"}},
        "spec.actions.escalationPolicy",
    ),
    Case("set-id-bad", "rule", {"set": "-start"}, "spec.set"),
    Case("suspend-as-string", "rule", {"actions": {"suspend": "300"}}, "spec.actions.suspend"),
    Case("active-as-string", "webhook", {"active": "yes"}, "spec.active"),
]
CASE_IDS = [c.id for c in CASES]


def _model_error_text(resource: dict[str, Any]) -> str | None:
    """The model's validation error for a resource, rendered; None when it parses."""
    model = kind_named(resource["kind"]).spec_model
    try:
        model.model_validate(resource["spec"])
    except ValidationError as error:
        return str(error)
    return None


def _leaf(field_path: str) -> str:
    return re.sub(r"\[\d+\]", "", field_path).rsplit(".", 1)[-1]


def test_case_ids_are_unique_and_many() -> None:
    assert len(set(CASE_IDS)) == len(CASE_IDS)
    assert len(CASES) >= 25


@pytest.mark.parametrize("base", sorted(BASES))
def test_base_objects_parse_in_the_model(base: str) -> None:
    assert _model_error_text(BASES[base]) is None


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_model_rejects(case: Case) -> None:
    text = _model_error_text(build(case))
    assert text is not None, "the model accepted an invalid spec"
    assert _leaf(case.field) in text


@pytest.fixture(scope="module")
def admission_namespace(kubectl: Kubectl, crds: list[str]) -> Iterator[str]:
    name = "admission-tests"
    kubectl("create", "namespace", name)
    yield name
    kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found")


@pytest.mark.parametrize("base", sorted(BASES))
def test_apiserver_admits_base_objects(
    kubectl: Kubectl, admission_namespace: str, base: str
) -> None:
    result = dry_run_create(kubectl, admission_namespace, BASES[base])
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_apiserver_rejects_naming_the_field(
    kubectl: Kubectl, admission_namespace: str, case: Case
) -> None:
    result = dry_run_create(kubectl, admission_namespace, build(case))
    assert result.returncode != 0, "the apiserver admitted an invalid object"
    assert case.field in result.stderr
    assert case.says in result.stderr


@dataclass(frozen=True)
class Update:
    """A change to an existing object: ``patch`` (merge patch of spec) and whether it is allowed."""

    id: str
    base: str
    patch: dict[str, Any]
    field: str | None


UPDATES = [
    Update(
        "webhook-integration-ref",
        "webhook",
        {"integrationRef": {"name": "other"}},
        "spec.integrationRef",
    ),
    Update(
        "webhook-signing-secret-ref",
        "webhook",
        {"signingSecretRef": {"name": "other"}},
        "spec.signingSecretRef",
    ),
    Update(
        "rule-integration-ref", "rule", {"integrationRef": {"name": "other"}}, "spec.integrationRef"
    ),
    Update(
        "rule-target-service", "rule", {"target": {"service": {"id": "PSVC002"}}}, "spec.target"
    ),
    Update("rule-target-removed", "rule", {"target": None}, "spec.target"),
    Update(
        "router-target-to-global",
        "router",
        {
            "target": {"router": None, "global": {"orchestrationId": ORCHESTRATION_ID}},
            "actions": {"routeTo": None, "severity": "info"},
        },
        "spec.target",
    ),
    Update(
        "webhook-url-and-scope-may-change",
        "webhook",
        {"url": "https://hooks.example.com/v2", "scope": {"type": "account", "id": None}},
        None,
    ),
    Update(
        "rule-set-and-actions-may-change",
        "rule",
        {"set": "triage", "actions": {"priority": None, "routeTo": "escalate"}},
        None,
    ),
]


@pytest.mark.parametrize("update", UPDATES, ids=[u.id for u in UPDATES])
def test_apiserver_enforces_immutable_fields_on_update(
    kubectl: Kubectl, admission_namespace: str, update: Update
) -> None:
    resource = _merge(BASES[update.base], {"metadata": {"name": update.id}})
    kubectl("create", "-n", admission_namespace, "-f", "-", input=json.dumps(resource))
    result = kubectl(
        "patch",
        resource["kind"].lower(),
        update.id,
        "-n",
        admission_namespace,
        "--type=merge",
        "-p",
        json.dumps({"spec": update.patch}),
        check=False,
    )
    if update.field is None:
        assert result.returncode == 0, result.stderr
        assert _model_error_text(_merge(resource, {"spec": update.patch})) is None
    else:
        assert result.returncode != 0, "the apiserver accepted a change to an immutable field"
        assert update.field in result.stderr
        assert "immutable" in result.stderr


def test_kubectl_explain_shows_field_descriptions(kubectl: Kubectl, crds: list[str]) -> None:
    deadline = time.monotonic() + 60
    while True:
        result = kubectl("explain", "pagerdutywebhook.spec.url", check=False)
        if result.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)  # the apiserver publishes a new CRD's OpenAPI asynchronously
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "FIELD: url <string>" in text
    assert "The delivery URL" in text
    assert "allowInsecureUrl" in text
    spec = kubectl("explain", "pagerdutyincidentrule.spec.actions.dropEvent").stdout
    assert "global orchestrations only" in spec


def test_crds_subcommand_output_applies(kubectl: Kubectl, crds: list[str]) -> None:
    result = kubectl(
        "apply",
        "--server-side",
        "--dry-run=server",
        "--field-manager=pdo-tests",
        "-f",
        "-",
        input=crds_yaml(),
    )
    applied = sorted(line.split()[0] for line in result.stdout.splitlines())
    assert applied == sorted(f"customresourcedefinition.apiextensions.k8s.io/{n}" for n in crds)

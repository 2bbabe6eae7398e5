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
from hypothesis import given, note, settings
from pydantic import ValidationError

from pagerduty_devenv import Kubectl
from pagerduty_operator.models import API_VERSION, KINDS, ResourceKind
from support.admission import dry_run_create
from support.crd_specs import APISERVER_EXAMPLES, spec_strategy

EXAMPLES_PER_KIND = 30


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
    result = dry_run_create(kubectl, namespace, resource)
    if result.returncode == 0:
        return True, json.loads(result.stdout)["spec"]
    assert "is invalid" in result.stderr or "BadRequest" in result.stderr, result.stderr
    return False, result.stderr


@pytest.mark.parametrize("kind", KINDS, ids=[k.kind for k in KINDS])
def test_generated_specs_get_the_same_verdict_from_apiserver_and_model(
    kubectl: Kubectl, crds: list[str], namespace: str, kind: ResourceKind
) -> None:
    verdicts: Counter[bool] = Counter()

    @settings(APISERVER_EXAMPLES, max_examples=EXAMPLES_PER_KIND)
    @given(spec=spec_strategy(kind.crd_name))
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

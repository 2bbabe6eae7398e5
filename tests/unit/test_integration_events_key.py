"""A documented failure of the events integration is reported, not raised past the reconcile."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from pagerduty_operator.config import OperatorConfig
from pagerduty_operator.pagerduty.resources.services import EVENTS_API_V2
from pagerduty_operator.reconcile import integration as reconcile_module
from pagerduty_operator.reconcile.integration import reconcile_integration

SPEC = {
    "serviceId": "PCHKOUT",
    "credentials": {"apiKey": {"secretKeyRef": {"name": "key", "key": "token"}}},
    "eventsIntegration": {"name": "alerts", "secretName": "routing"},
}


def _body(previously_ready: bool) -> dict[str, Any]:
    conditions = (
        [
            {
                "type": "Ready",
                "status": "True",
                "reason": "Ready",
                "message": "ok",
                "observedGeneration": 1,
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            }
        ]
        if previously_ready
        else []
    )
    return {
        "metadata": {"namespace": "team-a", "name": "checkout", "uid": "u1", "generation": 1},
        "spec": SPEC,
        "status": {"observedGeneration": 1, "conditions": conditions},
    }


def _context() -> Any:
    keyless = SimpleNamespace(id="PINT1", name="alerts", type=EVENTS_API_V2, integration_key=None)

    async def get_service(service_id: str, include_integrations: bool) -> Any:
        return SimpleNamespace(id=service_id, name="Checkout", integrations=[keyless])

    async def get_integration(service_id: str, integration_id: str) -> Any:
        return keyless

    rest = SimpleNamespace(
        services=SimpleNamespace(get=get_service),
        integrations=SimpleNamespace(get=get_integration),
    )
    connection = SimpleNamespace(auth_method="apiKey", client=rest, rest=lambda: rest)

    async def connect(namespace: str, name: str, spec: Any) -> Any:
        return connection

    async def read_secret(namespace: str, name: str) -> None:
        return None

    return SimpleNamespace(
        config=OperatorConfig(),
        clients=SimpleNamespace(connect=connect),
        kube=SimpleNamespace(read_secret=read_secret),
        post_event=lambda *args: None,
    )


@pytest.mark.parametrize("previously_ready", [False, True])
async def test_no_integration_key_makes_the_integration_not_ready(
    monkeypatch: pytest.MonkeyPatch, previously_ready: bool
) -> None:
    async def credentials_fine(run: Any, *args: Any) -> None:
        run.conditions.true("CredentialsValid", "Valid", "fine")

    monkeypatch.setattr(reconcile_module, "_check_credentials", credentials_fine)
    outcome = await reconcile_integration(_context(), _body(previously_ready))
    conditions = {c["type"]: c for c in outcome.dumped()["conditions"]}
    assert not outcome.ready
    assert conditions["Synced"]["reason"] == "NoIntegrationKey"
    assert conditions["Ready"]["status"] == "False"
    assert conditions["Ready"]["reason"] == "NoIntegrationKey"
    assert "PINT1" in conditions["Ready"]["message"]

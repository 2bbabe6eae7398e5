"""What PagerDuty returns that the operator never sends is never drift.

Webhook subscriptions come back with `oauth_client`, `type`, the delivery method's `id`,
`secret: null`, `temporarily_disabled`, redacted header values, filters with extra reference
fields, and any non-required field may be `null`; services and integrations carry reference
fields and may have `null` lists. None of it may fail a parse or look like a change.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import SecretStr

from pagerduty_operator.models.webhook import WebhookSpec
from pagerduty_operator.pagerduty.resources import (
    CustomHeader,
    Service,
    WebhookFilter,
    WebhookSubscription,
)
from pagerduty_operator.reconcile.webhook_desired import DesiredSubscription, effective_scope

URL = "https://hooks.example/pagerduty"
REDACTED = "-- redacted --"
EVENTS = ["incident.triggered", "incident.resolved", "incident.acknowledged"]


def _desired(scope: dict[str, Any] | None = None, headers: bool = True) -> DesiredSubscription:
    spec_body: dict[str, Any] = {
        "integrationRef": {"name": "pd"},
        "url": URL,
        "events": EVENTS,
        "description": "Alerts to the hook",
        "signingSecretRef": {"name": "hook-signing"},
    }
    if scope is not None:
        spec_body["scope"] = scope
    spec = WebhookSpec.model_validate(spec_body)
    custom = [CustomHeader(name="X-Token", value=SecretStr("header-value"))] if headers else []
    return DesiredSubscription.build(spec, "ns", "hook", effective_scope(spec, None), custom)


def _as_pagerduty_returns(desired: DesiredSubscription) -> dict[str, Any]:
    """The subscription in full, as GET returns it (shape of the spec's GetSubscriptionExample)."""
    filter_body: dict[str, Any] = {"type": desired.scope.type}
    if desired.scope.id is not None:
        filter_body.update(
            id=desired.scope.id,
            self=f"https://api.pagerduty.com/services/{desired.scope.id}",
            summary="Checkout",
        )
    return {
        "id": "PY1OL64",
        "type": "webhook_subscription",
        "active": True,
        "delivery_method": {
            "id": "PF9KMXH",
            "secret": None,
            "temporarily_disabled": False,
            "type": "http_delivery_method",
            "url": desired.url,
            "custom_headers": [{"name": h.name, "value": REDACTED} for h in desired.headers],
        },
        "description": desired.description,
        "events": list(reversed(desired.events)),  # PagerDuty's order is not ours
        "filter": filter_body,
        "oauth_client": {
            "id": "AGLRZQ2PGR5B7EQ52DTT4ZJERY",
            "type": "oauth_client_reference",
            "summary": "PagerDuty Webhook Integration",
        },
    }


def _assert_no_drift(desired: DesiredSubscription, body: dict[str, Any]) -> None:
    actual = WebhookSubscription.model_validate(body)
    assert desired.drift(actual) == []
    assert desired.in_place_changes(actual) is None
    assert desired.replacement_reasons(actual) == []
    assert desired.is_same_endpoint(actual)


@pytest.mark.parametrize(
    "scope", [None, {"type": "service", "id": "PCHKOUT"}, {"type": "team", "id": "PT1NFRA"}]
)
def test_a_full_subscription_as_pagerduty_returns_it_is_no_drift(
    scope: dict[str, Any] | None,
) -> None:
    desired = _desired(scope)
    _assert_no_drift(desired, _as_pagerduty_returns(desired))


@pytest.mark.parametrize(
    "edit",
    [
        lambda b: b.update(oauth_client=None),
        lambda b: b.pop("oauth_client"),
        lambda b: b.update(type=None),
        lambda b: b.update(active=None),  # the default, true
        lambda b: b["delivery_method"].update(temporarily_disabled=None, id=None, type=None),
        lambda b: b["delivery_method"].pop("temporarily_disabled"),
        lambda b: b["filter"].update(html_url=None),
    ],
)
def test_nulls_and_absent_fields_the_operator_never_sends_are_no_drift(edit: Any) -> None:
    desired = _desired({"type": "service", "id": "PCHKOUT"})
    body = _as_pagerduty_returns(desired)
    edit(body)
    _assert_no_drift(desired, body)


@pytest.mark.parametrize("account_id", [None, "PACME00", "absent"])
def test_an_account_filter_is_the_same_whatever_id_comes_with_it(account_id: str | None) -> None:
    desired = _desired({"type": "account"})
    body = _as_pagerduty_returns(desired)
    if account_id != "absent":
        body["filter"]["id"] = account_id
    _assert_no_drift(desired, body)
    assert WebhookSubscription.model_validate(body).filter == WebhookFilter.account()


def test_null_custom_headers_are_no_headers() -> None:
    desired = _desired(headers=False)
    body = _as_pagerduty_returns(desired)
    body["delivery_method"]["custom_headers"] = None
    _assert_no_drift(desired, body)


def test_real_differences_are_still_drift() -> None:
    desired = _desired({"type": "service", "id": "PCHKOUT"})
    base = _as_pagerduty_returns(desired)
    cases: list[tuple[str, Any]] = [
        ("events", lambda b: b.update(events=["incident.triggered"])),
        ("active", lambda b: b.update(active=False)),
        ("filter", lambda b: b.update(filter={"type": "service_reference", "id": "PWEBFRT"})),
        ("url", lambda b: b["delivery_method"].update(url="https://other.example/x")),
        ("customHeaders", lambda b: b["delivery_method"].update(custom_headers=[])),
        ("description", lambda b: b.update(description="changed by hand")),
    ]
    for field, edit in cases:
        body = copy.deepcopy(base)
        edit(body)
        assert field in desired.drift(WebhookSubscription.model_validate(body)), field


def test_services_and_integrations_with_nulls_and_reference_fields_parse() -> None:
    service = Service.model_validate(
        {
            "id": "PCHKOUT",
            "type": "service",
            "summary": "Checkout API",
            "name": "Checkout API",
            "description": None,
            "teams": None,
            "integrations": [
                {
                    "id": "PINTCK1",
                    "type": "events_api_v2_inbound_integration",
                    "name": "Events",
                    "summary": "Events",
                    "service": {"id": "PCHKOUT", "type": "service_reference", "self": "x"},
                    "vendor": None,
                    "integration_key": "cafe0000000000000000000000000001",
                    "integration_email": None,
                    "created_at": "2026-01-01T00:00:00Z",
                }
            ],
            "escalation_policy": {"id": "PEP4CMQ", "type": "escalation_policy_reference"},
            "auto_pause_notifications_parameters": {"enabled": False, "timeout": None},
            "alert_grouping_parameters": {"type": None, "config": None},
        }
    )
    assert service.teams == []
    assert [i.name for i in service.integrations] == ["Events"]
    assert Service.model_validate({"id": "PWEBFRT", "integrations": None}).integrations == []

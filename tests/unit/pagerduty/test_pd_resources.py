"""Resource methods: exact requests, parsed responses, hidden secrets, caches."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from pd_unit_helpers import FakeClock, json_response, make_client
from pydantic import SecretStr

from pagerduty_operator.pagerduty import NotFoundError, UnknownPriorityError
from pagerduty_operator.pagerduty.resources import (
    CustomHeader,
    NewWebhookSubscription,
    OrchestrationPath,
    WebhookFilter,
    WebhookSubscriptionUpdate,
)

SIGNING = "whsec-unit-signing-1234"
SUB = {
    "id": "PSUB001",
    "type": "webhook_subscription",
    "active": True,
    "description": "managed",
    "events": ["incident.triggered"],
    "filter": {"type": "service_reference", "id": "PSVC001"},
    "delivery_method": {
        "id": "PDM0001",
        "type": "http_delivery_method",
        "url": "https://hooks.example/pd",
        "custom_headers": [{"name": "X-Api-Key", "value": "hdr-secret-999"}],
        "secret": SIGNING,
        "temporarily_disabled": False,
    },
    "oauth_client": None,
    "some_future_field": 1,
}


class Recorder:
    def __init__(self, responses: dict[tuple[str, str], httpx.Response]) -> None:
        self.responses = responses
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses[(request.method, request.url.path)]

    def body(self, index: int = -1) -> object:
        return json.loads(self.requests[index].content)


async def test_webhook_create_sends_the_documented_body(clock: FakeClock) -> None:
    rec = Recorder(
        {("POST", "/webhook_subscriptions"): json_response(200, {"webhook_subscription": SUB})}
    )
    new = NewWebhookSubscription(
        url="https://hooks.example/pd",
        events=["incident.triggered", "incident.resolved"],
        filter=WebhookFilter.service("PSVC001"),
        description="managed",
        active=False,
        custom_headers=[CustomHeader(name="X-Api-Key", value=SecretStr("hdr-secret-999"))],
    )
    assert "hdr-secret-999" not in repr(new)
    async with make_client(rec, clock=clock) as client:
        sub = await client.webhooks.create(new)
    assert rec.body() == {
        "webhook_subscription": {
            "type": "webhook_subscription",
            "delivery_method": {
                "type": "http_delivery_method",
                "url": "https://hooks.example/pd",
                "custom_headers": [{"name": "X-Api-Key", "value": "hdr-secret-999"}],
            },
            "events": ["incident.triggered", "incident.resolved"],
            "filter": {"type": "service_reference", "id": "PSVC001"},
            "active": False,
            "description": "managed",
        }
    }
    assert sub.signing_secret is not None
    assert sub.signing_secret.get_secret_value() == SIGNING
    assert sub.url == "https://hooks.example/pd"
    assert sub.filter.kind == "service"
    for text in (repr(sub), str(sub), sub.model_dump_json()):
        assert SIGNING not in text
        assert "hdr-secret-999" not in text


async def test_webhook_update_sends_only_what_changes(clock: FakeClock) -> None:
    rec = Recorder(
        {
            ("PUT", "/webhook_subscriptions/PSUB001"): json_response(
                200, {"webhook_subscription": SUB}
            )
        }
    )
    async with make_client(rec, clock=clock) as client:
        await client.webhooks.update("PSUB001", WebhookSubscriptionUpdate(active=False))
        await client.webhooks.update(
            "PSUB001",
            WebhookSubscriptionUpdate(
                events=["incident.acknowledged"], filter=WebhookFilter.account()
            ),
        )
    assert rec.body(0) == {"webhook_subscription": {"active": False}}
    assert rec.body(1) == {
        "webhook_subscription": {
            "events": ["incident.acknowledged"],
            "filter": {"type": "account_reference"},
        }
    }


async def test_webhook_list_get_delete_enable_ping(clock: FakeClock) -> None:
    listed = {**SUB, "delivery_method": {**SUB["delivery_method"], "secret": None}}  # type: ignore[dict-item]
    rec = Recorder(
        {
            ("GET", "/webhook_subscriptions"): json_response(
                200, {"webhook_subscriptions": [listed], "more": False}
            ),
            ("GET", "/webhook_subscriptions/PSUB001"): json_response(
                200, {"webhook_subscription": listed}
            ),
            ("DELETE", "/webhook_subscriptions/PSUB001"): httpx.Response(204),
            ("DELETE", "/webhook_subscriptions/GONE"): httpx.Response(404),
            ("POST", "/webhook_subscriptions/PSUB001/enable"): json_response(
                200, {"webhook_subscription": listed}
            ),
            ("POST", "/webhook_subscriptions/PSUB001/ping"): httpx.Response(202),
        }
    )
    async with make_client(rec, clock=clock) as client:
        subs = await client.webhooks.list("service", "PSVC001")
        assert [s.id for s in subs] == ["PSUB001"]
        assert subs[0].signing_secret is None
        assert (await client.webhooks.get("PSUB001")).description == "managed"
        assert await client.webhooks.delete("PSUB001") is True
        assert await client.webhooks.delete("GONE", missing_ok=True) is False
        with pytest.raises(NotFoundError):
            await client.webhooks.delete("GONE")
        assert (await client.webhooks.enable("PSUB001")).id == "PSUB001"
        await client.webhooks.ping("PSUB001")
    params = rec.requests[0].url.params
    assert (params["filter_type"], params["filter_id"], params["limit"]) == (
        "service",
        "PSVC001",
        "100",
    )


async def test_service_with_integrations_and_integration_create(clock: FakeClock) -> None:
    integration = {
        "id": "PINT001",
        "type": "events_api_v2_inbound_integration",
        "name": "ops",
        "service": {"id": "PSVC001", "type": "service_reference"},
        "integration_key": "rk-unit-0000000000000000000001",
    }
    rec = Recorder(
        {
            ("GET", "/services/PSVC001"): json_response(
                200,
                {
                    "service": {
                        "id": "PSVC001",
                        "name": "Checkout",
                        "integrations": [
                            integration,
                            {"id": "PREF", "type": "generic_email_inbound_integration_reference"},
                        ],
                    }
                },
            ),
            ("POST", "/services/PSVC001/integrations"): json_response(
                201, {"integration": integration}
            ),
            ("GET", "/services/PSVC001/integrations/PINT001"): json_response(
                200, {"integration": integration}
            ),
        }
    )
    async with make_client(rec, clock=clock) as client:
        service = await client.services.get("PSVC001")
        created = await client.integrations.create("PSVC001", "ops")
        fetched = await client.integrations.get("PSVC001", "PINT001")
    assert rec.requests[0].url.params.get_list("include[]") == ["integrations"]
    assert [i.id for i in service.integrations] == ["PINT001", "PREF"]
    assert rec.body(1) == {
        "integration": {
            "type": "events_api_v2_inbound_integration",
            "name": "ops",
            "service": {"id": "PSVC001", "type": "service_reference"},
        }
    }
    assert created.routing_key is not None
    assert created.routing_key.get_secret_value() == "rk-unit-0000000000000000000001"
    assert "rk-unit" not in repr(service) + repr(created) + repr(fetched)


async def test_orchestration_put_sends_sets_and_catch_all_verbatim(clock: FakeClock) -> None:
    foreign_rule = {
        "id": "0a1b2c3d",
        "label": "theirs",
        "conditions": [{"expression": "event.summary matches part 'disk'"}],
        "actions": {"priority": "P1", "unknown_future_action": {"x": [1, None]}},
        "disabled": False,
    }
    stored: OrchestrationPath = {
        "type": "service",
        "parent": {"id": "PSVC001", "type": "service_reference"},
        "sets": [{"id": "start", "rules": [foreign_rule]}],  # type: ignore[list-item]
        "catch_all": {"actions": {}},
        "version": "v1",
    }
    warnings = [
        {
            "message": "plan lacks suspend",
            "rule_id": "x",
            "feature": "suspend",
            "feature_type": "actions",
            "warning_type": "forbidden_feature",
        }
    ]
    rec = Recorder(
        {
            ("GET", "/event_orchestrations/services/PSVC001"): json_response(
                200, {"orchestration_path": stored}
            ),
            ("PUT", "/event_orchestrations/services/PSVC001"): json_response(
                200, {"orchestration_path": stored, "warnings": warnings}
            ),
            ("GET", "/event_orchestrations/O1/router"): json_response(
                200, {"orchestration_path": {**stored, "type": "router"}}
            ),
            ("PUT", "/event_orchestrations/O1/global"): json_response(
                200, {"orchestration_path": {**stored, "type": "global"}, "warnings": None}
            ),
            ("GET", "/event_orchestrations/services/PSVC001/active"): json_response(
                200, {"active": False}
            ),
            ("PUT", "/event_orchestrations/services/PSVC001/active"): json_response(
                200, {"active": True}
            ),
        }
    )
    async with make_client(rec, clock=clock) as client:
        path = await client.orchestrations.get_service_path("PSVC001")
        update = await client.orchestrations.put_service_path("PSVC001", path)
        router = await client.orchestrations.get_router_path("O1")
        glob = await client.orchestrations.put_global_path("O1", path)
        assert await client.orchestrations.get_service_active("PSVC001") is False
        assert await client.orchestrations.set_service_active("PSVC001", True) is True
    assert path == stored
    assert rec.body(1) == {
        "orchestration_path": {"sets": stored["sets"], "catch_all": {"actions": {}}}
    }
    assert update.warnings == warnings
    assert router["type"] == "router"
    assert glob.warnings == []
    assert rec.body(5) == {"active": True}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"warnings": None}, []),  # what PagerDuty sends without warnings (go-pagerduty decodes it)
        ({}, []),  # absent
        ({"warnings": []}, []),
        ({"warnings": {"unexpected": "object"}}, []),
        (
            {"warnings": [{"feature": "suspend", "rule_id": "r1"}, "not an object"]},
            [{"feature": "suspend", "rule_id": "r1"}],
        ),
    ],
)
async def test_orchestration_put_warnings_may_be_null_absent_or_an_array(
    clock: FakeClock, answer: dict[str, object], expected: list[dict[str, str]]
) -> None:
    stored = {"type": "service", "sets": [{"id": "start", "rules": []}], "catch_all": {}}
    rec = Recorder(
        {
            ("PUT", "/event_orchestrations/services/PSVC001"): json_response(
                200, {"orchestration_path": stored, **answer}
            ),
        }
    )
    async with make_client(rec, clock=clock) as client:
        update = await client.orchestrations.put_service_path(
            "PSVC001", {"sets": [{"id": "start", "rules": []}]}
        )
    assert update.warnings == expected
    assert update.path["sets"] == [{"id": "start", "rules": []}]


async def test_priorities_are_cached_fetched_once_and_resolved(clock: FakeClock) -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return json_response(
            200,
            {
                "priorities": [
                    {"id": "PP1", "name": "P1"},
                    {"id": "PP2", "name": "P2"},
                    {"id": "PSEV", "name": "Sev-1"},
                ],
                "more": False,
            },
        )

    async with make_client(handler, clock=clock) as client:
        ids = await asyncio.gather(*(client.priorities.resolve("P2") for _ in range(10)))
        assert ids == ["PP2"] * 10
        assert calls == 1
        assert await client.priorities.resolve("PP1") == "PP1"
        assert await client.priorities.resolve("sev-1") == "PSEV"
        assert calls == 1
        with pytest.raises(UnknownPriorityError) as info:
            await client.priorities.resolve("P9")
        assert info.value.valid_names == ("P1", "P2", "Sev-1")
        assert calls == 1  # the cache is younger than the miss-refresh age
        clock.advance(31)
        with pytest.raises(UnknownPriorityError):
            await client.priorities.resolve("P9")
        assert calls == 2
        clock.advance(601)
        await client.priorities.resolve("P1")
        assert calls == 3


async def test_abilities_and_users(clock: FakeClock) -> None:
    rec = Recorder(
        {
            ("GET", "/abilities"): json_response(200, {"abilities": ["teams", "urgencies"]}),
            ("GET", "/abilities/teams"): httpx.Response(204),
            ("GET", "/abilities/sso"): json_response(
                402, {"error": {"message": "Missing ability", "code": 2014}}
            ),
            ("GET", "/users/me"): json_response(
                400,
                {"error": "Because this request was made using an account-level access token, ..."},
            ),
        }
    )
    async with make_client(rec, clock=clock) as client:
        assert await client.abilities.list() == ["teams", "urgencies"]
        assert await client.abilities.has("teams") is True
        assert await client.abilities.has("sso") is False
        assert await client.users.me_or_none() is None

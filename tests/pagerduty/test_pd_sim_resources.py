"""Every resource method of the client against the simulator over real HTTP."""

from __future__ import annotations

import asyncio

import pytest
from pd_sim_helpers import Admin, LinkedClock, make_pd_client
from pydantic import SecretStr

from pagerduty_operator.pagerduty import (
    ApiToken,
    InvalidInputError,
    NotFoundError,
    OAuthClientCredentials,
    PagerDutyClient,
    ProductLimitError,
    UnknownPriorityError,
)
from pagerduty_operator.pagerduty.resources import (
    CustomHeader,
    NewWebhookSubscription,
    OrchestrationPath,
    WebhookFilter,
    WebhookSubscriptionUpdate,
)
from pagerduty_simulator import SimulatorServer
from support.sim_seed import (
    ACME_GLOBAL,
    BATCH,
    CHECKOUT,
    CHECKOUT_KEY,
    DATABASE,
    EU_CLIENT_ID,
    EU_CLIENT_SECRET,
    EU_SHOP,
    PRIORITY_P1,
    TEAM_INFRA,
    US_USER_KEY,
    WEB,
)

EVENTS = ["incident.triggered", "incident.resolved"]


def _new(url: str, flt: WebhookFilter, **kw: object) -> NewWebhookSubscription:
    return NewWebhookSubscription(url=url, events=EVENTS, filter=flt, **kw)


async def test_webhook_lifecycle(pd: PagerDutyClient, admin: Admin) -> None:
    created = await pd.webhooks.create(
        _new(
            "https://hooks.example/lifecycle",
            WebhookFilter.service(CHECKOUT),
            description="managed by pagerduty-operator [default/hook]",
            custom_headers=[CustomHeader(name="X-Receiver-Key", value=SecretStr("rcv-key-31337"))],
        )
    )
    assert created.signing_secret is not None
    state = await admin.state()
    stored = next(w for w in state["accounts"][0]["webhook_subscriptions"] if w["id"] == created.id)
    assert stored["secret"] == created.signing_secret.get_secret_value()
    assert stored["custom_headers"] == [{"name": "X-Receiver-Key", "value": "rcv-key-31337"}]

    fetched = await pd.webhooks.get(created.id)
    assert fetched.signing_secret is None
    assert fetched.description == "managed by pagerduty-operator [default/hook]"
    assert fetched.filter == WebhookFilter.service(CHECKOUT)

    updated = await pd.webhooks.update(
        created.id, WebhookSubscriptionUpdate(active=False, events=["incident.acknowledged"])
    )
    assert updated.active is False
    assert updated.events == ["incident.acknowledged"]
    assert updated.url == "https://hooks.example/lifecycle"

    enabled = await pd.webhooks.enable(created.id)
    assert enabled.delivery_method.temporarily_disabled is False
    await pd.webhooks.ping(created.id)

    assert await pd.webhooks.delete(created.id) is True
    assert await pd.webhooks.delete(created.id, missing_ok=True) is False
    with pytest.raises(NotFoundError) as info:
        await pd.webhooks.get(created.id)
    assert info.value.status == 404
    assert info.value.path == "/webhook_subscriptions/{id}"


async def test_webhook_list_by_filter(pd: PagerDutyClient) -> None:
    account = await pd.webhooks.create(_new("https://hooks.example/a", WebhookFilter.account()))
    service = await pd.webhooks.create(_new("https://hooks.example/s", WebhookFilter.service(WEB)))
    team = await pd.webhooks.create(_new("https://hooks.example/t", WebhookFilter.team(TEAM_INFRA)))
    assert [s.id for s in await pd.webhooks.list("account")] == [account.id]
    assert [s.id for s in await pd.webhooks.list("service", WEB)] == [service.id]
    assert [s.id for s in await pd.webhooks.list("team", TEAM_INFRA)] == [team.id]
    assert {s.id for s in await pd.webhooks.list()} == {account.id, service.id, team.id}


async def test_webhook_list_pages_by_100(pd: PagerDutyClient, admin: Admin) -> None:
    created = await asyncio.gather(
        *(
            pd.webhooks.create(_new(f"https://hooks.example/{i}", WebhookFilter.account()))
            for i in range(130)
        )
    )
    mark = await admin.mark()
    listed = await pd.webhooks.list("account")
    assert sorted(s.id for s in listed) == sorted(s.id for s in created)
    lists = [r for r in await admin.requests(mark) if r["route"] == "/webhook_subscriptions"]
    assert len(lists) == 2


async def test_webhook_errors(pd: PagerDutyClient) -> None:
    with pytest.raises(InvalidInputError) as info:
        await pd.webhooks.create(
            NewWebhookSubscription(
                url="https://hooks.example/bad",
                events=["incident.exploded"],
                filter=WebhookFilter.account(),
            )
        )
    assert info.value.status == 400
    assert any("incident.exploded" in e for e in info.value.errors)
    for i in range(10):
        await pd.webhooks.create(
            _new(f"https://hooks.example/lim{i}", WebhookFilter.service(DATABASE))
        )
    with pytest.raises(ProductLimitError) as limit:
        await pd.webhooks.create(
            _new("https://hooks.example/lim10", WebhookFilter.service(DATABASE))
        )
    assert limit.value.code == 2019


async def test_services_and_integrations(pd: PagerDutyClient) -> None:
    service = await pd.services.get(CHECKOUT)
    assert service.name == "Checkout API"
    (seeded,) = service.integrations
    assert seeded.integration_key is not None
    assert seeded.integration_key.get_secret_value() == CHECKOUT_KEY
    plain = await pd.services.get(CHECKOUT, include_integrations=False)
    assert [i.id for i in plain.integrations] == [seeded.id]

    created = await pd.integrations.create(CHECKOUT, "pagerduty-operator events")
    assert created.type == "events_api_v2_inbound_integration"
    assert created.routing_key is not None
    assert len(created.routing_key.get_secret_value()) == 32
    fetched = await pd.integrations.get(CHECKOUT, created.id)
    assert fetched.routing_key == created.routing_key
    again = await pd.services.get(CHECKOUT)
    assert {i.id for i in again.integrations} == {seeded.id, created.id}
    names = [s.name async for s in pd.services.iterate(query="Web")]
    assert names == ["Web Frontend"]
    with pytest.raises(NotFoundError):
        await pd.services.get("PNOSUCH")


async def test_orchestration_paths(pd: PagerDutyClient) -> None:
    path = await pd.orchestrations.get_service_path(DATABASE)
    (theirs,) = path["sets"][0]["rules"]
    assert theirs["id"] == "0a1b2c3d"
    ours = {
        "label": "pagerduty-operator: default/db-critical",
        "conditions": [{"expression": "event.severity matches 'critical'"}],
        "actions": {"priority": PRIORITY_P1},
    }
    desired: OrchestrationPath = {
        "sets": [{"id": "start", "rules": [ours, theirs]}],  # type: ignore[list-item]
        "catch_all": path["catch_all"],
    }
    update = await pd.orchestrations.put_service_path(DATABASE, desired)
    rules = update.path["sets"][0]["rules"]
    assert [r["label"] for r in rules] == [ours["label"], theirs["label"]]
    assert rules[1] == theirs
    assert update.warnings == []
    assert (await pd.orchestrations.get_service_path(DATABASE))["sets"] == update.path["sets"]

    router = await pd.orchestrations.get_router_path(ACME_GLOBAL)
    assert router["type"] == "router"
    routed = await pd.orchestrations.put_router_path(ACME_GLOBAL, router)
    assert routed.path["sets"] == router["sets"]
    glob = await pd.orchestrations.get_global_path(ACME_GLOBAL)
    glob["sets"][0]["rules"].append(
        {"label": "suspend noisy", "conditions": [], "actions": {"suspend": 60}}
    )
    glob_update = await pd.orchestrations.put_global_path(ACME_GLOBAL, glob)
    assert len(glob_update.path["sets"][0]["rules"]) == 2
    assert ACME_GLOBAL in [o["id"] async for o in pd.orchestrations.iterate()]

    assert await pd.orchestrations.get_service_active(BATCH) is False
    assert await pd.orchestrations.set_service_active(BATCH, True) is True
    assert await pd.orchestrations.get_service_active(BATCH) is True


async def test_orchestration_warnings_for_plan_gated_features(pd: PagerDutyClient) -> None:
    path = await pd.orchestrations.get_service_path(WEB)
    path["sets"][0]["rules"].append(
        {
            "label": "threshold",
            "conditions": [{"expression": "trigger_count over 1 minute > 3"}],
            "actions": {"severity": "critical"},
        }
    )
    update = await pd.orchestrations.put_service_path(WEB, path)
    assert update.warnings
    assert all("message" in w for w in update.warnings)


async def test_priorities_abilities_users(
    sim: SimulatorServer, pd: PagerDutyClient, admin: Admin
) -> None:
    mark = await admin.mark()
    assert await pd.priorities.resolve("P1") == PRIORITY_P1
    assert await pd.priorities.resolve("p1") == PRIORITY_P1
    assert await pd.priorities.resolve(PRIORITY_P1) == PRIORITY_P1
    with pytest.raises(UnknownPriorityError) as info:
        await pd.priorities.resolve("P0")
    assert info.value.valid_names == ("P1", "P2", "P3", "P4", "P5")
    assert len([r for r in await admin.requests(mark) if r["route"] == "/priorities"]) == 1

    abilities = await pd.abilities.list()
    assert "teams" in abilities
    assert await pd.abilities.has("teams") is True
    assert await pd.users.me_or_none() is None
    async with make_pd_client(sim.us_url, ApiToken(US_USER_KEY)) as user_client:
        me = await user_client.users.me()
    assert me.id == "PJ4K2M7"


async def test_eu_region_with_oauth(sim: SimulatorServer, clock: LinkedClock) -> None:
    cred = OAuthClientCredentials(EU_CLIENT_ID, EU_CLIENT_SECRET, "globex", region="eu")
    async with make_pd_client(sim.eu_url, cred, region="eu", clock=clock) as client:
        service = await client.services.get(EU_SHOP)
    assert service.name == "EU Shop"
    assert "as_account-eu.globex" in (cred.granted_scopes or set())
    wrong_origin = OAuthClientCredentials(EU_CLIENT_ID, EU_CLIENT_SECRET, "globex", region="eu")
    async with make_pd_client(sim.us_url, wrong_origin, clock=clock) as client:
        with pytest.raises(Exception, match="HTTP 401"):
            await client.services.get(EU_SHOP)

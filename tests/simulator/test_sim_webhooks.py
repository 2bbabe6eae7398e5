"""Webhook subscriptions: the behaviour that catches real client bugs."""

from __future__ import annotations

import httpx
from sim_helpers import webhook_body

from pagerduty_simulator import SimulatorServer
from support.sim_seed import CHECKOUT, DATABASE, TEAM_INFRA

URL = "https://receiver.example/hooks"


async def create(api: httpx.AsyncClient, **kwargs: object) -> dict[str, object]:
    response = await api.post("/webhook_subscriptions", json=webhook_body(URL, **kwargs))  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    subscription = response.json()["webhook_subscription"]
    assert isinstance(subscription, dict)
    return subscription


async def test_secret_is_returned_only_by_create(
    api: httpx.AsyncClient, sim: SimulatorServer
) -> None:
    created = await create(api)
    method = created["delivery_method"]
    assert isinstance(method, dict)
    secret = method["secret"]
    assert isinstance(secret, str)
    assert len(secret) >= 32
    assert sim.state.account("acme").webhooks[str(created["id"])].secret == secret
    fetched = (await api.get(f"/webhook_subscriptions/{created['id']}")).json()
    assert fetched["webhook_subscription"]["delivery_method"]["secret"] is None
    listed = (await api.get("/webhook_subscriptions")).json()["webhook_subscriptions"]
    assert [s["delivery_method"]["secret"] for s in listed] == [None]
    enabled = (await api.post(f"/webhook_subscriptions/{created['id']}/enable")).json()
    assert enabled["webhook_subscription"]["delivery_method"]["secret"] is None
    updated = await api.put(
        f"/webhook_subscriptions/{created['id']}",
        json={"webhook_subscription": {"description": "renamed"}},
    )
    assert updated.json()["webhook_subscription"]["delivery_method"]["secret"] is None


async def test_custom_header_values_are_redacted_on_read(
    api: httpx.AsyncClient, sim: SimulatorServer
) -> None:
    headers = [{"name": "X-Api-Key", "value": "receiver-secret-value"}]
    created = await create(api, headers=headers)
    for body in (
        created,
        (await api.get(f"/webhook_subscriptions/{created['id']}")).json()["webhook_subscription"],
    ):
        assert body["delivery_method"]["custom_headers"] == [  # type: ignore[index]
            {"name": "X-Api-Key", "value": "-- redacted --"}
        ]
    stored = sim.state.account("acme").webhooks[str(created["id"])]
    assert stored.custom_headers[0].value == "receiver-secret-value"


async def test_duplicate_header_names_are_rejected(api: httpx.AsyncClient) -> None:
    headers = [{"name": "X-A", "value": "1"}, {"name": "x-a", "value": "2"}]
    response = await api.post("/webhook_subscriptions", json=webhook_body(URL, headers=headers))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 2001


async def test_delivery_method_cannot_change_on_put(api: httpx.AsyncClient) -> None:
    created = await create(api, headers=[{"name": "X-A", "value": "1"}])
    response = await api.put(
        f"/webhook_subscriptions/{created['id']}",
        json={
            "webhook_subscription": {
                "delivery_method": {
                    "type": "http_delivery_method",
                    "url": "https://other.example/x",
                },
                "events": ["incident.resolved"],
                "active": False,
                "description": "changed",
                "filter": {"type": "service_reference", "id": DATABASE},
            }
        },
    )
    assert response.status_code == 200
    updated = response.json()["webhook_subscription"]
    assert updated["delivery_method"]["url"] == URL
    assert updated["delivery_method"]["custom_headers"] == [
        {"name": "X-A", "value": "-- redacted --"}
    ]
    assert updated["delivery_method"]["id"] == created["delivery_method"]["id"]  # type: ignore[index]
    assert updated["events"] == ["incident.resolved"]
    assert updated["active"] is False
    assert updated["description"] == "changed"
    assert updated["filter"] == {"type": "service_reference", "id": DATABASE}


async def test_ten_subscriptions_per_service_then_2019(api: httpx.AsyncClient) -> None:
    for _ in range(10):
        await create(api, filter_id=CHECKOUT)
    refused = await api.post("/webhook_subscriptions", json=webhook_body(URL, filter_id=CHECKOUT))
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == 2019
    # Other services and the account scope are separate budgets.
    await create(api, filter_id=DATABASE)
    await create(api, filter_type="account_reference", filter_id=None)
    # Moving a subscription into a full filter is refused as well.
    other = await create(api, filter_id=DATABASE)
    moved = await api.put(
        f"/webhook_subscriptions/{other['id']}",
        json={"webhook_subscription": {"filter": {"type": "service_reference", "id": CHECKOUT}}},
    )
    assert moved.json()["error"]["code"] == 2019


async def test_ten_subscriptions_per_team_then_2019(api: httpx.AsyncClient) -> None:
    for _ in range(10):
        await create(api, filter_type="team_reference", filter_id=TEAM_INFRA)
    refused = await api.post(
        "/webhook_subscriptions",
        json=webhook_body(URL, filter_type="team_reference", filter_id=TEAM_INFRA),
    )
    assert refused.json()["error"]["code"] == 2019


async def test_identical_creates_are_not_deduplicated(api: httpx.AsyncClient) -> None:
    first = await create(api)
    second = await create(api)
    assert first["id"] != second["id"]
    assert first["delivery_method"]["secret"] != second["delivery_method"]["secret"]  # type: ignore[index]
    listed = (await api.get("/webhook_subscriptions")).json()["webhook_subscriptions"]
    assert len(listed) == 2


async def test_not_found_has_an_empty_body(api: httpx.AsyncClient) -> None:
    for response in (
        await api.get("/webhook_subscriptions/PNOSUCH"),
        await api.delete("/webhook_subscriptions/PNOSUCH"),
        await api.post("/webhook_subscriptions/PNOSUCH/enable"),
        await api.post("/webhook_subscriptions/PNOSUCH/ping"),
    ):
        assert response.status_code == 404
        assert response.content == b""


async def test_delete_then_gone(api: httpx.AsyncClient) -> None:
    created = await create(api)
    deleted = await api.delete(f"/webhook_subscriptions/{created['id']}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await api.get(f"/webhook_subscriptions/{created['id']}")).status_code == 404


async def test_list_filters(api: httpx.AsyncClient) -> None:
    on_checkout = await create(api, filter_id=CHECKOUT)
    on_team = await create(api, filter_type="team_reference", filter_id=TEAM_INFRA)
    on_account = await create(api, filter_type="account_reference", filter_id=None)

    async def ids(params: dict[str, str]) -> list[object]:
        response = await api.get("/webhook_subscriptions", params=params)
        assert response.status_code == 200, response.text
        return [s["id"] for s in response.json()["webhook_subscriptions"]]

    assert await ids({"filter_type": "service", "filter_id": CHECKOUT}) == [on_checkout["id"]]
    assert await ids({"filter_type": "team", "filter_id": TEAM_INFRA}) == [on_team["id"]]
    assert await ids({"filter_type": "account"}) == [on_account["id"]]
    assert await ids({"filter_type": "service", "filter_id": DATABASE}) == []
    missing_id = await api.get("/webhook_subscriptions", params={"filter_type": "service"})
    assert missing_id.status_code == 400
    wrong_name = await api.get(
        "/webhook_subscriptions", params={"filter_type": "service_reference", "filter_id": CHECKOUT}
    )
    assert wrong_name.status_code == 400


async def test_create_validation(api: httpx.AsyncClient) -> None:
    cases = [
        webhook_body("ftp://receiver.example/x"),
        webhook_body(URL, events=["incident.exploded"]),
        webhook_body(URL, events=["incident.triggered", "incident.triggered"]),
        webhook_body(URL, filter_id="PNOSUCH"),
        webhook_body(URL, filter_type="service_reference", filter_id=None),
        webhook_body(URL, filter_type="service"),
        {"webhook_subscription": {"events": ["incident.triggered"]}},
        {"not_wrapped": True},
    ]
    for body in cases:
        response = await api.post("/webhook_subscriptions", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == 2001
    empty_events = webhook_body(URL)
    empty_events["webhook_subscription"]["events"] = []
    assert (await api.post("/webhook_subscriptions", json=empty_events)).status_code == 400
    as_form = await api.post("/webhook_subscriptions", data={"a": "b"})
    assert as_form.status_code == 400


async def test_inactive_subscription_can_be_created(api: httpx.AsyncClient) -> None:
    created = await create(api, active=False)
    assert created["active"] is False
    fetched = (await api.get(f"/webhook_subscriptions/{created['id']}")).json()
    assert fetched["webhook_subscription"]["active"] is False

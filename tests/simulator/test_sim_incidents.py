"""Bulk `PUT /incidents` and the `From` header rules shared with `PUT /incidents/{id}`."""

from __future__ import annotations

from typing import Any

import httpx
from sim_helpers import ClientFactory, Receiver, bearer_headers, oauth_token, webhook_body

from pagerduty_simulator import SimulatorServer
from support.sim_seed import (
    CHECKOUT,
    DATABASE,
    PRIORITY_P1,
    US_CLIENT_ID,
    US_CLIENT_SECRET,
    US_READ_ONLY,
    US_USER_KEY,
)

FROM_ALICE = {"From": "alice@acme.example"}
FROM_REQUIRED = (
    'You must specify a user\'s email address in the "From" header to perform this action'
)


async def trigger(admin: httpx.AsyncClient, service_id: str, title: str) -> str:
    response = await admin.post("/incidents", json={"service_id": service_id, "title": title})
    assert response.status_code == 201, response.text
    incident_id: str = response.json()["incident"]["id"]
    return incident_id


async def status(api: httpx.AsyncClient, incident_id: str) -> str:
    value: str = (await api.get(f"/incidents/{incident_id}")).json()["incident"]["status"]
    return value


def refs(*incident_ids: str, **fields: Any) -> dict[str, Any]:
    return {"incidents": [{"id": i, "type": "incident_reference", **fields} for i in incident_ids]}


async def test_bulk_acknowledge_then_resolve(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    hook = webhook_body(receiver.url, events=["incident.acknowledged", "incident.resolved"])
    assert (await api.post("/webhook_subscriptions", json=hook)).status_code == 200
    first = await trigger(admin, CHECKOUT, "one")
    second = await trigger(admin, DATABASE, "two")
    both = refs(first, second, status="acknowledged")
    acked = await api.put("/incidents", json=both, headers={"From": "bob@acme.example"})
    assert acked.status_code == 200, acked.text
    body = acked.json()
    assert [(i["id"], i["status"]) for i in body["incidents"]] == [
        (first, "acknowledged"),
        (second, "acknowledged"),
    ]
    assert {k: body[k] for k in ("limit", "offset", "more", "total")} == {
        "limit": 25,
        "offset": 0,
        "more": False,
        "total": None,
    }
    resolved = await api.put("/incidents", json=refs(first, status="resolved"), headers=FROM_ALICE)
    assert resolved.json()["incidents"][0]["resolved_at"]
    assert (await status(api, first), await status(api, second)) == ("resolved", "acknowledged")
    # Only the Checkout incident matches the subscription's filter; the agent is the requester.
    deliveries = (await admin.get("/deliveries", params={"wait": "true"})).json()["deliveries"]
    events = [d["payload"]["event"] for d in deliveries]
    assert [(e["event_type"], e["data"]["id"], e["agent"]["id"]) for e in events] == [
        ("incident.acknowledged", first, "P8QW3ZL"),
        ("incident.resolved", first, "PJ4K2M7"),
    ]


async def test_bulk_update_sets_priority_by_reference_or_by_name(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    first = await trigger(admin, CHECKOUT, "one")
    second = await trigger(admin, CHECKOUT, "two")
    body = {
        "incidents": [
            {
                "id": first,
                "type": "incident_reference",
                "priority": {"id": PRIORITY_P1, "type": "priority_reference"},
            },
            {"id": second, "type": "incident", "priority": "P2", "urgency": "low", "title": "t"},
        ]
    }
    answer = (await api.put("/incidents", json=body, headers=FROM_ALICE)).json()["incidents"]
    assert [i["priority"]["name"] for i in answer] == ["P1", "P2"]
    assert (answer[1]["urgency"], answer[1]["title"]) == ("low", "t")


async def test_the_answer_is_a_page_of_the_updated_incidents(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    updated = [await trigger(admin, CHECKOUT, f"n{n}") for n in range(3)]
    answer = await api.put(
        "/incidents",
        json=refs(*updated, status="acknowledged"),
        params={"limit": 2, "total": "true"},
        headers=FROM_ALICE,
    )
    body = answer.json()
    assert ([i["id"] for i in body["incidents"]], body["more"], body["total"]) == (
        updated[:2],
        True,
        3,
    )
    assert {await status(api, i) for i in updated} == {"acknowledged"}


async def test_from_header_rules(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, make_client: ClientFactory
) -> None:
    incident = await trigger(admin, CHECKOUT, "from")
    body = refs(incident, status="acknowledged")
    missing = await api.put("/incidents", json=body)
    assert missing.status_code == 400
    assert missing.json() == {
        "error": {"message": "Invalid Input Provided", "code": 2001, "errors": [FROM_REQUIRED]}
    }
    single = await api.put(
        f"/incidents/{incident}", json={"incident": {"type": "incident_reference"}}
    )
    assert single.json() == missing.json()
    stranger = await api.put("/incidents", json=body, headers={"From": "eve@globex.example"})
    assert stranger.status_code == 400
    assert stranger.json()["error"] == {"message": "Requester User Not Found", "code": 1008}
    assert await status(api, incident) == "triggered"
    user_key = make_client(token=US_USER_KEY)
    assert (await user_key.put("/incidents", json=body)).status_code == 200
    assert await status(api, incident) == "acknowledged"


async def test_a_bad_entry_changes_nothing(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    incident = await trigger(admin, CHECKOUT, "atomic")
    cases = [
        [
            {"id": incident, "type": "incident_reference", "status": "resolved"},
            {"id": "PNOSUCH", "type": "incident_reference"},
        ],
        [
            {"id": incident, "type": "incident_reference", "status": "resolved"},
            {"id": incident, "type": "incident_reference"},
        ],
        [{"id": incident, "type": "incident_reference", "status": "closed"}],
        [{"id": incident, "status": "resolved"}],
        [{"type": "incident_reference", "status": "resolved"}],
        [{"id": incident, "type": "incident_reference", "priority": "P9"}],
    ]
    for entries in cases:
        answer = await api.put("/incidents", json={"incidents": entries}, headers=FROM_ALICE)
        assert answer.status_code == 400, entries
        assert answer.json()["error"]["code"] == 2001
    for bad_body in ({}, {"incidents": []}, {"incidents": {"id": incident}}, {"incidents": ["x"]}):
        answer = await api.put("/incidents", json=bad_body, headers=FROM_ALICE)
        assert answer.status_code == 400, bad_body
    assert await status(api, incident) == "triggered"


async def test_more_than_250_incidents_is_413(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    incident = await trigger(admin, CHECKOUT, "limit")
    many = refs(*[incident] * 251, status="resolved")
    answer = await api.put("/incidents", json=many, headers=FROM_ALICE)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == 2001
    assert await status(api, incident) == "triggered"


async def test_read_only_key_and_scopes(
    make_client: ClientFactory, admin: httpx.AsyncClient
) -> None:
    incident = await trigger(admin, CHECKOUT, "ro")
    read_only = make_client(token=US_READ_ONLY, headers=FROM_ALICE)
    answer = await read_only.put("/incidents", json=refs(incident, status="resolved"))
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == 2010


async def test_app_oauth_tokens_need_the_from_header_too(
    sim: SimulatorServer, make_client: ClientFactory, admin: httpx.AsyncClient
) -> None:
    incident = await trigger(admin, CHECKOUT, "app")
    scope = "as_account-us.acme incidents.read incidents.write"
    token = (await oauth_token(sim.us_url, US_CLIENT_ID, US_CLIENT_SECRET, scope)).json()
    app = make_client(token=None, headers=bearer_headers(token["access_token"]))
    body = refs(incident, status="acknowledged")
    missing = await app.put("/incidents", json=body)
    assert missing.status_code == 400
    assert missing.json()["error"]["errors"] == [FROM_REQUIRED]
    assert (await app.put("/incidents", json=body, headers=FROM_ALICE)).status_code == 200
    assert await status(app, incident) == "acknowledged"

"""The official `pagerduty` client: service create/update/delete and escalation policy lookups."""

from __future__ import annotations

import pagerduty
import pytest
from pd_official import Official, SimulatorRouting, assert_error

from support.service_shapes import full_service_body, policy_ref


def test_service_create_update_delete(api: Official, routing: SimulatorRouting) -> None:
    body = full_service_body("Official Service")["service"]
    created = api.one("POST", "/services", "service", status=201, json=body)
    path = f"/services/{created['id']}"
    assert created["incident_urgency_rule"]["type"] == "use_support_hours"
    assert created["support_hours"]["time_zone"] == "America/Lima"
    assert created["alert_grouping_parameters"] == {"type": "time", "config": {"timeout": 2}}
    read = api.one("GET", path, "service")
    assert read["escalation_policy"]["id"] == "PEPPAY1"
    updated = api.one(
        "PUT",
        path,
        "service",
        json={
            "escalation_policy": policy_ref("PEPPAY2"),
            "incident_urgency_rule": {"type": "constant", "urgency": "severity_based"},
        },
    )
    assert updated["escalation_policy"]["id"] == "PEPPAY2"
    assert (updated["support_hours"], updated["scheduled_actions"]) == (None, [])
    assert api.client.find("services", "official service")["id"] == created["id"]
    with pytest.raises(pagerduty.HttpError) as taken:
        api.client.rpost("/services", json=body)
    error = assert_error(taken.value.response, 400, 2001)
    assert error["errors"] == ["Name has already been taken"]
    with pytest.raises(pagerduty.HttpError) as bad_zone:
        api.client.rput(
            path,
            json={
                "incident_urgency_rule": body["incident_urgency_rule"],
                "support_hours": {**body["support_hours"], "time_zone": "Nowhere/Else"},
                "scheduled_actions": [],
            },
        )
    assert_error(bad_zone.value.response, 400, 2001)
    api.client.rdelete(path)
    assert routing.last.status == 204
    with pytest.raises(pagerduty.HttpError) as gone:
        api.client.rget(path)
    assert_error(gone.value.response, 404, 2100)


def test_escalation_policy_listing_and_exact_lookup(api: Official) -> None:
    every = api.all("/escalation_policies", "escalation_policies", page_size=1, total=True)
    assert [p["name"] for p in every] == ["Default", "Payments", "Payments Escalation"]
    matching = api.all("/escalation_policies", "escalation_policies", params={"query": "Payments"})
    assert [p["id"] for p in matching] == ["PEPPAY1", "PEPPAY2"]
    # `find` searches with `query`, then keeps the exact (case-insensitive) name.
    assert api.client.find("escalation_policies", "payments")["id"] == "PEPPAY1"
    assert api.client.find("escalation_policies", "Payments Escalation")["id"] == "PEPPAY2"
    assert api.client.find("escalation_policies", "Pay") is None
    policy = api.one("GET", "/escalation_policies/PEPPAY2", "escalation_policy")
    assert [t["id"] for t in policy["escalation_rules"][0]["targets"]] == ["P8QW3ZL", "PJ4K2M7"]
    teams = api.all("/teams", "teams", params={"query": "payments"})
    assert [t["id"] for t in teams] == ["PT2PAYM", "PT3PAYR"]

"""Service writes: every setting, PagerDuty's validations and messages, partial updates, delete."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from support.service_shapes import (
    SCHEDULED_ACTIONS,
    SUPPORT_HOURS,
    SUPPORT_HOURS_RULE,
    full_service_body,
    policy_ref,
    service_body,
)
from support.sim_seed import CHECKOUT, TEAM_PAYMENTS


async def create(api: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    answer = await api.post("/services", json=body)
    assert answer.status_code == 201, answer.text
    service: dict[str, Any] = answer.json()["service"]
    return service


def refused(answer: httpx.Response) -> list[str]:
    """The `errors` of PagerDuty's 400 "Invalid Input Provided" (code 2001)."""
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert (error["message"], error["code"]) == ("Invalid Input Provided", 2001)
    errors: list[str] = error["errors"]
    return errors


async def test_a_minimal_service_has_every_field_with_defaults(api: httpx.AsyncClient) -> None:
    service = await create(api, service_body("Minimal"))
    assert service["incident_urgency_rule"] == {"type": "constant", "urgency": "high"}
    assert service["support_hours"] is None
    assert service["scheduled_actions"] == []
    assert service["alert_creation"] == "create_alerts_and_incidents"
    assert service["alert_grouping_parameters"] == {"type": None}
    assert (service["alert_grouping"], service["alert_grouping_timeout"]) == (None, None)
    assert service["auto_pause_notifications_parameters"] == {"enabled": False, "timeout": 0}
    # Unset timeouts in a POST disable the feature (the spec's field descriptions).
    assert (service["acknowledgement_timeout"], service["auto_resolve_timeout"]) == (None, None)
    assert (service["status"], service["description"], service["response_play"]) == (
        "active",
        "",
        None,
    )
    # Without `teams`, the service takes its escalation policy's team.
    assert [t["id"] for t in service["teams"]] == [TEAM_PAYMENTS]
    read = (await api.get(f"/services/{service['id']}")).json()["service"]
    assert "auto_pause_notifications_parameters" not in read  # only with include[]
    assert read["incident_urgency_rule"] == service["incident_urgency_rule"]


async def test_every_setting_round_trips(api: httpx.AsyncClient) -> None:
    service = await create(api, full_service_body("Everything"))
    assert service["incident_urgency_rule"] == SUPPORT_HOURS_RULE
    assert service["support_hours"] == SUPPORT_HOURS
    assert service["scheduled_actions"] == SCHEDULED_ACTIONS
    assert service["alert_grouping_parameters"] == {"type": "time", "config": {"timeout": 2}}
    assert (service["alert_grouping"], service["alert_grouping_timeout"]) == ("time", 2)
    assert service["auto_pause_notifications_parameters"] == {"enabled": True, "timeout": 300}
    assert (service["acknowledgement_timeout"], service["auto_resolve_timeout"]) == (600, 14400)
    assert service["escalation_policy"]["id"] == "PEPPAY1"
    read = await api.get(
        f"/services/{service['id']}", params={"include[]": "auto_pause_notifications_parameters"}
    )
    assert read.json()["service"] == service


async def test_update_takes_partial_bodies(api: httpx.AsyncClient) -> None:
    service = await create(api, full_service_body("Partial"))
    path = f"/services/{service['id']}"
    answer = await api.put(path, json={"service": {"description": "only this"}})
    updated = answer.json()["service"]
    assert updated["description"] == "only this"
    assert {k: v for k, v in updated.items() if k != "description"} == {
        k: v for k, v in service.items() if k != "description"
    }
    # Back to a constant rule: the support hours and scheduled actions go with the old rule.
    constant = await api.put(
        path,
        json={
            "service": {
                "incident_urgency_rule": {"type": "constant", "urgency": "severity_based"},
                "acknowledgement_timeout": 0,
                "alert_grouping_parameters": {"type": None},
                "teams": [],
            }
        },
    )
    after = constant.json()["service"]
    assert after["incident_urgency_rule"] == {"type": "constant", "urgency": "severity_based"}
    assert (after["support_hours"], after["scheduled_actions"]) == (None, [])
    assert after["acknowledgement_timeout"] is None  # 0 turns it off: null
    assert (after["alert_grouping_parameters"], after["teams"]) == ({"type": None}, [])
    grouped = await api.put(
        path,
        json={
            "service": {
                "alert_grouping_parameters": {
                    "type": "content_based",
                    "config": {"aggregate": "any", "fields": ["source", "component"]},
                }
            }
        },
    )
    assert grouped.json()["service"]["alert_grouping_parameters"] == {
        "type": "content_based",
        "config": {"aggregate": "any", "fields": ["source", "component"], "time_window": 300},
    }
    intelligent = await api.put(
        path, json={"service": {"alert_grouping_parameters": {"type": "intelligent"}}}
    )
    assert intelligent.json()["service"]["alert_grouping"] == "intelligent"
    assert (await api.put("/services/PNOSUCH", json={"service": {}})).status_code == 404


BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("no escalation policy", {"escalation_policy": None}, "Escalation policy can't be blank"),
    ("unknown policy", {"escalation_policy": policy_ref("PNOSUCH")}, "PNOSUCH not found"),
    ("policy without id", {"escalation_policy": {"type": "x"}}, "reference with an id"),
    ("blank name", {"name": "  "}, "Name can't be blank"),
    ("taken name", {"name": "checkout api"}, "Name has already been taken"),
    ("created disabled", {"status": "disabled"}, "must be active when creating"),
    ("negative timeout", {"auto_resolve_timeout": -1}, "auto_resolve_timeout must be"),
    ("unknown team", {"teams": [{"id": "PNOSUCH", "type": "team_reference"}]}, "PNOSUCH"),
    (
        "constant medium",
        {"incident_urgency_rule": {"type": "constant", "urgency": "medium"}},
        "Active urgency must be in high, low, or severity_based.",
    ),
    (
        "rule type",
        {"incident_urgency_rule": {"type": "sometimes", "urgency": "high"}},
        "constant or use_support_hours",
    ),
    (
        "severity_based as a support-hours rule",
        {"incident_urgency_rule": {"type": "use_support_hours", "urgency": "severity_based"}},
        "urgency must be left out",
    ),
    (
        "support hours without a support-hours rule",
        {"support_hours": SUPPORT_HOURS},
        "Active urgency must be in high, low, or severity_based.",
    ),
    (
        "support-hours rule without support hours",
        {"incident_urgency_rule": SUPPORT_HOURS_RULE, "scheduled_actions": []},
        "support_hours are required",
    ),
    (
        "support-hours rule without scheduled actions",
        {"incident_urgency_rule": SUPPORT_HOURS_RULE, "support_hours": SUPPORT_HOURS},
        "scheduled_actions is required",
    ),
    (
        "scheduled actions with a constant rule",
        {"scheduled_actions": SCHEDULED_ACTIONS},
        "only allowed when",
    ),
    (
        "support-hours part without urgency",
        {
            "incident_urgency_rule": {**SUPPORT_HOURS_RULE, "outside_support_hours": None},
            "support_hours": SUPPORT_HOURS,
            "scheduled_actions": [],
        },
        "outside_support_hours is required",
    ),
    (
        "support-hours part urgency",
        {
            "incident_urgency_rule": {
                **SUPPORT_HOURS_RULE,
                "during_support_hours": {"type": "constant", "urgency": "urgent"},
            },
            "support_hours": SUPPORT_HOURS,
            "scheduled_actions": [],
        },
        "during_support_hours.urgency must be in high, low, or severity_based.",
    ),
]
HOURS_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("bad time zone", {"time_zone": "Mars/Olympus"}, "'Mars/Olympus'"),
    ("no time zone", {"time_zone": None}, "support_hours.time_zone"),
    ("day 8", {"days_of_week": [1, 8]}, "days_of_week"),
    ("no days", {"days_of_week": []}, "days_of_week"),
    ("repeated day", {"days_of_week": [1, 1]}, "days_of_week"),
    ("start after end", {"start_time": "18:00:00"}, "must be before"),
    ("start equals end", {"start_time": "17:00"}, "must be before"),
    ("bad time", {"end_time": "25:00:00"}, "support_hours.end_time"),
    ("type", {"type": "weekly"}, "fixed_time_per_day"),
]
for name, change, message in HOURS_CASES:
    BAD_BODIES.append(
        (
            name,
            {
                "incident_urgency_rule": SUPPORT_HOURS_RULE,
                "support_hours": {**SUPPORT_HOURS, **change},
                "scheduled_actions": [],
            },
            message,
        )
    )
GROUPING_CASES: list[tuple[str, Any, str]] = [
    ("grouping type", {"type": "by_magic"}, "time, content_based, intelligent or null"),
    ("null time timeout", {"type": "time", "config": {"timeout": None}}, "timeout cannot be null"),
    ("time timeout", {"type": "time", "config": {"timeout": 1441}}, "config.timeout"),
    ("time without config", {"type": "time"}, "config must be an object"),
    (
        "content aggregate",
        {"type": "content_based", "config": {"aggregate": "some", "fields": ["a"]}},
        "aggregate must be all or any",
    ),
    (
        "content fields",
        {"type": "content_based", "config": {"aggregate": "all", "fields": []}},
        "fields must be a non-empty array",
    ),
    (
        "content window",
        {
            "type": "content_based",
            "config": {"aggregate": "all", "fields": ["a"], "time_window": 100},
        },
        "time_window must be 0 or between 300 and 3600 or 86400",
    ),
    (
        "intelligent window",
        {"type": "intelligent", "config": {"time_window": 86400}},
        "time_window must be 0 or between 300 and 3600",
    ),
]
for name, grouping, message in GROUPING_CASES:
    BAD_BODIES.append((name, {"alert_grouping_parameters": grouping}, message))
BAD_BODIES += [
    (
        "auto-pause timeout",
        {"auto_pause_notifications_parameters": {"enabled": True, "timeout": 42}},
        "0, 120, 180, 300, 600, 900",
    ),
    (
        "auto-pause enabled",
        {"auto_pause_notifications_parameters": {"enabled": "yes"}},
        "enabled must be a boolean",
    ),
    ("alert creation", {"alert_creation": "create_nothing"}, "create_incidents or"),
]


@pytest.mark.parametrize(
    ("change", "message"), [(c, m) for _, c, m in BAD_BODIES], ids=[n for n, _, _ in BAD_BODIES]
)
async def test_bad_settings_are_refused_with_pagerduty_style_errors(
    api: httpx.AsyncClient, change: dict[str, Any], message: str
) -> None:
    body = service_body("Refused")
    body["service"].update(change)
    errors = refused(await api.post("/services", json=body))
    assert any(message in error for error in errors), errors
    names = [s["name"] for s in (await api.get("/services")).json()["services"]]
    assert "Refused" not in names
    # The same change in an update is refused and leaves the service as it was (a blank policy,
    # a create-only status rule and Checkout's own name are no update errors).
    if change.get("escalation_policy", ...) is None or {"status", "name"} & set(change):
        return
    before = (await api.get(f"/services/{CHECKOUT}")).json()["service"]
    refused(await api.put(f"/services/{CHECKOUT}", json={"service": change}))
    assert (await api.get(f"/services/{CHECKOUT}")).json()["service"] == before


async def test_missing_name_and_renames(api: httpx.AsyncClient) -> None:
    assert "Name can't be blank" in refused(
        await api.post("/services", json={"service": {"escalation_policy": policy_ref()}})
    )
    assert "service is required" in refused(await api.post("/services", json={}))
    service = await create(api, service_body("Renamed Later"))
    path = f"/services/{service['id']}"
    # Renaming to its own name (another case) is not a clash; to another service's name is.
    same = await api.put(path, json={"service": {"name": "RENAMED later"}})
    assert same.json()["service"]["name"] == "RENAMED later"
    assert "Name has already been taken" in refused(
        await api.put(path, json={"service": {"name": "Web Frontend"}})
    )


async def test_delete_with_open_incidents_is_allowed(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    service = await create(api, service_body("Short Lived"))
    opened = await admin.post("/incidents", json={"service_id": service["id"], "title": "open"})
    incident_id = opened.json()["incident"]["id"]
    assert (await api.delete(f"/services/{service['id']}")).status_code == 204
    assert (await api.get(f"/services/{service['id']}")).status_code == 404
    assert (await api.delete(f"/services/{service['id']}")).status_code == 404
    kept = (await api.get(f"/incidents/{incident_id}")).json()["incident"]
    assert (kept["status"], kept["service"]["id"]) == ("triggered", service["id"])


async def test_a_person_can_change_settings_by_hand(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    before = await api.get("/_simulator/requests", params={"entries": "false"})
    changed = await admin.put(
        f"/accounts/acme/services/{CHECKOUT}",
        json={"service": {"incident_urgency_rule": {"type": "constant", "urgency": "low"}}},
    )
    assert changed.status_code == 200
    read = (await api.get(f"/services/{CHECKOUT}")).json()["service"]
    assert read["incident_urgency_rule"] == {"type": "constant", "urgency": "low"}
    bad = await admin.put(
        f"/accounts/acme/services/{CHECKOUT}", json={"service": {"support_hours": {}}}
    )
    assert bad.status_code == 400
    missing = await admin.put("/accounts/acme/services/PNOSUCH", json={"service": {}})
    assert missing.status_code == 404
    after = await api.get("/_simulator/requests", params={"entries": "false"})
    # Only the REST GET in between was logged: changes by hand never are.
    assert after.json()["total"] - before.json()["total"] == 1


async def test_seeded_settings_are_validated_like_the_api(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    web = (await api.get("/services/PWEBFRT")).json()["service"]
    assert web["incident_urgency_rule"]["type"] == "use_support_hours"
    assert web["support_hours"]["time_zone"] == "Europe/Berlin"
    assert (web["acknowledgement_timeout"], web["auto_resolve_timeout"]) == (1800, 14400)
    seed = (
        "accounts:\n"
        "  - subdomain: acme\n"
        "    services:\n"
        "      - id: PSEEDED\n"
        "        name: Seeded\n"
        "        settings: {support_hours: {time_zone: Nowhere}}\n"
    )
    refused_seed = await admin.post("/seed", content=seed)
    assert refused_seed.status_code == 400
    [message] = refused_seed.json()["error"]["errors"]
    assert message.startswith("seed.accounts[0].services[0].settings: support_hours.time_zone")
    assert (await api.get("/services/PSEEDED")).status_code == 404
    good = seed.replace(
        "{support_hours: {time_zone: Nowhere}}", "{incident_urgency_rule: {urgency: low}}"
    )
    assert (await admin.post("/seed", content=good)).status_code == 200
    seeded = (await api.get("/services/PSEEDED")).json()["service"]
    assert seeded["incident_urgency_rule"] == {"type": "constant", "urgency": "low"}

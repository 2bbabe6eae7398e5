"""Event orchestrations: whole-path PUT, rule ids, warnings, per-path action rules, `active`."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sim_helpers import ClientFactory

from support.orchestration_shapes import (
    full_actions,
    full_catch_all,
)
from support.sim_seed import ACME_GLOBAL, ACME_GLOBAL_KEY, CHECKOUT, DATABASE, EU_FULL, PRIORITY_P1

SERVICE_PATH = f"/event_orchestrations/services/{CHECKOUT}"
RULE_ID = re.compile(r"^[0-9a-f]{8}$")


def path_body(*sets: dict[str, Any], catch_all: dict[str, Any] | None = None) -> dict[str, Any]:
    path: dict[str, Any] = {"sets": list(sets)}
    if catch_all is not None:
        path["catch_all"] = catch_all
    return {"orchestration_path": path}


def rule(label: str, rule_id: str | None = None, **actions: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "label": label,
        "conditions": [{"expression": f"event.summary matches part '{label}'"}],
        "actions": actions,
    }
    if rule_id is not None:
        body["id"] = rule_id
    return body


async def test_put_assigns_ids_to_new_rules_and_keeps_sent_ids(api: httpx.AsyncClient) -> None:
    first = await api.put(
        SERVICE_PATH,
        json=path_body(
            {"id": "start", "rules": [rule("a", severity="critical"), rule("b", annotate="x")]}
        ),
    )
    assert first.status_code == 200, first.text
    rules = first.json()["orchestration_path"]["sets"][0]["rules"]
    ids = [r["id"] for r in rules]
    assert all(RULE_ID.match(i) for i in ids)
    assert len(set(ids)) == 2
    second = await api.put(
        SERVICE_PATH,
        json=path_body(
            {
                "id": "start",
                "rules": [rule("new", severity="info"), rule("b", rule_id=ids[1], annotate="y")],
            }
        ),
    )
    after = second.json()["orchestration_path"]["sets"][0]["rules"]
    assert after[1]["id"] == ids[1]
    assert after[1]["actions"] == full_actions("service", annotate="y")
    assert RULE_ID.match(after[0]["id"])
    assert after[0]["id"] not in ids
    # The rule that was not sent is gone: PUT replaces the whole path.
    fetched = (await api.get(SERVICE_PATH)).json()["orchestration_path"]
    assert [r["id"] for r in fetched["sets"][0]["rules"]] == [after[0]["id"], ids[1]]


async def test_put_replaces_sets_and_catch_all(api: httpx.AsyncClient) -> None:
    await api.put(
        SERVICE_PATH,
        json=path_body(
            {"id": "start", "rules": [rule("go", route_to="second")]},
            {"id": "second", "rules": [rule("deep", severity="warning")]},
            catch_all={"actions": {"severity": "info"}},
        ),
    )
    response = await api.put(SERVICE_PATH, json=path_body({"id": "start", "rules": []}))
    path = response.json()["orchestration_path"]
    assert [s["id"] for s in path["sets"]] == ["start"]
    assert path["catch_all"] == full_catch_all("service")


async def test_version_and_updated_at_change(api: httpx.AsyncClient) -> None:
    before = (await api.get(SERVICE_PATH)).json()["orchestration_path"]
    after = (await api.put(SERVICE_PATH, json=path_body({"id": "start", "rules": []}))).json()
    assert after["orchestration_path"]["version"] != before["version"]
    assert after["orchestration_path"]["parent"] == {
        "id": CHECKOUT,
        "self": before["parent"]["self"],
        "type": "service_reference",
    }


async def test_plan_gated_features_are_saved_with_warnings(
    api: httpx.AsyncClient, make_client: ClientFactory
) -> None:
    body = path_body(
        {
            "id": "start",
            "rules": [
                rule(
                    "auto",
                    automation_actions=[
                        {"name": "n", "url": "https://a.example", "auto_send": True}
                    ],
                ),
                {
                    "label": "threshold",
                    "conditions": [{"expression": "trigger_count over 5 minutes > 3"}],
                    "actions": {"severity": "critical"},
                },
                rule("plain", severity="info"),
            ],
        }
    )
    response = await api.put(SERVICE_PATH, json=body)
    assert response.status_code == 200
    rules = response.json()["orchestration_path"]["sets"][0]["rules"]
    warnings = response.json()["warnings"]
    assert {
        (w["rule_id"], w["feature"], w["feature_type"], w["warning_type"]) for w in warnings
    } == {
        (rules[0]["id"], "automation_actions", "actions", "forbidden_feature"),
        (rules[1]["id"], "threshold_condition", "conditions", "forbidden_feature"),
    }
    assert len(rules) == 3  # saved anyway
    # The EU account's plan has every feature: no warnings for the same rules.
    eu = make_client(EU_FULL, region="eu")
    eu_response = await eu.put("/event_orchestrations/services/PEUSHOP", json=body)
    assert eu_response.status_code == 200
    assert eu_response.json()["warnings"] is None


async def test_actions_are_checked_against_the_path_type(api: httpx.AsyncClient) -> None:
    cases = [
        (SERVICE_PATH, path_body({"id": "start", "rules": [rule("x", drop_event=True)]})),
        (
            f"/event_orchestrations/{ACME_GLOBAL}/global",
            path_body(
                {
                    "id": "start",
                    "rules": [
                        rule("x", pagerduty_automation_actions=[{"action_id": "01AUTOMATION"}])
                    ],
                }
            ),
        ),
        (
            f"/event_orchestrations/{ACME_GLOBAL}/unrouted",
            path_body({"id": "start", "rules": [rule("x", priority=PRIORITY_P1)]}),
        ),
        (
            f"/event_orchestrations/{ACME_GLOBAL}/router",
            path_body({"id": "start", "rules": [rule("x", severity="info")]}),
        ),
        (
            SERVICE_PATH,
            path_body({"id": "start", "rules": []}, catch_all={"actions": {"route_to": "start"}}),
        ),
    ]
    for path, body in cases:
        response = await api.put(path, json=body)
        assert response.status_code == 400, (path, body)
        assert response.json()["error"]["code"] == 2001
        assert "not allowed on a" in response.json()["error"]["errors"][0]


async def test_structural_validation(api: httpx.AsyncClient) -> None:
    router = f"/event_orchestrations/{ACME_GLOBAL}/router"
    cases = [
        (SERVICE_PATH, path_body({"id": "other", "rules": []})),
        (SERVICE_PATH, path_body({"id": "start", "rules": [rule("x", route_to="nowhere")]})),
        (SERVICE_PATH, path_body({"id": "start", "rules": [rule("x", severity="fatal")]})),
        (SERVICE_PATH, path_body({"id": "start", "rules": [rule("x", priority="PNOSUCH")]})),
        (
            SERVICE_PATH,
            path_body(
                {
                    "id": "start",
                    "rules": [rule("x", rule_id="aaaaaaaa"), rule("y", rule_id="aaaaaaaa")],
                }
            ),
        ),
        (router, path_body({"id": "start", "rules": [rule("x", route_to="PNOSUCH")]})),
        (router, path_body({"id": "start", "rules": []}, {"id": "more", "rules": []})),
        (SERVICE_PATH, {"sets": []}),
    ]
    for path, body in cases:
        response = await api.put(path, json=body)
        assert response.status_code == 400, (path, body, response.text)


async def test_router_routes_to_services(api: httpx.AsyncClient) -> None:
    router = f"/event_orchestrations/{ACME_GLOBAL}/router"
    existing = (await api.get(router)).json()["orchestration_path"]
    kept = existing["sets"][0]["rules"]
    new_rules = [*kept, rule("web", route_to="PWEBFRT")]
    response = await api.put(
        router,
        json=path_body(
            {"id": "start", "rules": new_rules}, catch_all={"actions": {"route_to": "unrouted"}}
        ),
    )
    assert response.status_code == 200
    rules = response.json()["orchestration_path"]["sets"][0]["rules"]
    assert [r["id"] for r in rules[:2]] == [r["id"] for r in kept]
    orchestration = (await api.get(f"/event_orchestrations/{ACME_GLOBAL}")).json()["orchestration"]
    assert orchestration["routes"] == 3


async def test_rules_made_in_the_web_app_survive_a_read_modify_write(
    api: httpx.AsyncClient,
) -> None:
    path = f"/event_orchestrations/services/{DATABASE}"
    current = (await api.get(path)).json()["orchestration_path"]
    ui_rule = current["sets"][0]["rules"][0]
    assert ui_rule["id"] == "0a1b2c3d"
    sets = current["sets"]
    sets[0]["rules"].append(rule("mine", severity="warning"))
    response = await api.put(
        path, json={"orchestration_path": {"sets": sets, "catch_all": current["catch_all"]}}
    )
    assert response.json()["orchestration_path"]["sets"][0]["rules"][0] == ui_rule


async def test_service_path_of_unknown_service_is_404(api: httpx.AsyncClient) -> None:
    for response in (
        await api.get("/event_orchestrations/services/PNOSUCH"),
        await api.put(
            "/event_orchestrations/services/PNOSUCH", json=path_body({"id": "start", "rules": []})
        ),
        await api.get("/event_orchestrations/services/PNOSUCH/active"),
        await api.get("/event_orchestrations/00000000-0000-4000-8000-000000000000/router"),
    ):
        assert response.status_code == 404
        assert response.json() == {"error": response.json()["error"]}
        assert response.json()["error"]["code"] == 2100


async def test_service_orchestration_active_flag(api: httpx.AsyncClient) -> None:
    path = "/event_orchestrations/services/PBATCHJ/active"
    assert (await api.get(path)).json() == {"active": False}
    assert (await api.put(path, json={"active": True})).json() == {"active": True}
    assert (await api.get(path)).json() == {"active": True}
    assert (await api.put(path, json={"active": "yes"})).status_code == 400


async def test_list_get_create_update_delete_orchestrations(api: httpx.AsyncClient) -> None:
    listed = (await api.get("/event_orchestrations")).json()
    assert [o["name"] for o in listed["orchestrations"]] == ["Acme Edge Router", "Acme Global"]
    desc = (await api.get("/event_orchestrations", params={"sort_by": "name:desc"})).json()
    assert [o["name"] for o in desc["orchestrations"]] == ["Acme Global", "Acme Edge Router"]
    one = (await api.get(f"/event_orchestrations/{ACME_GLOBAL}")).json()["orchestration"]
    assert one["integrations"][0]["parameters"] == {
        "routing_key": ACME_GLOBAL_KEY,
        "type": "global",
    }
    created = await api.post("/event_orchestrations", json={"orchestration": {"name": "New"}})
    assert created.status_code == 201
    new = created.json()["orchestration"]
    assert new["integrations"][0]["parameters"]["routing_key"].startswith("R")
    assert len(new["integrations"][0]["parameters"]["routing_key"]) == 32
    renamed = await api.put(
        f"/event_orchestrations/{new['id']}", json={"orchestration": {"name": "Renamed"}}
    )
    assert renamed.json()["orchestration"]["name"] == "Renamed"
    router = (await api.get(f"/event_orchestrations/{new['id']}/router")).json()[
        "orchestration_path"
    ]
    assert router["catch_all"] == {"actions": {"route_to": "unrouted"}}
    assert (await api.delete(f"/event_orchestrations/{new['id']}")).status_code == 204
    assert (await api.get(f"/event_orchestrations/{new['id']}")).status_code == 404

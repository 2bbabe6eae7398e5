"""Rules on a router and a global orchestration, priorities by name, plan warnings, activation.

Events sent to the simulator's Events API show that the stored rules do what they say.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator

import pytest
from operator_harness import Tenant
from rules_harness import PathAt, RuleDesk, canonical, hand_rule, marker_of, rule_desk

from support.orchestration_shapes import full_actions


@pytest.fixture
def desk(tenant: Tenant) -> Iterator[RuleDesk]:
    with rule_desk(tenant) as desk:
        yield desk


def test_a_router_rule_routes_events_to_a_service(desk: RuleDesk) -> None:
    other_service, _ = desk.seed_service()
    by_hand = hand_rule("Databases (by hand)", "event.summary matches part 'database'")
    by_hand["actions"] = {"route_to": other_service}
    orchestration = desk.seed_orchestration(router_rules=[by_hand])
    at = PathAt.router(orchestration.id)
    theirs = [canonical(r) for r in desk.rules(at)]
    desk.setup_integration()
    desk.apply(
        desk.rule(
            "storefront",
            target={"router": {"orchestrationId": orchestration.id}},
            order=10,
            conditions=["event.source matches part 'storefront-'"],
            actions={"routeTo": desk.tenant.service_id},
        )
    )
    obj = desk.wait("storefront")
    assert obj["status"]["path"] == {"type": "router", "id": orchestration.id}
    assert "OrchestrationActive" not in {c["type"] for c in obj["status"]["conditions"]}
    rules = desk.rules(at)
    assert [marker_of(r) for r in rules] == [(desk.namespace, "storefront", 10), None]
    assert rules[0]["actions"] == full_actions("router", route_to=desk.tenant.service_id)
    assert [canonical(r) for r in rules[1:]] == theirs

    routed = desk.send_event(orchestration.routing_key, "cart slow", source="storefront-3")
    assert (routed["result"], routed["service_id"]) == ("incident_created", desk.tenant.service_id)
    theirs_routed = desk.send_event(orchestration.routing_key, "database down")
    assert theirs_routed["service_id"] == other_service
    assert desk.send_event(orchestration.routing_key, "unrelated")["result"] == "unrouted"


def test_a_global_rule_drops_matching_events(desk: RuleDesk) -> None:
    orchestration = desk.seed_orchestration()
    at = PathAt.global_(orchestration.id)
    desk.setup_integration()
    desk.apply(
        desk.rule(
            "drop-load-tests",
            target={"global": {"orchestrationId": orchestration.id}},
            label="Drop load-test noise",
            conditions=["event.source matches part '.loadtest.'"],
            actions={"dropEvent": True},
        )
    )
    obj = desk.wait("drop-load-tests")
    assert obj["status"]["path"] == {"type": "global", "id": orchestration.id}
    set_id, rule = desk.only_rule(at, "drop-load-tests")
    assert (set_id, rule["actions"]) == ("start", full_actions("global", drop_event=True))
    key = orchestration.routing_key
    assert desk.send_event(key, "latency", source="web.loadtest.example")["result"] == "dropped"
    assert desk.send_event(key, "latency", source="web.prod.example")["result"] != "dropped"


def test_priority_names_resolve_to_ids_and_an_unknown_name_lists_the_valid_ones(
    desk: RuleDesk,
) -> None:
    service_id = desk.tenant.service_id
    at = PathAt.service(service_id)
    priorities = desk.priority_ids()
    desk.setup_integration(service_id=service_id)
    desk.apply(
        desk.rule("known", actions={"priority": "P2"}),
        desk.rule("unknown", order=1, actions={"priority": "P9"}),
    )
    desk.wait("known")
    assert desk.only_rule(at, "known")[1]["actions"] == full_actions(
        "service", priority=priorities["P2"]
    )
    obj = desk.wait("unknown", "Ready", "False", "UnknownPriority")
    message = {c["type"]: c for c in obj["status"]["conditions"]}["Ready"]["message"]
    assert "P9" in message
    assert all(name in message for name in priorities), message
    assert desk.owned(at, "unknown") == []

    # Fixed with a name in another case: resolved, written, Ready.
    desk.patch_spec("unknown", {"actions": {"priority": "p3"}})
    desk.wait("unknown")
    assert desk.only_rule(at, "unknown")[1]["actions"] == full_actions(
        "service", priority=priorities["P3"]
    )


def test_plan_gated_features_become_a_warnings_condition(desk: RuleDesk) -> None:
    """An account whose plan lacks `suspend`: the rule is saved, PagerDuty's warning shown."""
    account = f"plan-{uuid.uuid4().hex[:8]}"
    token = f"y_SIMfake_{secrets.token_hex(10)}"
    desk.sim.ledger.add(f"API key of {account}", token)
    service_id = "PL" + uuid.uuid4().hex[:6].upper()
    desk.sim.admin(
        "POST",
        "seed",
        json={
            "accounts": [
                {
                    "subdomain": account,
                    "disabled_features": ["suspend"],
                    "escalation_policies": [{"id": "PE" + service_id[2:], "name": "Default"}],
                    "services": [{"id": service_id, "name": "Plan-limited"}],
                    "api_keys": [{"label": f"e2e-{account}", "token": token}],
                }
            ]
        },
    )
    desk.apply(
        desk.tenant.api_key_secret("plan-key", token),
        desk.tenant.integration("plan", secret="plan-key", service_id=service_id),
    )
    desk.tenant.wait_integration_ready("plan")
    desk.apply(
        desk.rule("held", integration="plan", actions={"suspend": 300, "severity": "info"}),
        desk.rule("plain", integration="plan", order=1, actions={"severity": "info"}),
    )
    obj = desk.wait("held", "Warnings", "True", "PlanWarnings")
    assert {c["type"]: c["status"] for c in obj["status"]["conditions"]}["Ready"] == "True"
    message = {c["type"]: c for c in obj["status"]["conditions"]}["Warnings"]["message"]
    # PagerDuty's own words: the answer to saving the same path again lists the same warning.
    path = desk.sim.rest("GET", f"/event_orchestrations/services/{service_id}", token=token).json()[
        "orchestration_path"
    ]
    answer = desk.sim.rest(
        "PUT",
        f"/event_orchestrations/services/{service_id}",
        token=token,
        body={"orchestration_path": {"sets": path["sets"], "catch_all": path["catch_all"]}},
    ).json()
    warnings = answer["warnings"]
    assert [w["rule_id"] for w in warnings] == [obj["status"]["ruleId"]]
    assert warnings[0]["message"] in message
    assert "suspend" in message
    desk.wait("plain", "Warnings", "False", "NoWarnings")

    # Without the gated action, the warning clears.
    desk.patch_spec("held", {"actions": {"suspend": None, "severity": "info"}})
    desk.wait("held", "Warnings", "False", "NoWarnings")
    desk.wait("held")


def test_activation_of_the_service_orchestration(desk: RuleDesk) -> None:
    inactive_a, _ = desk.seed_service(active=False)
    inactive_b, _ = desk.seed_service(active=False)
    desk.setup_integration()
    desk.apply(
        desk.rule(
            "activates",
            target={"service": {"id": inactive_a}},
            activateServiceOrchestration=True,
            actions={"severity": "info"},
        ),
        desk.rule(
            "leaves-it", target={"service": {"id": inactive_b}}, actions={"severity": "info"}
        ),
    )
    obj = desk.wait("activates")
    conditions = {c["type"]: c for c in obj["status"]["conditions"]}
    assert conditions["OrchestrationActive"]["status"] == "True"
    assert desk.service_active(inactive_a) is True

    obj = desk.wait("leaves-it", "OrchestrationActive", "False", "Inactive")
    conditions = {c["type"]: c for c in obj["status"]["conditions"]}
    assert conditions["Synced"]["status"] == "True"  # the rule is written all the same
    assert (conditions["Ready"]["status"], conditions["Ready"]["reason"]) == ("False", "Inactive")
    assert "activateServiceOrchestration" in conditions["OrchestrationActive"]["message"]
    assert desk.service_active(inactive_b) is False
    assert len(desk.owned(PathAt.service(inactive_b), "leaves-it")) == 1

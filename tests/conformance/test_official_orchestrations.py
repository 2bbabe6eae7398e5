"""The official `pagerduty` client on Event Orchestration paths and `active`, against the simulator.

Asserted: PagerDuty's envelopes (`{"orchestration_path": ...}` on reads, `orchestration_path` plus
`warnings` on writes, `{"active": bool}`) and that the fields a rule was written with read back.
Not asserted: the exact set of action keys read back (PagerDuty returns every supported key with
its default) nor the value of `warnings` when there are none.
"""

from __future__ import annotations

from typing import Any

from pd_official import Official, SimulatorRouting, assert_entity

from support.sim_seed import ACME_GLOBAL, BATCH, CHECKOUT, DATABASE

ROUTER = f"/event_orchestrations/{ACME_GLOBAL}/router"


def assert_path_answer(routing: SimulatorRouting, status: int = 200) -> dict[str, Any]:
    """A PUT answer: `orchestration_path` and `warnings` (null or a list), nothing else."""
    last = routing.last
    assert last.status == status
    assert isinstance(last.body, dict)
    assert set(last.body) == {"orchestration_path", "warnings"}
    assert last.body["warnings"] is None or isinstance(last.body["warnings"], list)
    path = last.body["orchestration_path"]
    assert isinstance(path, dict)
    return path


def rule(label: str, expression: str, actions: dict[str, Any]) -> dict[str, Any]:
    return {"label": label, "conditions": [{"expression": expression}], "actions": actions}


def assert_rule_kept(read: dict[str, Any], written: dict[str, Any]) -> None:
    """The rule read back has an id, the label and conditions written, and the actions set."""
    assert read["id"]
    assert read["label"] == written["label"]
    assert read["conditions"] == written["conditions"]
    for key, value in written["actions"].items():
        assert read["actions"][key] == value, key


def test_orchestrations_list(api: Official) -> None:
    listed = api.all("/event_orchestrations", "orchestrations")
    assert ACME_GLOBAL in {o["id"] for o in listed}


def test_router_global_and_unrouted_paths(api: Official, routing: SimulatorRouting) -> None:
    written = {
        "router": rule("checkout", "event.source matches part 'shop'", {"route_to": CHECKOUT}),
        "global": rule("quiet", "event.summary matches part 'noise'", {"suppress": True}),
        "unrouted": rule("sev", "event.summary matches part 'db'", {"severity": "critical"}),
    }
    for kind, new_rule in written.items():
        url = f"/event_orchestrations/{ACME_GLOBAL}/{kind}"
        current = api.one("GET", url, "orchestration_path")
        assert current["type"] == kind
        start = next(s for s in current["sets"] if s["id"] == "start")
        kept = [r["id"] for r in start["rules"]]
        start["rules"].append(new_rule)
        # `rput` wraps the body in `orchestration_path` and returns only that: the answer's
        # `warnings` is dropped (a known client quirk), so the raw answer is checked here.
        api.client.rput(url, json={"sets": current["sets"], "catch_all": current["catch_all"]})
        answered = assert_path_answer(routing)
        read = api.one("GET", url, "orchestration_path")
        rule_ids = [[r["id"] for r in s["rules"]] for s in read["sets"]]
        assert rule_ids == [[r["id"] for r in s["rules"]] for s in answered["sets"]]
        rules = next(s for s in read["sets"] if s["id"] == "start")["rules"]
        assert [r["id"] for r in rules[:-1]] == kept
        assert_rule_kept(rules[-1], new_rule)


def test_service_path_needs_the_client_workaround(api: Official, routing: SimulatorRouting) -> None:
    url = f"/event_orchestrations/services/{DATABASE}"
    # Quirk: the package's wrapper table says `/event_orchestrations/services/{id}`, but its
    # canonical path is `.../{service_id}`, so the entry never matches and `rget`/`rput` expect a
    # `service` wrapper. `jget`/`jput` return the raw body, unwrapped here by hand.
    assert api.wrapper("GET", url) == "service"
    current = assert_entity(api.client.jget(url), "orchestration_path")
    assert current["type"] == "service"
    start = current["sets"][0]
    new_rule = rule("p1", "event.summary matches part 'outage'", {"priority": "PSLWBL8"})
    start["rules"].append(new_rule)
    answer = api.client.jput(
        url,
        json={"orchestration_path": {"sets": current["sets"], "catch_all": current["catch_all"]}},
    )
    assert answer == routing.last.body
    assert_path_answer(routing)
    read = assert_entity(api.client.jget(url), "orchestration_path")
    assert_rule_kept(read["sets"][0]["rules"][-1], new_rule)


def test_plan_warnings_come_back_as_a_list(api: Official, routing: SimulatorRouting) -> None:
    # The seed's plan lacks dynamic routing, which PagerDuty allows on the first router rule.
    dynamic = {"lookup_by": "service_id", "regex": "(.*)", "source": "event.custom_details.svc"}
    gated = rule("dyn", "event.summary matches part 'x'", {"dynamic_route_to": dynamic})
    current = api.one("GET", ROUTER, "orchestration_path")
    current["sets"][0]["rules"].insert(0, gated)
    api.client.rput(ROUTER, json={"sets": current["sets"], "catch_all": current["catch_all"]})
    path = assert_path_answer(routing)
    warnings = routing.last.body["warnings"]
    assert [w["feature"] for w in warnings] == ["dynamic_route_to"]
    assert {"message", "rule_id", "feature", "feature_type", "warning_type"} <= set(warnings[0])
    assert warnings[0]["rule_id"] == path["sets"][0]["rules"][0]["id"]


def test_service_orchestration_active(api: Official, routing: SimulatorRouting) -> None:
    url = f"/event_orchestrations/services/{BATCH}/active"
    # No wrapper in the package's table matches (same `{id}` quirk), but the inferred wrapper is
    # the last path segment, `active`, which is what PagerDuty answers: `{"active": bool}`.
    assert api.one("GET", url, "active") is False
    assert api.one("PUT", url, "active", json={"active": True}) is True
    assert routing.last.body == {"active": True}
    assert api.one("GET", url, "active") is True

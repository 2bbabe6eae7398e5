"""Canonical orchestration actions: zero-valued keys accepted, full action objects on read.

Terraform's client sends every action key, unset ones zero-valued, on every path type; PagerDuty
accepts that and reads back every key the path type supports, unset ones as null/false/[].
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from support.orchestration_shapes import (
    RULE_DEFAULTS,
    full_actions,
    full_catch_all,
    go_client_actions,
)
from support.sim_seed import ACME_GLOBAL, CHECKOUT, PRIORITY_P1

PATHS = {
    "service": f"/event_orchestrations/services/{CHECKOUT}",
    "global": f"/event_orchestrations/{ACME_GLOBAL}/global",
    "unrouted": f"/event_orchestrations/{ACME_GLOBAL}/unrouted",
    "router": f"/event_orchestrations/{ACME_GLOBAL}/router",
}
# One set action per path type (what the rule below does), in the Go client's shape.
SET_ACTIONS: dict[str, dict[str, Any]] = {
    "service": {"priority": PRIORITY_P1, "suppress": True},
    "global": {"drop_event": True},
    "unrouted": {"severity": "info"},
    "router": {"route_to": CHECKOUT},
}
CATCH_ALL_SET: dict[str, dict[str, Any]] = {
    "service": {"annotate": "fallback"},
    "global": {"suspend": 120},
    "unrouted": {"event_action": "resolve"},
    "router": {"route_to": "unrouted"},
}


def go_rule(label: str, **actions: Any) -> dict[str, Any]:
    """A rule as the Go client marshals it: `id` and `label` omitempty, every action key."""
    return {
        "label": label,
        "conditions": None,
        "actions": go_client_actions(**actions),
        "disabled": False,
    }


def go_body(kind: str) -> dict[str, Any]:
    return {
        "orchestration_path": {
            "sets": [{"id": "start", "rules": [go_rule("go", **SET_ACTIONS[kind])]}],
            "catch_all": {"actions": go_client_actions(**CATCH_ALL_SET[kind])},
        },
        "warnings": None,
    }


@pytest.mark.parametrize("kind", sorted(PATHS))
async def test_the_go_clients_full_shape_is_accepted_and_read_back_canonically(
    api: httpx.AsyncClient, kind: str
) -> None:
    response = await api.put(PATHS[kind], json=go_body(kind))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["warnings"] is None
    for path in (
        answer["orchestration_path"],
        (await api.get(PATHS[kind])).json()["orchestration_path"],
    ):
        (rule,) = path["sets"][0]["rules"]
        assert rule["actions"] == full_actions(kind, **SET_ACTIONS[kind])
        assert (rule["label"], rule["conditions"], rule["disabled"]) == ("go", [], False)
        assert path["catch_all"] == full_catch_all(kind, **CATCH_ALL_SET[kind])


@pytest.mark.parametrize("kind", sorted(PATHS))
async def test_a_read_is_a_valid_write_and_writing_it_back_changes_nothing(
    api: httpx.AsyncClient, kind: str
) -> None:
    await api.put(PATHS[kind], json=go_body(kind))
    before = (await api.get(PATHS[kind])).json()["orchestration_path"]
    echoed = await api.put(
        PATHS[kind],
        json={"orchestration_path": {"sets": before["sets"], "catch_all": before["catch_all"]}},
    )
    assert echoed.status_code == 200, echoed.text
    after = echoed.json()["orchestration_path"]
    assert (after["sets"], after["catch_all"]) == (before["sets"], before["catch_all"])


async def test_every_supported_key_is_present_on_rules_made_with_few_keys(
    api: httpx.AsyncClient,
) -> None:
    sparse = {
        "sets": [
            {
                "id": "start",
                "rules": [{"label": "sparse", "actions": {"severity": "critical"}}],
            }
        ]
    }
    path = (await api.put(PATHS["service"], json={"orchestration_path": sparse})).json()
    (rule,) = path["orchestration_path"]["sets"][0]["rules"]
    assert set(rule["actions"]) == set(RULE_DEFAULTS["service"])
    assert rule["actions"] == full_actions("service", severity="critical")
    assert rule["conditions"] == []
    assert rule["disabled"] is False


async def test_zero_values_are_unset_actions_not_refused_or_stored(api: httpx.AsyncClient) -> None:
    # "" is no set to route to and no severity; null priority is no priority.
    body = {
        "orchestration_path": {
            "sets": [
                {
                    "id": "start",
                    "rules": [
                        {
                            "id": "",
                            "label": "zero",
                            "actions": {"route_to": "", "severity": "", "priority": None},
                            "disabled": None,
                        }
                    ],
                }
            ]
        }
    }
    response = await api.put(PATHS["service"], json=body)
    assert response.status_code == 200, response.text
    (rule,) = response.json()["orchestration_path"]["sets"][0]["rules"]
    assert rule["actions"] == full_actions("service")
    assert len(rule["id"]) == 8  # "" is no id: PagerDuty assigns one
    assert rule["disabled"] is False


async def test_a_non_zero_value_of_a_key_the_path_does_not_allow_is_still_refused(
    api: httpx.AsyncClient,
) -> None:
    cases = [
        ("router", go_client_actions(route_to=CHECKOUT, severity="info"), "severity"),
        ("service", go_client_actions(drop_event=True), "drop_event"),
        ("unrouted", go_client_actions(priority=PRIORITY_P1), "priority"),
        (
            "global",
            {"pagerduty_automation_actions": [{"action_id": "01X"}]},
            "pagerduty_automation_actions",
        ),
    ]
    for kind, actions, key in cases:
        body = {
            "orchestration_path": {
                "sets": [{"id": "start", "rules": [{"label": "bad", "actions": actions}]}]
            }
        }
        response = await api.put(PATHS[kind], json=body)
        assert response.status_code == 400, (kind, response.text)
        # The same error as ever, naming only the non-zero key (the zero-valued ones are fine).
        assert response.json() == {
            "error": {
                "message": "Invalid Input Provided",
                "code": 2001,
                "errors": [f"sets[0].rules[0].actions: {key} not allowed on a {kind} path"],
            }
        }


async def test_warnings_are_null_without_warnings_and_a_list_with_them(
    api: httpx.AsyncClient,
) -> None:
    plain = await api.put(PATHS["service"], json=go_body("service"))
    assert plain.json()["warnings"] is None
    gated = go_body("service")
    gated["orchestration_path"]["sets"][0]["rules"][0]["actions"]["automation_actions"] = [
        {"name": "n", "url": "https://a.example", "auto_send": True}
    ]
    warned = (await api.put(PATHS["service"], json=gated)).json()
    (rule,) = warned["orchestration_path"]["sets"][0]["rules"]
    assert [(w["rule_id"], w["feature"]) for w in warned["warnings"]] == [
        (rule["id"], "automation_actions")
    ]

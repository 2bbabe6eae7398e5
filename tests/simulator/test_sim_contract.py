"""Contract tests: the simulator's traffic against PagerDuty's official OpenAPI documents.

A broad scenario runs and every request and response is validated against the REST API v2 and
Events API v2 documents with openapi-core (plus a check for fields no schema declares).

Where the simulator knowingly answers like the live API rather than like the spec, the
difference is listed in KNOWN_GAPS with its reason; anything else the validator reports fails
the test, and so does a listed gap the scenario no longer meets (a stale exception).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sim_contract import ContractRecorder, UndeclaredFields, Violation
from sim_helpers import ACCEPT, Receiver, oauth_token, webhook_body

from pagerduty_simulator import SimulatorServer
from pagerduty_simulator.server import REST_ENDPOINTS
from support.orchestration_shapes import go_client_actions
from support.pagerduty_spec import load_document, load_spec, spec_dir
from support.service_shapes import SUPPORT_HOURS, full_service_body
from support.sim_seed import (
    ACME_GLOBAL,
    CHECKOUT,
    CHECKOUT_KEY,
    DATABASE,
    US_CLIENT_ID,
    US_CLIENT_SECRET,
    US_FULL,
    US_READ_ONLY,
    US_REFRESH_TOKEN,
    US_USER_KEY,
)

SPECS = spec_dir()
REST_SPEC = SPECS / "REST" / "openapiv3.json"
EVENTS_SPEC = SPECS / "events-v2" / "openapiv3.json"

# Outside CI a machine without ../shared may skip these; under CI (CI=true) a missing spec is a
# failure, never a silent skip.
pytestmark = pytest.mark.skipif(
    not (REST_SPEC.is_file() and EVENTS_SPEC.is_file()) and not os.environ.get("CI"),
    reason=f"PagerDuty OpenAPI specs not found under {SPECS} (set PDO_PAGERDUTY_API_DIR)",
)


@dataclass(frozen=True)
class KnownGap:
    """A listed difference between the spec and what PagerDuty (and so the simulator) sends."""

    name: str
    reason: str
    phase: str
    route: str
    detail: str

    def covers(self, violation: Violation) -> bool:
        return (
            re.fullmatch(self.phase, violation.phase) is not None
            and re.fullmatch(self.route, f"{violation.method} {violation.path}") is not None
            and re.search(self.detail, violation.message) is not None
        )


KNOWN_GAPS = [
    KnownGap(
        "webhook oauth_client is null",
        "PagerDuty returns `oauth_client: null` when no OAuth client is set (CHANGELOG "
        "2025-07-23); the schema does not mark it nullable.",
        "response",
        r"(GET|POST|PUT) /webhook_subscriptions.*",
        r"'(webhook_subscriptions/\d+|webhook_subscription)/oauth_client': None",
    ),
    KnownGap(
        "integration_key is not in the Integration schema",
        "Events API v2 integrations carry `integration_key` (go-pagerduty, Terraform); the "
        "spec's Integration schema omits it.",
        "undeclared",
        r"(GET|POST|PUT) /services.*",
        r"integrations?(/\d+)?/integration_key'",
    ),
    KnownGap(
        "include[] returns full objects",
        "With include[]=integrations/teams/escalation_policies a service (and with "
        "include[]=teams a user) carries full objects (the spec's Service.integrations "
        "description says so), but the schema only allows references.",
        "response",
        r"GET /(services|users)(/[^/]+)?",
        r"(integrations/\d+|teams/\d+|escalation_policy)/type': '\w+' is not one of",
    ),
    KnownGap(
        "include[] full objects' fields",
        "Same as above: the full objects' fields are not in the reference schemas.",
        "undeclared",
        r"GET /(services|users)(/[^/]+)?",
        r"(integrations/\d+/(name|created_at|service)|teams/\d+/(name|description|default_role)"
        r"|escalation_policy/(name|description|escalation_rules))'",
    ),
    KnownGap(
        "last_incident_timestamp is null",
        "A service that never had an incident has `last_incident_timestamp: null`; the spec "
        "says string.",
        "response",
        r"(GET|POST|PUT) /services(/[^/]+)?",
        r"last_incident_timestamp': None",
    ),
    KnownGap(
        "disabled service settings are null",
        "The spec's own descriptions: a timeout is `null` when the feature is off, `null` "
        "alert_grouping means no grouping; support_hours is null without a support-hours rule "
        "(Terraform reads it so). None of these is marked nullable.",
        "response",
        r"(GET|POST|PUT) /services(/[^/]+)?",
        r"(acknowledgement_timeout|auto_resolve_timeout|support_hours|alert_grouping"
        r"|alert_grouping_timeout)': None (for not nullable|is not of type|is not one of)",
    ),
    KnownGap(
        "a null timeout turns the feature off",
        "The spec: 'Setting this field to `0`, `null` (or unset in POST request) will disable "
        "the feature', yet the schema says integer.",
        "request",
        r"(POST /services|PUT /services/[^/]+)",
        r"(acknowledgement_timeout|auto_resolve_timeout)': None (for not nullable|is not of type)",
    ),
    KnownGap(
        "alert grouping configs are an ambiguous oneOf",
        "The three config schemas have no required fields, so a time config is valid under all "
        "of them, and ContentBasedAlertGroupingConfiguration's aggregate enum is the single "
        "string 'all, any': no real config satisfies exactly one branch.",
        "(request|response)",
        r"(GET|POST|PUT) /services(/[^/]+)?",
        r"alert_grouping_parameters(/config)?': .* (is valid under each of|is not valid under any)",
    ),
    KnownGap(
        "service updates can be refused",
        "The spec lists no 400 for PUT /services/{id}, but an update is validated like a create "
        "(terraform-provider-pagerduty #1015 records a 400 code 2001 from this PUT).",
        "response",
        r"PUT /services/[^/]+",
        r"Unknown response http status: 400",
    ),
    KnownGap(
        "incident priority is null",
        "Incidents without a priority have `priority: null`; the spec's reference is not nullable.",
        "response",
        r"(GET|POST|PUT) /incidents(/[^/]+)?",
        r"priority': None",
    ),
    KnownGap(
        "orchestration team is null",
        "An orchestration without a team ('only admins have access') has `team: null`.",
        "response",
        r"(GET|POST|PUT) /event_orchestrations(/[^/]+)?",
        r"team': None",
    ),
    KnownGap(
        "orchestration path self",
        "Every orchestration path example in the spec has `self`; the schema does not declare it.",
        "undeclared",
        r"(GET|PUT) /event_orchestrations/.*",
        r"'orchestration_path/self'",
    ),
    KnownGap(
        "users/me with an account token",
        'The 400 body is `{"error": "<text>"}` (python-pagerduty\'s tests record it), not the '
        "standard error object.",
        "response",
        r"GET /users/me",
        r"at 'error': .* is not of type 'object'",
    ),
    KnownGap(
        "references in request bodies are readOnly in the spec",
        "The spec marks reference ids/types (and Integration.type) readOnly, yet its own request "
        "examples send them and PagerDuty requires them.",
        "request",
        r"POST /(incidents|services|services/[^/]+/integrations)|PUT /services/[^/]+",
        r"Tried to write read-only property",
    ),
    KnownGap(
        "unset orchestration actions are null",
        "Reads return every action key the path type supports, unset ones as null (Terraform's "
        "go-pagerduty struct decodes them into pointers); the spec marks none nullable.",
        "response",
        r"(GET|PUT) /event_orchestrations/.*",
        r"actions/(route_to|dynamic_route_to|suspend|priority|escalation_policy|annotate"
        r"|severity|event_action)': None (for not nullable|is not of type|is not one of)",
    ),
    KnownGap(
        "clients send unset orchestration actions as null or empty strings",
        'Terraform\'s client sends every action key, unset ones zero-valued (null, false, ""), '
        "and PagerDuty accepts them; a read-modify-write echoes the nulls of a read.",
        "request",
        r"PUT /event_orchestrations/.*",
        r"actions/(route_to|dynamic_route_to|suspend|priority|escalation_policy|annotate"
        r"|severity|event_action)': (None (for not nullable|is not of type|is not one of)"
        r"|'' is not one of)",
    ),
    KnownGap(
        "no warnings is null",
        "A path PUT without warnings answers `warnings: null`: go-pagerduty 1.8.0 decodes the "
        "answer as a map of paths, which fails on `[]`; the schema says array.",
        "response",
        r"PUT /event_orchestrations/.*",
        r"at 'warnings': None (for not nullable|is not of type 'array')",
    ),
    KnownGap(
        "orchestration rule ids in PUT bodies",
        "Rule ids are readOnly in the spec, but a PUT keeps the ids it is sent (the spec's own "
        "PUT examples send them), which is how rules keep their identity.",
        "request",
        r"PUT /event_orchestrations/.*",
        r"rules/\d+/id': Tried to write read-only property",
    ),
]


def template_key(method: str, template: str) -> str:
    return f"{method} {re.sub(r'{[^/]+}', '{}', template)}"


class Scenario:
    """The calls of the scenario, each validated as it happens."""

    def __init__(self, recorder: ContractRecorder, sim: SimulatorServer) -> None:
        self.recorder = recorder
        self.sim = sim
        headers = {
            "Accept": ACCEPT,
            "Content-Type": "application/json",
            "Authorization": f"Token token={US_FULL}",
        }
        self.api = httpx.AsyncClient(base_url=sim.us_url, headers=headers)
        self.events = httpx.AsyncClient(base_url=sim.us_url)

    async def close(self) -> None:
        await self.api.aclose()
        await self.events.aclose()

    async def rest(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        response = await self.recorder.call(self.api, method, path, **kwargs)
        assert response.status_code == expect, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    async def as_token(self, token: str, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        headers = (
            {"Authorization": f"Token token={token}"}
            if token.startswith(("y_", "u+"))
            else {"Authorization": f"Bearer {token}"}
        )
        return await self.rest(method, path, expect, headers=headers, **kwargs)

    async def event(self, path: str, expect: int, body: dict[str, Any]) -> None:
        response = await self.recorder.call(self.events, "POST", path, api="events", json=body)
        assert response.status_code == expect, response.text


async def run_scenario(s: Scenario, receiver_url: str) -> None:
    # Account-level reads.
    await s.rest("GET", "/abilities", 200)
    await s.rest("GET", "/abilities/teams", 204)
    await s.rest("GET", "/abilities/sso", 402)
    await s.rest("GET", "/priorities", 200, params={"total": "true"})
    await s.rest("GET", "/teams", 200)
    await s.rest("GET", "/teams/PT1NFRA", 200)
    await s.rest("GET", "/teams/PNOSUCH", 404)
    await s.rest("GET", "/users/PJ4K2M7", 200)
    await s.rest("GET", "/users", 200, params={"query": "acme", "limit": 1, "total": "true"})
    await s.rest("GET", "/users", 200, params={"include[]": ["contact_methods", "teams"]})
    await s.rest("GET", "/users", 200, params={"team_ids[]": ["PT2PAYM"]})
    await s.rest("GET", "/users/me", 400)
    await s.as_token(US_USER_KEY, "GET", "/users/me", 200)
    # Authentication and authorization failures.
    await s.as_token("y_SIMfake_bogus_KEY1", "GET", "/services", 401)
    await s.as_token(
        US_READ_ONLY,
        "PUT",
        "/webhook_subscriptions/PNOSUCH",
        403,
        json={"webhook_subscription": {}},
    )
    token = (
        await oauth_token(
            s.sim.us_url, US_CLIENT_ID, US_CLIENT_SECRET, "as_account-us.acme services.read"
        )
    ).json()
    await s.as_token(token["access_token"], "GET", f"/services/{CHECKOUT}", 200)
    await s.as_token(token["access_token"], "GET", "/webhook_subscriptions", 403)
    # Services and integrations.
    await s.rest("GET", "/services", 200, params={"limit": 2, "total": "true"})
    await s.rest("GET", "/services", 200, params={"include[]": ["integrations", "teams"]})
    await s.rest("GET", f"/services/{CHECKOUT}", 200, params={"include[]": "integrations"})
    await s.rest("GET", f"/services/{CHECKOUT}", 200, params={"include[]": "escalation_policies"})
    await s.rest("GET", "/services/PNOSUCH", 404)
    await s.rest("GET", "/services", 400, params={"offset": 9950, "limit": 100})
    service = await s.rest(
        "POST",
        "/services",
        201,
        json={
            "service": {
                "type": "service",
                "name": "Contract",
                "escalation_policy": {"id": "PEP4CMQ", "type": "escalation_policy_reference"},
            }
        },
    )
    service_id = service["service"]["id"]
    await s.rest(
        "PUT",
        f"/services/{service_id}",
        200,
        json={
            "service": {
                "type": "service",
                "description": "updated",
                "escalation_policy": {"id": "PEP4CMQ", "type": "escalation_policy_reference"},
            }
        },
    )
    integration = await s.rest(
        "POST",
        f"/services/{service_id}/integrations",
        201,
        json={
            "integration": {
                "type": "events_api_v2_inbound_integration",
                "name": "Events",
                "service": {"id": service_id, "type": "service_reference"},
            }
        },
    )
    integration_id = integration["integration"]["id"]
    await s.rest("GET", f"/services/{service_id}/integrations/{integration_id}", 200)
    await s.rest(
        "PUT",
        f"/services/{service_id}/integrations/{integration_id}",
        200,
        json={"integration": {"name": "Renamed"}},
    )
    await s.rest("GET", f"/services/{service_id}/integrations/PNOSUCH", 404)
    await s.rest("DELETE", f"/services/{service_id}", 204)
    await service_settings(s)
    # Webhook subscriptions.
    created = await s.rest(
        "POST",
        "/webhook_subscriptions",
        200,
        json=webhook_body(receiver_url, headers=[{"name": "X-Key", "value": "v"}]),
    )
    subscription_id = created["webhook_subscription"]["id"]
    await s.rest(
        "POST",
        "/webhook_subscriptions",
        200,
        json=webhook_body(receiver_url, filter_type="account_reference", filter_id=None),
    )
    await s.rest("GET", "/webhook_subscriptions", 200)
    await s.rest(
        "GET",
        "/webhook_subscriptions",
        200,
        params={"filter_type": "service", "filter_id": CHECKOUT, "total": "true"},
    )
    await s.rest("GET", f"/webhook_subscriptions/{subscription_id}", 200)
    await s.rest(
        "PUT",
        f"/webhook_subscriptions/{subscription_id}",
        200,
        json={
            "webhook_subscription": {
                "events": ["incident.resolved"],
                "description": "d",
                "active": True,
            }
        },
    )
    await s.rest("POST", f"/webhook_subscriptions/{subscription_id}/enable", 200)
    await s.rest("POST", f"/webhook_subscriptions/{subscription_id}/ping", 202)
    await s.rest("GET", "/webhook_subscriptions/PNOSUCH", 404)
    await s.rest("DELETE", f"/webhook_subscriptions/{subscription_id}", 204)
    # Event orchestrations.
    await s.rest("GET", "/event_orchestrations", 200, params={"sort_by": "name:desc"})
    await s.rest("GET", f"/event_orchestrations/{ACME_GLOBAL}", 200)
    new = await s.rest(
        "POST",
        "/event_orchestrations",
        201,
        json={"orchestration": {"name": "Contract", "description": "d", "team": {"id": "PT1NFRA"}}},
    )
    new_id = new["orchestration"]["id"]
    await s.rest(
        "PUT",
        f"/event_orchestrations/{new_id}",
        200,
        json={"orchestration": {"name": "Contract 2"}},
    )
    for kind in ("router", "global", "unrouted"):
        current = await s.rest("GET", f"/event_orchestrations/{ACME_GLOBAL}/{kind}", 200)
        path = current["orchestration_path"]
        await s.rest(
            "PUT",
            f"/event_orchestrations/{ACME_GLOBAL}/{kind}",
            200,
            json={"orchestration_path": {"sets": path["sets"], "catch_all": path["catch_all"]}},
        )
    await s.rest(
        "PUT",
        f"/event_orchestrations/{new_id}/global",
        200,
        json={
            "orchestration_path": {
                "sets": [
                    {
                        "id": "start",
                        "rules": [
                            {
                                "label": "a",
                                "conditions": [{"expression": "event.summary matches part 'x'"}],
                                "actions": {"route_to": "next", "severity": "critical"},
                            }
                        ],
                    },
                    {"id": "next", "rules": [{"label": "b", "actions": {"drop_event": True}}]},
                ],
                "catch_all": {"actions": {"suppress": True}},
            }
        },
    )
    # Terraform's client: every action key on every path type, unset ones zero-valued.
    go_client = await s.rest(
        "PUT",
        f"/event_orchestrations/{new_id}/router",
        200,
        json={
            "orchestration_path": {
                "sets": [
                    {
                        "id": "start",
                        "rules": [
                            {
                                "label": "go",
                                "conditions": [{"expression": "event.source matches 'go'"}],
                                "actions": go_client_actions(route_to=CHECKOUT),
                                "disabled": False,
                            }
                        ],
                    }
                ],
                "catch_all": {"actions": go_client_actions(route_to="unrouted")},
            },
            "warnings": None,
        },
    )
    assert go_client["warnings"] is None
    assert go_client["orchestration_path"]["sets"][0]["rules"][0]["actions"] == {
        "route_to": CHECKOUT,
        "dynamic_route_to": None,
    }
    await s.rest("DELETE", f"/event_orchestrations/{new_id}", 204)
    service_path = await s.rest("GET", f"/event_orchestrations/services/{DATABASE}", 200)
    rules = service_path["orchestration_path"]["sets"][0]["rules"]
    rules.append(
        {
            "label": "gated",
            "conditions": [],
            "actions": {
                "automation_actions": [
                    {
                        "name": "n",
                        "url": "https://a.example",
                        "auto_send": True,
                        "trigger_types": ["alert_triggered"],
                    }
                ]
            },
        }
    )
    warned = await s.rest(
        "PUT",
        f"/event_orchestrations/services/{DATABASE}",
        200,
        json={
            "orchestration_path": {
                "sets": [{"id": "start", "rules": rules}],
                "catch_all": {"actions": {}},
            }
        },
    )
    assert warned["warnings"]
    await s.rest(
        "PUT",
        f"/event_orchestrations/services/{DATABASE}",
        400,
        json={
            "orchestration_path": {
                "sets": [{"id": "start", "rules": [{"actions": {"drop_event": True}}]}]
            }
        },
    )
    await s.rest("GET", f"/event_orchestrations/services/{DATABASE}/active", 200)
    await s.rest(
        "PUT", f"/event_orchestrations/services/{DATABASE}/active", 200, json={"active": True}
    )
    await s.rest("GET", "/event_orchestrations/services/PNOSUCH", 404)
    # Incidents, then the Events API.
    incident = await s.rest(
        "POST",
        "/incidents",
        201,
        headers={"From": "alice@acme.example"},
        json={
            "incident": {
                "type": "incident",
                "title": "contract",
                "service": {"id": CHECKOUT, "type": "service_reference"},
                "urgency": "high",
            }
        },
    )
    incident_id = incident["incident"]["id"]
    await s.rest("GET", f"/incidents/{incident_id}", 200)
    await s.rest(
        "PUT",
        f"/incidents/{incident_id}",
        200,
        headers={"From": "alice@acme.example"},
        json={
            "incident": {
                "type": "incident_reference",
                "status": "acknowledged",
                "priority": {"id": "PSLWBL8", "type": "priority_reference"},
            }
        },
    )
    await s.rest("GET", "/incidents", 200, params={"statuses[]": ["triggered", "acknowledged"]})
    bulk = [{"id": incident_id, "type": "incident_reference", "status": "resolved"}]
    await s.rest(
        "PUT",
        "/incidents",
        200,
        headers={"From": "bob@acme.example"},
        json={"incidents": bulk},
        params={"total": "true"},
    )
    await s.rest(
        "PUT",
        "/incidents",
        413,
        headers={"From": "bob@acme.example"},
        json={"incidents": [{"id": f"P{n:06d}", "type": "incident_reference"} for n in range(251)]},
    )
    await s.event(
        "/v2/enqueue",
        202,
        {
            "routing_key": CHECKOUT_KEY,
            "event_action": "trigger",
            "dedup_key": "c1",
            "payload": {
                "summary": "s",
                "source": "src",
                "severity": "critical",
                "custom_details": {"a": 1},
            },
        },
    )
    await s.event(
        "/v2/enqueue",
        202,
        {"routing_key": CHECKOUT_KEY, "event_action": "resolve", "dedup_key": "c1"},
    )
    await s.event("/v2/enqueue", 400, {"routing_key": CHECKOUT_KEY, "event_action": "trigger"})
    await s.event(
        "/v2/change/enqueue",
        202,
        {"routing_key": CHECKOUT_KEY, "payload": {"summary": "deployed", "source": "ci"}},
    )
    # OAuth user token (refresh grant) used on the REST API.
    async with httpx.AsyncClient(base_url=s.sim.us_url) as identity:
        refreshed = await identity.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "client_id": US_CLIENT_ID,
                "client_secret": US_CLIENT_SECRET,
                "refresh_token": US_REFRESH_TOKEN,
            },
        )
    await s.as_token(refreshed.json()["access_token"], "GET", "/users/me", 200)
    # Rate limiting last: a fresh one-request window, then one request too many.
    async with httpx.AsyncClient(base_url=s.sim.us_url + "/_simulator") as admin:
        await admin.put("/config", json={"rate_limit_per_minute": 1})
        await admin.post("/clock/advance", json={"seconds": 60})
    await s.rest("GET", "/priorities", 200)
    await s.rest("GET", "/priorities", 429)


async def service_settings(s: Scenario) -> None:
    """Escalation policies, teams, and a service with every setting PagerDuty validates."""
    await s.rest("GET", "/escalation_policies", 200, params={"query": "payments", "total": "true"})
    await s.rest("GET", "/escalation_policies", 200, params={"limit": 1, "sort_by": "name:desc"})
    await s.rest("GET", "/escalation_policies", 200, params={"team_ids[]": ["PT2PAYM"]})
    await s.rest("GET", "/escalation_policies/PEPPAY1", 200)
    await s.rest("GET", "/escalation_policies/PNOSUCH", 404)
    await s.rest("GET", "/teams", 200, params={"query": "pay", "total": "true"})
    created = await s.rest("POST", "/services", 201, json=full_service_body("Contract Settings"))
    service_id = created["service"]["id"]
    await s.rest("GET", f"/services/{service_id}", 200)
    await s.rest(
        "GET",
        "/services",
        200,
        params={"name": "Contract Settings", "include[]": "auto_pause_notifications_parameters"},
    )
    await s.rest("POST", "/services", 400, json=full_service_body("Contract Settings"))
    await s.rest(
        "PUT",
        f"/services/{service_id}",
        200,
        json={
            "service": {
                "type": "service",
                "escalation_policy": {"id": "PEPPAY2", "type": "escalation_policy_reference"},
                "incident_urgency_rule": {"type": "constant", "urgency": "severity_based"},
                "alert_grouping_parameters": {
                    "type": "content_based",
                    "config": {"aggregate": "all", "fields": ["source"], "time_window": 900},
                },
                "acknowledgement_timeout": None,
            }
        },
    )
    await s.rest(
        "PUT",
        f"/services/{service_id}",
        400,
        json={
            "service": {
                "type": "service",
                "escalation_policy": {"id": "PEPPAY2", "type": "escalation_policy_reference"},
                "support_hours": {**SUPPORT_HOURS, "time_zone": "Mars/Olympus"},
            }
        },
    )
    await s.rest("DELETE", f"/services/{service_id}", 204)


async def test_scenario_matches_the_specs(sim: SimulatorServer, receiver: Receiver) -> None:
    document = load_document(REST_SPEC)
    recorder = ContractRecorder(
        rest=load_spec(document),
        events=load_spec(load_document(EVENTS_SPEC)),
        undeclared=UndeclaredFields(document),
    )
    scenario = Scenario(recorder, sim)
    try:
        await run_scenario(scenario, receiver.url)
    finally:
        await scenario.close()

    unexpected = [v for v in recorder.violations if not any(g.covers(v) for g in KNOWN_GAPS)]
    assert not unexpected, "spec violations outside KNOWN_GAPS:\n" + "\n".join(map(str, unexpected))
    unused = [g.name for g in KNOWN_GAPS if not any(g.covers(v) for v in recorder.violations)]
    assert not unused, f"KNOWN_GAPS entries the scenario no longer meets: {unused}"

    exercised = set()
    for api, method, path, _status in recorder.exchanges:
        if api != "rest":
            continue
        for pattern, template in recorder.undeclared.templates:
            if pattern.match(path):
                exercised.add(template_key(method, template))
                break
    served = {template_key(endpoint.method, endpoint.path) for endpoint in REST_ENDPOINTS}
    assert served - exercised == set(), "simulator endpoints the scenario does not validate"
    statuses = {status for _, _, _, status in recorder.exchanges}
    assert {200, 201, 202, 204, 400, 401, 402, 403, 404, 429} <= statuses


def test_every_simulator_endpoint_exists_in_the_spec() -> None:
    document = load_document(REST_SPEC)
    spec_operations = {
        template_key(method.upper(), template)
        for template, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "delete"}
    }
    served = {template_key(endpoint.method, endpoint.path) for endpoint in REST_ENDPOINTS}
    assert served <= spec_operations, served - spec_operations


def test_scopes_match_the_spec() -> None:
    """Each simulated endpoint requires exactly the OAuth scope the spec names for it."""
    document = load_document(REST_SPEC)
    for endpoint in REST_ENDPOINTS:
        item = next(
            item
            for template, item in document["paths"].items()
            if template_key("X", template) == template_key("X", endpoint.path)
        )
        assert item[endpoint.method.lower()].get("x-pd-requires-scope") == endpoint.scope, (
            endpoint.path
        )

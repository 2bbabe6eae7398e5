"""Every request the client sends conforms to PagerDuty's official OpenAPI document.

The client drives the simulator through all resource methods; each request it sent (path,
query, headers, JSON body) is validated with openapi-core against
`<repo>/../shared/pagerduty-api/REST/openapiv3.json` (or `$PDO_PAGERDUTY_API_DIR`).
"""

from __future__ import annotations

import re

import httpx
import pytest
from openapi_core import OpenAPI
from pd_sim_helpers import LinkedClock
from pydantic import SecretStr

from pagerduty_operator.pagerduty import (
    ApiToken,
    ClientMetrics,
    Endpoints,
    LimiterRegistry,
    PagerDutyClient,
)
from pagerduty_operator.pagerduty.resources import (
    CustomHeader,
    NewWebhookSubscription,
    PathKind,
    WebhookFilter,
    WebhookSubscriptionUpdate,
)
from pagerduty_simulator import SimulatorServer
from support.pagerduty_spec import (
    load_document,
    load_spec,
    rest_spec_path,
    schema_messages,
    to_spec_request,
)
from support.sim_seed import ACME_GLOBAL, CHECKOUT, DATABASE

# Disagreements between the spec and PagerDuty's documented behaviour, each with its reason:
KNOWN_SPEC_ARTEFACTS = tuple(
    re.compile(pattern)
    for pattern in (
        # `Content-Type` is listed as required on operations without a body (a generator artefact,
        # ../shared/design/pagerduty-facts.md); the client sends it with a body, as documented.
        r"Missing required header parameter: Content-Type",
        # `Integration.type` and `service` are marked readOnly, yet the spec's own create examples
        # (`events_v2_integration`, `email_integration`) send them: the type must be chosen.
        r"at 'integration/(type|service/id|service/type)': Tried to write read-only property",
        # Rule `id` is marked readOnly, but a PUT replaces the whole path and PagerDuty keeps the
        # ids of the rules it is sent back (go-pagerduty/Terraform send them): without them every
        # rule the operator does not own would get a new id.
        r"/rules/\d+/id': Tried to write read-only property",
        # PagerDuty reads back every action key of the path type, unset ones null; a
        # read-modify-write sends those nulls back, as Terraform's client does with every key
        # (the spec marks none nullable). docs/simulator.md, "Event orchestrations".
        r"/actions/(route_to|dynamic_route_to|suspend|priority|escalation_policy|annotate"
        r"|severity|event_action)': None (for not nullable|is not of type|is not one of)",
    )
)


@pytest.fixture(scope="module")
def rest_spec() -> OpenAPI:
    return load_spec(load_document(rest_spec_path()))


async def test_client_requests_match_the_official_spec(
    sim: SimulatorServer, clock: LinkedClock, rest_spec: OpenAPI
) -> None:
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        if not request.url.path.startswith(("/_simulator", "/oauth")):
            sent.append(request)

    http = httpx.AsyncClient(event_hooks={"request": [record]})
    client = PagerDutyClient(
        ApiToken("y_SIMfake_acme_FULL1"),
        endpoints=Endpoints.single_host(sim.us_url),
        http=http,
        limiters=LimiterRegistry(clock=clock),
        clock=clock,
        metrics=ClientMetrics(),
    )
    async with http, client:
        sub = await client.webhooks.create(
            NewWebhookSubscription(
                url="https://hooks.example/contract",
                events=["incident.triggered"],
                filter=WebhookFilter.service(CHECKOUT),
                description="contract",
                custom_headers=[CustomHeader(name="X-Key", value=SecretStr("contract-hdr"))],
            )
        )
        await client.webhooks.list("service", CHECKOUT)
        await client.webhooks.list("account")
        await client.webhooks.get(sub.id)
        await client.webhooks.update(
            sub.id,
            WebhookSubscriptionUpdate(description="x", events=["incident.resolved"], active=True),
        )
        await client.webhooks.enable(sub.id)
        await client.webhooks.ping(sub.id)
        await client.webhooks.delete(sub.id)
        await client.services.get(CHECKOUT)
        [s async for s in client.services.iterate(query="Check")]
        integration = await client.integrations.create(CHECKOUT, "contract")
        await client.integrations.get(CHECKOUT, integration.id)
        path = await client.orchestrations.get_service_path(DATABASE)
        await client.orchestrations.put_service_path(DATABASE, path)
        kinds: tuple[PathKind, ...] = ("global", "router", "unrouted")
        for kind in kinds:
            current = await client.orchestrations.get_path(kind, ACME_GLOBAL)
            await client.orchestrations.put_path(kind, ACME_GLOBAL, current)
        await client.orchestrations.get_service_active(DATABASE)
        await client.orchestrations.set_service_active(DATABASE, True)
        [o async for o in client.orchestrations.iterate()]
        await client.priorities.list()
        await client.abilities.list()
        await client.abilities.has("teams")
        await client.users.me_or_none()
        await client.probe(["incidents_read", "services_read", "event_orchestrations_read"])

    routes = {(r.method, r.url.path) for r in sent}
    assert len(routes) >= 20
    violations: list[str] = []
    for request in sent:
        for error in rest_spec.iter_request_errors(to_spec_request(request)):
            for message in schema_messages(error):
                if not any(known.search(message) for known in KNOWN_SPEC_ARTEFACTS):
                    violations.append(f"{request.method} {request.url.path}: {message}")
    assert violations == [], "\n".join(violations)

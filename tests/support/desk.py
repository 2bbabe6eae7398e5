"""The Desk: one namespace of one operator in memory, PagerDuty in the in-process simulator.

The real reconcilers run against the real `Kube` facade over `MemoryKube` and the simulator over
HTTP on loopback, with no control plane and no kopf: each `reconcile` reads the object, runs the
kind's reconcile and writes the whole status, as the operator's handler does. Tests check the
status, the Secrets, the Events and what PagerDuty (the simulator) holds, and the PagerDuty calls
a reconcile made (`last_calls`: "METHOD /route/{template} STATUS", from the simulator's log).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pagerduty_operator.config import EndpointOverrides, OperatorConfig
from pagerduty_operator.models.resources import INTEGRATION, WEBHOOK
from pagerduty_operator.pagerduty import ApiToken, Endpoints, PagerDutyClient
from pagerduty_operator.pagerduty.resources.webhooks import WebhookSubscription
from pagerduty_operator.reconcile.clients import ClientRegistry
from pagerduty_operator.reconcile.context import ReconcileContext
from pagerduty_operator.reconcile.integration_users import sync_integration
from pagerduty_operator.reconcile.run import Outcome
from pagerduty_operator.reconcile.webhook import reconcile_webhook
from pagerduty_operator.reconcile.webhook_listing import SubscriptionListings
from pagerduty_simulator import SimulatorConfig, SimulatorServer
from pagerduty_simulator.models import WebhookSubscription as HeldSubscription
from support.memory_kube import MemoryKube
from support.sim_seed import CHECKOUT, US_FULL

NS = "team-a"
URL = "https://hooks.checkout.example.com/pagerduty/v3"
ACCOUNT = "acme"
RECONCILERS = {INTEGRATION.plural: sync_integration, WEBHOOK.plural: reconcile_webhook}


class Desk:
    """One namespace of one operator: objects in memory, PagerDuty in the simulator."""

    def __init__(self, sim: SimulatorServer, client: PagerDutyClient) -> None:
        self.sim = sim
        self.kube = MemoryKube()
        self.pd = client
        self.events: list[tuple[str, str, str]] = []
        self.last_calls: list[str] = []
        config = OperatorConfig(endpoints=EndpointOverrides(api_us=sim.us_url, oauth=sim.us_url))
        self.ctx = ReconcileContext(
            kube=self.kube,
            clients=ClientRegistry(self.kube, config.endpoints),
            config=config,
            post_event=lambda body, type_, reason, message: self.events.append(
                (type_, reason, message)
            ),
        )

    def integration(self, *, service_id: str = CHECKOUT, secret: bool = True) -> None:
        if secret:
            self.kube.put_secret(NS, "pd", {"token": US_FULL})
        spec = {
            "serviceId": service_id,
            "credentials": {"apiKey": {"secretKeyRef": {"name": "pd", "key": "token"}}},
        }
        self.put(INTEGRATION.plural, "checkout", spec)

    def webhook(self, name: str = "incidents", **spec: Any) -> None:
        self.put(
            WEBHOOK.plural,
            name,
            {
                "integrationRef": {"name": "checkout"},
                "url": URL,
                "events": ["incident.triggered", "incident.resolved"],
                "signingSecretRef": {"name": f"{name}-signing"},
                **spec,
            },
        )

    def put(self, plural: str, name: str, spec: dict[str, Any]) -> None:
        """Apply `spec` (a new generation when it existed; metadata and status kept)."""
        key = (plural, NS, name)
        old = self.kube.objects.get(key)
        generation = (old["metadata"]["generation"] + 1) if old else 1
        body: dict[str, Any] = {"metadata": {"namespace": NS, "name": name}}
        if old:
            body["metadata"] = dict(old["metadata"])
            body["status"] = old.get("status") or {}
        body["metadata"]["generation"] = generation
        self.kube.put_object(plural, {**body, "spec": spec})

    def annotate(self, plural: str, name: str, annotations: dict[str, str]) -> None:
        """Set annotations, as `kubectl annotate` does (metadata only: no new generation)."""
        meta = self.kube.objects[(plural, NS, name)]["metadata"]
        meta["annotations"] = {**(meta.get("annotations") or {}), **annotations}

    async def reconcile(self, plural: str, name: str) -> Outcome[Any]:
        body = await self.kube.get_object(plural, NS, name)
        assert body is not None
        log = self.sim.state.request_log
        mark = log.last_seq
        outcome = await RECONCILERS[plural](self.ctx, body)
        self.last_calls = [f"{e.method} {e.route} {e.status}" for e in log.since(mark)]
        await self.kube.patch_status(plural, NS, name, outcome.dumped())
        return outcome

    def forget_listings(self) -> None:
        """Read subscription listings afresh, as after a restart or a resync interval."""
        self.ctx.listings = SubscriptionListings()

    def condition(self, plural: str, name: str, type_: str) -> tuple[str, str, str]:
        status = self.kube.status_of(plural, NS, name)
        found = {c["type"]: c for c in status.get("conditions") or []}[type_]
        return found["status"], found["reason"], found["message"]

    def messages(self, plural: str, name: str) -> str:
        """Every condition message of the object, and every Event message, in one text."""
        status = self.kube.status_of(plural, NS, name)
        texts = [c["message"] for c in status.get("conditions") or []]
        return "\n".join([*texts, *(message for _, _, message in self.events)])

    def reasons(self) -> list[str]:
        return [reason for _, reason, _ in self.events]

    async def subscriptions(self) -> list[WebhookSubscription]:
        return [s async for s in self.pd.webhooks.iterate()]

    def held(self, subscription_id: str) -> HeldSubscription:
        """The simulator's own record of a subscription (its signing secret, its flags)."""
        return self.sim.state.account(ACCOUNT).webhooks[subscription_id]


@asynccontextmanager
async def open_desk(config: SimulatorConfig | None = None) -> AsyncIterator[Desk]:
    """A Desk on a fresh simulator with the default seed."""
    async with SimulatorServer(config or SimulatorConfig()) as sim:
        endpoints = Endpoints.single_host(sim.us_url, region="us")
        async with PagerDutyClient(ApiToken(US_FULL), endpoints=endpoints) as client:
            yield Desk(sim, client)

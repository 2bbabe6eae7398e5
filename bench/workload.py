"""The objects a benchmark applies: webhooks over three scopes, incident rules over a few paths.

A `Workload` lays out N webhooks over I integrations: each integration gets every I-th webhook,
and cycles its own webhooks through the account, service and team scopes. Service and team
scopes use services and teams that belong to that integration alone (at most 10 subscriptions
per service or team, the simulator's and PagerDuty's limit), so every filter scope is listed
with exactly one credential. Rules go to `rule_paths` service orchestration paths, each path
used by one integration. Everything is generated (no randomness), so runs compare.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

GROUP = "pagerduty.ops.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
ACCOUNT = "acme"
OBSERVER_KEY = "y_SIMfake_bench_OBSERVER0"
"""A key of its own for the benchmark's reads, so they never share the operator's budget."""

SCOPES = ("account", "service", "team")


@dataclass(frozen=True)
class WebhookPlan:
    name: str
    integration: int
    scope: str
    scope_id: str | None


@dataclass(frozen=True)
class RulePlan:
    name: str
    integration: int
    service_id: str
    order: int


@dataclass
class Workload:
    """The layout of one benchmark's custom resources and the simulator seed they need."""

    namespace: str
    webhooks: int
    rules: int
    integrations: int = 10
    shared_credential: bool = False
    rule_paths: int = 5
    per_filter_limit: int = 10
    webhook_plans: list[WebhookPlan] = field(init=False)
    rule_plans: list[RulePlan] = field(init=False)

    def __post_init__(self) -> None:
        if self.integrations < 1 or self.rule_paths < 1:
            raise ValueError("integrations and rule_paths must be at least 1")
        self.webhook_plans = [self._webhook(i) for i in range(self.webhooks)]
        self.rule_plans = [self._rule(r) for r in range(self.rules)]

    def _webhook(self, index: int) -> WebhookPlan:
        integration = index % self.integrations
        nth = index // self.integrations  # the nth webhook of this integration
        scope = SCOPES[nth % len(SCOPES)]
        scope_id = None
        if scope != "account":
            slot = (nth // len(SCOPES)) // self.per_filter_limit
            prefix = "PBSVC" if scope == "service" else "PBTEAM"
            scope_id = f"{prefix}{integration:02d}X{slot:03d}"
        return WebhookPlan(f"wh-{index:05d}", integration, scope, scope_id)

    def _rule(self, index: int) -> RulePlan:
        path = index % self.rule_paths
        return RulePlan(
            f"rule-{index:04d}", path % self.integrations, self.path_service(path), index
        )

    @staticmethod
    def path_service(path: int) -> str:
        return f"PBPATH{path:03d}"

    # -- names ---------------------------------------------------------------------------

    def integration_name(self, integration: int) -> str:
        return f"bench-{integration:02d}"

    def credential(self, integration: int) -> int:
        return 0 if self.shared_credential else integration

    def api_key(self, credential: int) -> str:
        return f"y_SIMfake_bench_KEY{credential:04d}"

    def credentials(self) -> list[int]:
        return sorted({self.credential(i) for i in range(self.integrations)})

    # -- what the simulator must hold ----------------------------------------------------

    def service_ids(self) -> list[str]:
        webhook_services = {p.scope_id for p in self.webhook_plans if p.scope == "service"}
        paths = {self.path_service(p) for p in range(min(self.rule_paths, max(self.rules, 1)))}
        return sorted({s for s in webhook_services | paths if s})

    def team_ids(self) -> list[str]:
        return sorted({p.scope_id for p in self.webhook_plans if p.scope == "team" and p.scope_id})

    def seed_document(self) -> dict[str, Any]:
        """Services, teams and API keys added to the default seed's `acme` account."""
        keys = [
            {"label": f"bench-key-{c:04d}", "token": self.api_key(c)} for c in self.credentials()
        ]
        keys.append({"label": "bench-observer", "token": OBSERVER_KEY})
        return {
            "accounts": [
                {
                    "subdomain": ACCOUNT,
                    "teams": [{"id": t, "name": f"Bench team {t}"} for t in self.team_ids()],
                    "services": [
                        {"id": s, "name": f"Bench service {s}"} for s in self.service_ids()
                    ],
                    "api_keys": keys,
                }
            ]
        }

    def subscriptions_per_scope(self) -> Counter[tuple[int, str, str]]:
        """Subscriptions per (credential, filter type, filter id): one listing each."""
        return Counter(
            (self.credential(p.integration), p.scope, p.scope_id or "") for p in self.webhook_plans
        )

    def listed_per_scope(self) -> Counter[tuple[int, str, str]]:
        """Subscriptions one listing of each (credential, filter scope) returns.

        Every key is a key of the one account, and an account-scope listing shows every
        account-scoped subscription of the account, whichever key made it (as in PagerDuty):
        each credential lists them all. Service and team scopes belong to one integration.
        """
        per_scope = self.subscriptions_per_scope()
        account = sum(n for (_, kind, _), n in per_scope.items() if kind == "account")
        return Counter({key: account if key[1] == "account" else n for key, n in per_scope.items()})

    def minimal_calls(self) -> dict[str, int]:
        """The fewest PagerDuty calls any operator needs to converge this workload from nothing.

        One create per webhook and one list page per (credential, filter scope) to look before
        creating; per rule path one read, one write and one read of whether the service
        evaluates its orchestration. Integration checks happen before the clock starts.
        """
        paths = len({p.service_id for p in self.rule_plans})
        lists = sum(max(1, -(-n // 100)) for n in self.listed_per_scope().values())
        return {"creates": self.webhooks, "lists": lists, "rule paths": 3 * paths}

    # -- Kubernetes objects --------------------------------------------------------------

    def secrets(self) -> list[dict[str, Any]]:
        return [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": f"bench-key-{c:04d}", "namespace": self.namespace},
                "type": "Opaque",
                "stringData": {"token": self.api_key(c)},
            }
            for c in self.credentials()
        ]

    def integration_objects(self) -> list[dict[str, Any]]:
        return [
            {
                "apiVersion": API_VERSION,
                "kind": "PagerDutyIntegration",
                "metadata": {"name": self.integration_name(i), "namespace": self.namespace},
                "spec": {
                    "credentials": {
                        "apiKey": {
                            "secretKeyRef": {
                                "name": f"bench-key-{self.credential(i):04d}",
                                "key": "token",
                            }
                        }
                    }
                },
            }
            for i in range(self.integrations)
        ]

    def webhook_object(self, plan: WebhookPlan, description: str | None = None) -> dict[str, Any]:
        scope: dict[str, Any] = {"type": plan.scope}
        if plan.scope_id:
            scope["id"] = plan.scope_id
        spec: dict[str, Any] = {
            "integrationRef": {"name": self.integration_name(plan.integration)},
            "url": f"https://hooks.bench.example/{plan.name}",
            "scope": scope,
            "events": ["incident.triggered", "incident.resolved"],
            "signingSecretRef": {"name": f"{plan.name}-signing"},
        }
        if description is not None:
            spec["description"] = description
        return {
            "apiVersion": API_VERSION,
            "kind": "PagerDutyWebhook",
            "metadata": {"name": plan.name, "namespace": self.namespace},
            "spec": spec,
        }

    def rule_object(self, plan: RulePlan) -> dict[str, Any]:
        return {
            "apiVersion": API_VERSION,
            "kind": "PagerDutyIncidentRule",
            "metadata": {"name": plan.name, "namespace": self.namespace},
            "spec": {
                "integrationRef": {"name": self.integration_name(plan.integration)},
                "target": {"service": {"id": plan.service_id}},
                "order": plan.order,
                "label": f"bench rule {plan.order}",
                "conditions": [f"event.summary matches part 'bench-{plan.order}'"],
                "actions": {"severity": "warning"},
            },
        }

    def webhook_objects(self) -> list[dict[str, Any]]:
        return [self.webhook_object(p) for p in self.webhook_plans]

    def rule_objects(self) -> list[dict[str, Any]]:
        return [self.rule_object(p) for p in self.rule_plans]

    def describe(self) -> dict[str, Any]:
        scopes = Counter(p.scope for p in self.webhook_plans)
        return {
            "namespace": self.namespace,
            "webhooks": self.webhooks,
            "webhooks_by_scope": dict(sorted(scopes.items())),
            "rules": self.rules,
            "rule_paths": min(self.rule_paths, self.rules),
            "integrations": self.integrations,
            "credentials": len(self.credentials()),
            "services": len(self.service_ids()),
            "teams": len(self.team_ids()),
            "filter_scopes": len(self.subscriptions_per_scope()),
        }

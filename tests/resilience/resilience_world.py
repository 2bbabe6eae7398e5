"""One resilience test's world: its namespaces, simulator account, operator and receiver.

`World` builds manifests for the test's account, and checks the invariants every resilience test
ends with: exactly one subscription per webhook and one rule per incident rule (by marker), the
status ids pointing at them, every stored signing secret verifying a real delivery, nothing
marked in PagerDuty without a custom resource, and, after deleting everything, nothing marked
at all. Failure messages name objects and ids, never secret values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from resilience_kube import POLL_SECONDS, Kube, describe, owner_key
from resilience_pd import JSON, MarkedRule, Owner, PdAccount, Sim

from pagerduty_devenv.stack import OperatorProcess
from support.kube import API_VERSION, INTEGRATIONS, PLURALS, RULES, WEBHOOKS, decoded
from support.receiver import Receiver, signature_valid
from support.waiting import wait_for

SIGNING_ANNOTATION = "pagerduty.ops.dev/subscription-id"
SIGNING_KEY = "signingSecret"
API_KEY_SECRET = "pd-api-key"
INTEGRATION = "pd"
TRACEBACK = re.compile(r"Traceback \(most recent call last\)")


@dataclass
class World:
    """Namespaces, a simulator account, an operator watching only those namespaces."""

    sim: Sim
    kube: Kube
    account: PdAccount
    namespaces: list[str]
    operator: OperatorProcess
    receiver: Receiver
    standbys: list[OperatorProcess] = field(default_factory=list)
    """More replicas of the operator (leader election), when the test asked for them."""

    @property
    def replicas(self) -> list[OperatorProcess]:
        return [self.operator, *self.standbys]

    # --- manifests -----------------------------------------------------------------------------

    def install_integration(self, namespace: str, *, token: str | None = None) -> None:
        """The account's API key in a Secret, and a PagerDutyIntegration `pd` using it."""
        self.kube.put_secret(
            namespace, API_KEY_SECRET, {"token": token if token is not None else self.account.token}
        )
        self.kube.create(
            {
                "apiVersion": API_VERSION,
                "kind": "PagerDutyIntegration",
                "metadata": {"name": INTEGRATION, "namespace": namespace},
                "spec": {
                    "credentials": {
                        "apiKey": {"secretKeyRef": {"name": API_KEY_SECRET, "key": "token"}}
                    }
                },
            }
        )

    def url(self, namespace: str, name: str, version: int = 0) -> str:
        return f"{self.receiver.base_url}/{namespace}/{name}/v{version}"

    def webhook(
        self, namespace: str, name: str, scope: tuple[str, str | None], **spec: Any
    ) -> JSON:
        kind, scope_id = scope
        body: JSON = {
            "integrationRef": {"name": INTEGRATION},
            "url": self.url(namespace, name),
            "allowInsecureUrl": True,
            "scope": {"type": kind, **({"id": scope_id} if scope_id else {})},
            "signingSecretRef": {"name": f"{name}-signing"},
            **spec,
        }
        return {
            "apiVersion": API_VERSION,
            "kind": "PagerDutyWebhook",
            "metadata": {"name": name, "namespace": namespace},
            "spec": body,
        }

    def rule(self, namespace: str, name: str, service_id: str, order: int, **spec: Any) -> JSON:
        body: JSON = {
            "integrationRef": {"name": INTEGRATION},
            "target": {"service": {"id": service_id}},
            "order": order,
            **spec,
        }
        return {
            "apiVersion": API_VERSION,
            "kind": "PagerDutyIncidentRule",
            "metadata": {"name": name, "namespace": namespace},
            "spec": body,
        }

    # --- reading -------------------------------------------------------------------------------

    def webhooks(self) -> list[JSON]:
        return self.kube.list_all(WEBHOOKS, self.namespaces)

    def rules(self) -> list[JSON]:
        return self.kube.list_all(RULES, self.namespaces)

    def wait_all_ready(self, timeout: float) -> None:
        self.kube.wait_all_ready(self.namespaces, timeout=timeout)

    def operator_log(self) -> str:
        return "\n".join(operator.log() for operator in self.replicas)

    # --- invariants ----------------------------------------------------------------------------

    def one_subscription_per_webhook(self) -> dict[Owner, JSON]:
        """Exactly one marked subscription per webhook, and its id in the webhook's status."""
        webhooks = {owner_key(w): w for w in self.webhooks()}
        marked = self.sim.marked_subscriptions(self.account.subdomain)
        duplicated = {k: [s["id"] for s in v] for k, v in marked.items() if len(v) > 1}
        assert not duplicated, f"duplicated subscriptions: {duplicated}"
        missing = sorted(set(webhooks) - set(marked))
        assert not missing, f"webhooks without a subscription: {missing[:10]}"
        orphans = {k: v[0]["id"] for k, v in marked.items() if k not in webhooks}
        assert not orphans, f"marked subscriptions without a webhook: {orphans}"
        wrong = {
            k: ((w.get("status") or {}).get("subscriptionId"), marked[k][0]["id"])
            for k, w in webhooks.items()
            if (w.get("status") or {}).get("subscriptionId") != marked[k][0]["id"]
        }
        assert not wrong, f"status.subscriptionId differs from PagerDuty (status, actual): {wrong}"
        return {k: v[0] for k, v in marked.items()}

    def one_rule_per_incident_rule(self) -> dict[Owner, MarkedRule]:
        """Exactly one marked rule per incident rule, and its id in the rule's status."""
        rules = {owner_key(r): r for r in self.rules()}
        marked = self.sim.marked_rules(self.account.subdomain)
        duplicated = {k: [(m.path, m.id) for m in v] for k, v in marked.items() if len(v) > 1}
        assert not duplicated, f"duplicated rules: {duplicated}"
        missing = sorted(set(rules) - set(marked))
        assert not missing, f"incident rules without a rule in PagerDuty: {missing[:10]}"
        orphans = {k: (v[0].path, v[0].id) for k, v in marked.items() if k not in rules}
        assert not orphans, f"marked rules without an incident rule: {orphans}"
        wrong = {
            k: ((r.get("status") or {}).get("ruleId"), marked[k][0].id)
            for k, r in rules.items()
            if (r.get("status") or {}).get("ruleId") != marked[k][0].id
        }
        assert not wrong, f"status.ruleId differs from PagerDuty (status, actual): {wrong}"
        return {k: v[0] for k, v in marked.items()}

    def stored_signing_secret(self, webhook: JSON, subscription_id: str) -> str:
        """The secret the operator stored for `subscription_id` (asserts the Secret says so)."""
        namespace, name = owner_key(webhook)
        ref = webhook["spec"]["signingSecretRef"]
        secret = self.kube.secret(namespace, ref["name"])
        assert secret is not None, f"{namespace}/{name}: signing Secret {ref['name']} is missing"
        annotations = (secret.metadata.annotations or {}) if secret.metadata else {}
        assert annotations.get(SIGNING_ANNOTATION) == subscription_id, (
            f"{namespace}/{name}: the signing Secret is for "
            f"{annotations.get(SIGNING_ANNOTATION)}, the subscription is {subscription_id}"
        )
        return decoded(secret.data).get(ref.get("key", SIGNING_KEY), "")

    def signing_secrets_verify_deliveries(self, subscriptions: dict[Owner, JSON]) -> int:
        """Trigger an incident on every service; each subscription's delivery must verify.

        Returns how many subscriptions were checked. The secret used is the one stored in
        Kubernetes, compared with nothing but the signature PagerDuty (the simulator) sent.
        """
        webhooks = {owner_key(w): w for w in self.webhooks()}
        stored = {
            owner: self.stored_signing_secret(webhooks[owner], sub["id"])
            for owner, sub in subscriptions.items()
        }
        empty = sorted(owner for owner, value in stored.items() if not value)
        assert not empty, f"webhooks without a stored signing secret: {empty[:10]}"
        for service_id in self.account.services:
            self.sim.trigger_incident(self.account.subdomain, service_id, f"check {service_id}")
        self.sim.wait_deliveries_idle()

        def undelivered() -> list[Owner]:
            return [o for o, s in subscriptions.items() if not self.receiver.deliveries(s["id"])]

        wait_for(
            lambda: not undelivered(),
            what="a delivery to every subscription",
            timeout=30,
            interval=POLL_SECONDS,
            describe=lambda: f"no delivery for {undelivered()[:10]}",
        )
        bad: list[Owner] = []
        for owner, sub in subscriptions.items():
            deliveries = self.receiver.deliveries(sub["id"])
            namespace, name = owner
            assert all(d.path.startswith(f"/{namespace}/{name}/") for d in deliveries), (
                f"{owner}: delivered to another webhook's URL"
            )
            if not all(signature_valid(stored[owner], d.body, d.signature) for d in deliveries):
                bad.append(owner)
        assert not bad, f"deliveries whose signature the stored secret does not verify: {bad}"
        return len(subscriptions)

    def nothing_marked(self) -> bool:
        """No subscription and no rule of the account carries an operator's marker."""
        subdomain = self.account.subdomain
        return not self.sim.marked_subscriptions(subdomain) and not self.sim.marked_rules(subdomain)

    def describe_marked(self) -> str:
        subscriptions = self.sim.marked_subscriptions(self.account.subdomain)
        rules = self.sim.marked_rules(self.account.subdomain)
        return f"subscriptions of {sorted(subscriptions)[:8]}; rules of {sorted(rules)[:8]}"

    def delete_everything(self, timeout: float) -> None:
        """Delete every custom resource and wait until each is finalized.

        Webhooks and rules go first, so that the integrations' finalizers, which wait for their
        users, do not have to retry.
        """
        self.delete_and_wait([WEBHOOKS, RULES], timeout)
        self.delete_and_wait([INTEGRATIONS], timeout)

    def delete_and_wait(self, plurals: list[str], timeout: float) -> None:
        def left() -> list[JSON]:
            return [o for p in plurals for o in self.kube.list_all(p, self.namespaces)]

        for obj in left():
            if not obj["metadata"].get("deletionTimestamp"):
                self.kube.delete(PLURALS[obj["kind"]], *owner_key(obj))
        wait_for(
            lambda: not left(),
            what=f"every {' and '.join(plurals)} object to be finalized",
            timeout=timeout,
            interval=0.25,
            describe=lambda: " | ".join(describe(o) for o in left()[:4]),
        )

    def remaining(self) -> list[JSON]:
        return [
            obj
            for plural in (WEBHOOKS, RULES, INTEGRATIONS)
            for obj in self.kube.list_all(plural, self.namespaces)
        ]

    def leaked_secrets(self) -> list[str]:
        """Labels of the account's secrets found in the operator's log (never the values)."""
        log = self.operator_log()
        return sorted(
            label
            for label, value in self.sim.secrets_of(self.account.subdomain).items()
            if len(value) >= 8 and value in log
        )


def tracebacks(log: str) -> list[str]:
    """The log lines that carry a Python traceback (an exception nobody handled)."""
    return [line[:300] for line in log.splitlines() if TRACEBACK.search(line)]


WorldFactory = Callable[..., World]
"""The `make_world` fixture: `make_world(namespaces=1, services=2, teams=1, resync=300.0,
replicas=1)`."""

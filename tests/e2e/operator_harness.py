"""Helpers of the operator's end-to-end tests: the simulator, the cluster, tenants, waiting.

The tests run the real operator process against a real kube-apiserver and the PagerDuty simulator
over HTTP. A *tenant* is one test's corner of both: a namespace, an API key of its own (so the
simulator's request log tells its calls apart), and a service and a team of its own (so the
simulator's limit of 10 subscriptions per service or team never bites across tests).

The simulator side lives in `operator_sim`, the webhook receiver in `support.receiver`.
Secret values never reach assertion messages or test output: helpers compare them and report
labels ("signing secret of PXXXXXX"), never values.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kubernetes import client
from operator_sim import ACCOUNT, PERSON_TOKEN, SecretLedger, Sim, Subscription

from pagerduty_devenv import Kubectl
from support.kube import (
    GROUP,
    INTEGRATIONS,
    RULES,
    VERSION,
    WEBHOOKS,
    ClusterObjects,
    condition_matches,
)
from support.waiting import CONVERGE_SECONDS, wait_for

__all__ = ["ACCOUNT", "PERSON_TOKEN", "SecretLedger", "Sim", "Subscription"]

RESYNC_SECONDS = 5.0
"""The shared operator's resync interval: drift tests wait a few of these."""
DRIFT_SECONDS = 6 * RESYNC_SECONDS + 10
"""Upper bound for a correction that only the resync timer notices."""
SHARED_PREFIX = "pdo-"
"""Namespaces the shared operator watches (a glob `pdo-*`)."""
ISOLATED_PREFIX = "pdk-"
"""Namespaces of tests that run an operator of their own (crash tests)."""


def slug(text: str, length: int = 30) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:length].strip("-")


def opaque_secret(name: str, data: Mapping[str, str]) -> dict[str, Any]:
    """The manifest of an Opaque Secret holding `data` (as `stringData`)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "type": "Opaque",
        "stringData": dict(data),
    }


class Cluster(ClusterObjects):
    """The custom resources, Secrets and Events of the test cluster (writes through kubectl)."""

    def __init__(self, kubectl: Kubectl, api: client.ApiClient) -> None:
        super().__init__(api)
        self.kubectl = kubectl

    def apply(self, namespace: str, documents: list[dict[str, Any]]) -> str:
        text = "\n".join(json.dumps(doc) for doc in documents)
        return self.kubectl("apply", "-n", namespace, "-f", "-", input=text).stdout

    def patch(self, plural: str, namespace: str, name: str, patch: dict[str, Any]) -> None:
        self.custom.patch_namespaced_custom_object(GROUP, VERSION, namespace, plural, name, patch)

    def delete(self, plural: str, namespace: str, name: str) -> None:
        self.custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, plural, name)

    def put_secret(self, namespace: str, name: str, data: Mapping[str, str]) -> None:
        self.apply(namespace, [opaque_secret(name, data)])

    def events_json(self, namespace: str | None = None) -> str:
        where = ["-n", namespace] if namespace else ["-A"]
        return self.kubectl("get", "events", *where, "-o", "json").stdout

    def wait_gone(self, plural: str, namespace: str, name: str, timeout: float) -> None:
        wait_for(
            lambda: self.get(plural, namespace, name) is None,
            what=f"{plural}/{name} to be deleted",
            timeout=timeout,
            describe=lambda: describe_object(self.get(plural, namespace, name)),
        )


def describe_object(obj: Mapping[str, Any] | None) -> str:
    """Conditions and ids of a resource, for failure messages (status never holds secrets)."""
    if obj is None:
        return "(absent)"
    status = obj.get("status") or {}
    parts = [
        f"{c['type']}={c['status']}/{c.get('reason')}: {c.get('message', '')}"
        for c in status.get("conditions") or []
    ]
    parts.append(f"subscriptionId={status.get('subscriptionId')}")
    parts.append(f"generation={obj['metadata'].get('generation')}")
    parts.append(f"observedGeneration={status.get('observedGeneration')}")
    return "; ".join(parts)


@dataclass
class Tenant:
    """One test's namespace, API key, service and team, and builders for its manifests."""

    namespace: str
    cluster: Cluster
    sim: Sim
    api_token: str
    key_label: str
    service_id: str
    team_id: str

    @property
    def credential(self) -> str:
        """The simulator request log's name for this tenant's API key."""
        return f"api_key:{self.key_label}"

    # --- manifests -----------------------------------------------------------------------

    def api_key_secret(self, name: str = "pd-api-key", token: str | None = None) -> dict[str, Any]:
        return opaque_secret(name, {"token": token if token is not None else self.api_token})

    def secret(self, name: str, data: Mapping[str, str]) -> dict[str, Any]:
        return opaque_secret(name, data)

    def integration(
        self,
        name: str = "pd",
        *,
        secret: str = "pd-api-key",
        service_id: str | None = None,
    ) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "credentials": {"apiKey": {"secretKeyRef": {"name": secret, "key": "token"}}}
        }
        if service_id is not None:
            spec["serviceId"] = service_id
        return {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "PagerDutyIntegration",
            "metadata": {"name": name},
            "spec": spec,
        }

    def url(self, name: str, suffix: str = "") -> str:
        """A delivery URL nobody listens on (connections are refused at once)."""
        return f"https://127.0.0.1:9/{self.namespace}/{name}{suffix}"

    def webhook(
        self, name: str, *, integration: str = "pd", url: str | None = None, **spec: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "integrationRef": {"name": integration},
            "url": url or self.url(name),
            "signingSecretRef": {"name": f"{name}-signing"},
            **spec,
        }
        return {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "PagerDutyWebhook",
            "metadata": {"name": name},
            "spec": body,
        }

    def apply(self, *documents: dict[str, Any]) -> str:
        return self.cluster.apply(self.namespace, list(documents))

    def team_webhook(self, name: str, **spec: Any) -> Subscription:
        """The one subscription of a Ready team-scoped webhook `name`, applied with its integration.

        Applies the API key Secret, the integration and the webhook, and waits until it is Ready.
        """
        self.apply(
            self.api_key_secret(),
            self.integration(),
            self.webhook(name, scope={"type": "team", "id": self.team_id}, **spec),
        )
        self.wait_webhook_ready(name)
        return self.only_subscription(name)

    # --- reading -------------------------------------------------------------------------

    def webhook_obj(self, name: str) -> dict[str, Any] | None:
        return self.cluster.get(WEBHOOKS, self.namespace, name)

    def integration_obj(self, name: str = "pd") -> dict[str, Any] | None:
        return self.cluster.get(INTEGRATIONS, self.namespace, name)

    def wait_condition(
        self,
        plural: str,
        name: str,
        type_: str,
        status: str = "True",
        reason: str | None = None,
        *,
        timeout: float = CONVERGE_SECONDS,
        extra: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """Wait until the resource's condition is as expected for its current generation."""

        def check() -> dict[str, Any] | None:
            obj = self.cluster.get(plural, self.namespace, name)
            if not condition_matches(obj, type_, status, reason):
                return None
            if obj is not None and extra is not None and not extra(obj):
                return None
            return obj

        return wait_for(
            check,
            what=f"{plural}/{name} {type_}={status}" + (f"/{reason}" if reason else ""),
            timeout=timeout,
            describe=lambda: describe_object(self.cluster.get(plural, self.namespace, name)),
        )

    def wait_resyncs(self, plural: str, name: str, count: int = 1) -> dict[str, Any]:
        """Wait until the operator has reconciled the resource `count` more times.

        Each reconcile writes a new `status.lastSyncTime` (seconds; the resync interval is
        longer), so `count` changes of it prove that many reconciles ran: a test asserting that
        nothing happened during resyncs waits for this instead of sleeping and hoping.
        """
        seen: list[str | None] = []

        def sync_time() -> str | None:
            obj = self.cluster.get(plural, self.namespace, name)
            return None if obj is None else (obj.get("status") or {}).get("lastSyncTime")

        seen.append(sync_time())

        def moved() -> dict[str, Any] | None:
            current = sync_time()
            if current != seen[-1]:
                seen.append(current)
            if len(seen) <= count:
                return None
            return self.cluster.get(plural, self.namespace, name)

        return wait_for(
            moved,
            what=f"{count} more reconcile(s) of {plural}/{name} (lastSyncTime moving)",
            timeout=CONVERGE_SECONDS + (count + 1) * RESYNC_SECONDS,
            describe=lambda: f"lastSyncTime values seen: {seen}",
        )

    def wait_webhook_ready(self, name: str, **kwargs: Any) -> dict[str, Any]:
        return self.wait_condition(WEBHOOKS, name, "Ready", "True", **kwargs)

    def wait_integration_ready(self, name: str = "pd", **kwargs: Any) -> dict[str, Any]:
        return self.wait_condition(INTEGRATIONS, name, "Ready", "True", **kwargs)

    def subscriptions(self, name: str | None = None) -> list[Subscription]:
        return self.sim.subscriptions(self.namespace, name)

    def only_subscription(self, name: str) -> Subscription:
        """The one subscription of webhook `name` (fails if there are none or several)."""
        found = self.subscriptions(name)
        assert len(found) == 1, f"expected exactly one subscription of {name}, found {found}"
        return found[0]

    def signing_secret_matches(self, name: str, subscription: Subscription) -> bool:
        """The webhook's owned Secret holds exactly the subscription's signing secret."""
        obj = self.webhook_obj(name)
        assert obj is not None
        ref = obj["spec"]["signingSecretRef"]
        data = self.cluster.secret_data(self.namespace, ref["name"]) or {}
        stored = data.get(ref.get("key", "signingSecret"), "")
        return bool(stored) and hmac.compare_digest(stored, subscription.secret)

    def stored_signing_secret(self, name: str) -> str:
        obj = self.webhook_obj(name)
        assert obj is not None
        ref = obj["spec"]["signingSecretRef"]
        data = self.cluster.secret_data(self.namespace, ref["name"]) or {}
        return data.get(ref.get("key", "signingSecret"), "")

    def requests_since(self, seq: int) -> list[dict[str, Any]]:
        """The simulator requests this tenant's API key made after `seq`."""
        return self.sim.requests(seq, self.credential)


def new_tenant(
    cluster: Cluster, sim: Sim, ledger: SecretLedger, prefix: str, test_name: str
) -> Tenant:
    """Create a namespace and seed an API key, a service and a team for one test."""
    suffix = uuid.uuid4().hex[:6]
    namespace = f"{prefix}{slug(test_name)}-{suffix}"
    cluster.kubectl("create", "namespace", namespace)
    token = f"y_SIMfake_{secrets.token_hex(10)}"
    label = f"e2e-{namespace}"
    ledger.add(f"API key of {namespace}", token)
    team_id = "PT" + suffix.upper()[:5]
    service_id = "PS" + suffix.upper()[:5]
    sim.seed(
        {
            "subdomain": ACCOUNT,
            "teams": [{"id": team_id, "name": f"Team {namespace}"}],
            "services": [{"id": service_id, "name": f"Service {namespace}", "teams": [team_id]}],
            "api_keys": [{"label": label, "token": token}],
        }
    )
    return Tenant(namespace, cluster, sim, token, label, service_id, team_id)


def _wait_none_left(cluster: Cluster, plural: str, namespace: str, timeout: float) -> None:
    wait_for(
        lambda: not cluster.list_objects(plural, namespace),
        what=f"the {plural} of {namespace} to be finalized",
        timeout=timeout,
    )


def cleanup_tenant(cluster: Cluster, tenant: Tenant, timeout: float) -> None:
    """Delete the tenant's custom resources (finalizers run) and then its namespace.

    Rules and webhooks go first: an integration waits for the resources that use it.
    """
    for plural in (RULES, WEBHOOKS, INTEGRATIONS):
        for obj in cluster.list_objects(plural, tenant.namespace):
            if not obj["metadata"].get("deletionTimestamp"):
                cluster.delete(plural, tenant.namespace, obj["metadata"]["name"])
        _wait_none_left(cluster, plural, tenant.namespace, timeout)
    cluster.kubectl("delete", "namespace", tenant.namespace, "--wait=false")


def add_api_key(sim: Sim, ledger: SecretLedger, label: str, *, read_only: bool = False) -> str:
    """Seed one more API key of the account; returns its token."""
    token = f"y_SIMfake_{secrets.token_hex(10)}"
    ledger.add(f"API key {label}", token)
    sim.seed(
        {
            "subdomain": ACCOUNT,
            "api_keys": [{"label": label, "token": token, "read_only": read_only}],
        }
    )
    return token

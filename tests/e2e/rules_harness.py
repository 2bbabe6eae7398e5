"""Helpers of the PagerDutyIncidentRule end-to-end tests, on top of `operator_harness`.

A `RuleDesk` is one test's view of incident rules: its tenant's namespace and custom resources on
one side, orchestration paths as a person sees them in PagerDuty (the simulator) on the other.
It reads paths through the REST API with the person's key (so the request log keeps the
operator's own calls apart), edits them "by hand" through the admin API, counts the operator's
GETs and PUTs per path, and deletes its rules at the end so that finalizers run while the
integration still exists.

The rule marker is parsed here independently of the operator's code, from the documented format
`[k8s:<namespace>/<name> order=<order>]` at the end of the label.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from operator_harness import ACCOUNT, Tenant

from support.kube import GROUP, JSON, RULES, VERSION, condition_matches, conditions_of
from support.waiting import CONVERGE_SECONDS, wait_for

KIND = "PagerDutyIncidentRule"
MARKER_RE = re.compile(r"\s\[k8s:([a-z0-9.-]+)/([a-z0-9.-]+) order=(-?\d+)\]$")


def marker_of(rule: Mapping[str, Any]) -> tuple[str, str, int] | None:
    """(namespace, name, order) from a rule's label; None for a rule the operator does not own."""
    match = MARKER_RE.search(str(rule.get("label") or ""))
    if match is None:
        return None
    return match.group(1), match.group(2), int(match.group(3))


def canonical(value: Any) -> str:
    """A byte-for-byte comparable form of a JSON value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class PathAt:
    """An orchestration path by its REST location (`/event_orchestrations/...`)."""

    rest: str

    @classmethod
    def service(cls, service_id: str) -> PathAt:
        return cls(f"/event_orchestrations/services/{service_id}")

    @classmethod
    def global_(cls, orchestration_id: str) -> PathAt:
        return cls(f"/event_orchestrations/{orchestration_id}/global")

    @classmethod
    def router(cls, orchestration_id: str) -> PathAt:
        return cls(f"/event_orchestrations/{orchestration_id}/router")

    @property
    def admin(self) -> str:
        """The admin API's "saved in the web app" location of this path."""
        return f"accounts/{ACCOUNT}{self.rest}"


@dataclass(frozen=True)
class PathCounts:
    """The operator's requests on one path (from the simulator's request log)."""

    gets: int
    puts: int
    failed_puts: int

    def __str__(self) -> str:
        return f"GET={self.gets} PUT={self.puts} (failed PUT={self.failed_puts})"


@dataclass(frozen=True)
class Orchestration:
    """A global orchestration seeded for one test (its routing key is in the secret ledger)."""

    id: str
    routing_key: str = ""


def hand_rule(label: str, expression: str, **actions: Any) -> JSON:
    """A rule as a person would make it in the web app (no marker; PagerDuty assigns the id)."""
    return {
        "label": label,
        "conditions": [{"expression": expression}],
        "actions": dict(actions),
        "disabled": False,
    }


class RuleDesk:
    """One test's incident rules: manifests, conditions, paths, hand edits, request counts."""

    def __init__(self, tenant: Tenant, account: str = ACCOUNT) -> None:
        self.tenant = tenant
        self.sim = tenant.sim
        self.cluster = tenant.cluster
        self.namespace = tenant.namespace
        self.account = account

    # --- Kubernetes side -------------------------------------------------------------------

    def rule(
        self,
        name: str,
        *,
        integration: str = "pd",
        **spec: Any,
    ) -> JSON:
        body: JSON = {"integrationRef": {"name": integration}, **spec}
        return {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": KIND,
            "metadata": {"name": name},
            "spec": body,
        }

    def apply(self, *documents: JSON) -> str:
        return self.tenant.apply(*documents)

    def setup_integration(self, *, service_id: str | None = None, name: str = "pd") -> None:
        """The tenant's API key Secret and an integration, and wait until it is Ready."""
        self.apply(
            self.tenant.api_key_secret(), self.tenant.integration(name, service_id=service_id)
        )
        self.tenant.wait_integration_ready(name)

    def obj(self, name: str) -> JSON | None:
        return self.cluster.get(RULES, self.namespace, name)

    def status(self, name: str) -> JSON:
        obj = self.obj(name)
        assert obj is not None, f"{KIND} {name} is missing"
        return dict(obj.get("status") or {})

    def wait(
        self,
        name: str,
        type_: str = "Ready",
        status: str = "True",
        reason: str | None = None,
        *,
        timeout: float = CONVERGE_SECONDS,
        extra: Callable[[JSON], bool] | None = None,
    ) -> JSON:
        return self.tenant.wait_condition(
            RULES, name, type_, status, reason, timeout=timeout, extra=extra
        )

    def wait_all_ready(self, names: list[str], *, timeout: float = CONVERGE_SECONDS) -> None:
        """Wait until every named rule is Ready for its current generation."""

        def not_ready() -> list[str]:
            ready = {
                o["metadata"]["name"]
                for o in self.cluster.list_objects(RULES, self.namespace)
                if condition_matches(o, "Ready", "True")
            }
            return [n for n in names if n not in ready]

        wait_for(
            lambda: not not_ready(),
            what=f"{len(names)} incident rules to be Ready",
            timeout=timeout,
            interval=0.5,
            describe=lambda: self.describe(not_ready()[:5]),
        )

    def describe(self, names: list[str]) -> str:
        parts = []
        for name in names:
            obj = self.obj(name)
            if obj is None:
                parts.append(f"{name}: absent")
                continue
            ready = conditions_of(obj).get("Ready") or {}
            parts.append(
                f"{name}: Ready={ready.get('status')}/{ready.get('reason')} "
                f"{ready.get('message', '')!r} gen={obj['metadata'].get('generation')} "
                f"observed={(obj.get('status') or {}).get('observedGeneration')}"
            )
        return "; ".join(parts)

    def patch_spec(self, name: str, spec: JSON) -> None:
        self.cluster.patch(RULES, self.namespace, name, {"spec": spec})

    def delete(self, name: str, *, wait: bool = True) -> None:
        self.cluster.delete(RULES, self.namespace, name)
        if wait:
            self.cluster.wait_gone(RULES, self.namespace, name, CONVERGE_SECONDS)

    def cleanup(self, timeout: float = 3 * CONVERGE_SECONDS) -> None:
        """Delete every rule of the namespace and wait until their finalizers ran.

        Generous: fifty finalizers on one path on a loaded two-core machine can take a while.
        """
        for obj in self.cluster.list_objects(RULES, self.namespace):
            if not obj["metadata"].get("deletionTimestamp"):
                self.cluster.delete(RULES, self.namespace, obj["metadata"]["name"])
        wait_for(
            lambda: not self.cluster.list_objects(RULES, self.namespace),
            what=f"the incident rules of {self.namespace} to be finalized",
            timeout=timeout,
        )

    # --- PagerDuty side ----------------------------------------------------------------------

    def path(self, at: PathAt) -> JSON:
        """The path as a person reads it (REST API, the person's key)."""
        path: JSON = self.sim.rest("GET", at.rest).json()["orchestration_path"]
        return path

    def sets(self, at: PathAt) -> dict[str, list[JSON]]:
        """Set id to its rules, in PagerDuty's order."""
        return {s["id"]: list(s.get("rules") or []) for s in self.path(at)["sets"]}

    def rules(self, at: PathAt, set_id: str = "start") -> list[JSON]:
        return self.sets(at).get(set_id, [])

    def owned(self, at: PathAt, name: str | None = None) -> list[tuple[str, JSON]]:
        """(set id, rule) of every rule marked with this namespace (and `name`)."""
        found = []
        for set_id, rules in self.sets(at).items():
            for rule in rules:
                marked = marker_of(rule)
                if marked and marked[0] == self.namespace and name in (None, marked[1]):
                    found.append((set_id, rule))
        return found

    def only_rule(self, at: PathAt, name: str) -> tuple[str, JSON]:
        found = self.owned(at, name)
        assert len(found) == 1, f"expected one rule of {name} in {at.rest}, found {found}"
        return found[0]

    def save_by_hand(self, at: PathAt, sets: list[JSON], catch_all: JSON | None = None) -> JSON:
        """Replace the path as a person saving it in the web app; returns PagerDuty's answer."""
        body: JSON = {"sets": sets}
        if catch_all is not None:
            body["catch_all"] = catch_all
        answer: JSON = self.sim.admin("PUT", at.admin, json={"orchestration_path": body})
        return answer

    def edit_by_hand(self, at: PathAt, edit: Callable[[dict[str, list[JSON]]], None]) -> JSON:
        """Read the path, let `edit` change its sets (id to rules, in order), save it by hand."""
        path = self.path(at)
        sets = {s["id"]: list(s.get("rules") or []) for s in path["sets"]}
        edit(sets)
        return self.save_by_hand(
            at, [{"id": k, "rules": v} for k, v in sets.items()], path.get("catch_all")
        )

    def counts(self, at: PathAt, since: int) -> PathCounts:
        """The operator's GETs and PUTs of `at` after request `since` (this tenant's key)."""
        entries = [e for e in self.tenant.requests_since(since) if e["path"] == at.rest]
        return PathCounts(
            gets=sum(1 for e in entries if e["method"] == "GET"),
            puts=sum(1 for e in entries if e["method"] == "PUT" and e["status"] == 200),
            failed_puts=sum(1 for e in entries if e["method"] == "PUT" and e["status"] != 200),
        )

    def priority_ids(self) -> dict[str, str]:
        """Priority name to id, as the person's key lists them."""
        listing = self.sim.rest("GET", "/priorities?limit=100").json()["priorities"]
        return {str(p["name"]): str(p["id"]) for p in listing}

    def service_active(self, service_id: str) -> bool:
        answer = self.sim.rest("GET", f"/event_orchestrations/services/{service_id}/active")
        return bool(answer.json()["active"])

    # --- objects made by hand ------------------------------------------------------------------

    def seed_service(
        self, *, active: bool = True, integration_key: bool = False, account: str | None = None
    ) -> tuple[str, str]:
        """A new service of the tenant's account: (id, its Events API integration key or "")."""
        suffix = uuid.uuid4().hex[:6].upper()
        service_id = f"PR{suffix}"
        key = uuid.uuid4().hex if integration_key else ""
        service: JSON = {
            "id": service_id,
            "name": f"Rules {self.namespace} {suffix}",
            "orchestration_active": active,
        }
        if key:
            self.sim.ledger.add(f"integration key of {service_id}", key)
            service["integrations"] = [
                {
                    "type": "events_api_v2_inbound_integration",
                    "name": "Events",
                    "integration_key": key,
                }
            ]
        self.sim.seed({"subdomain": account or self.account, "services": [service]})
        return service_id, key

    def seed_orchestration(self, *, router_rules: list[JSON] | None = None) -> Orchestration:
        """A global orchestration of the account, with an orchestration routing key."""
        orchestration_id = str(uuid.uuid4())
        routing_key = "R" + uuid.uuid4().hex.upper()[:31]
        self.sim.ledger.add(f"routing key of {orchestration_id}", routing_key)
        seeded: JSON = {
            "id": orchestration_id,
            "name": f"Rules {self.namespace} {orchestration_id[:8]}",
            "integrations": [{"label": "Default", "routing_key": routing_key}],
        }
        if router_rules:
            seeded["router"] = {
                "sets": [{"id": "start", "rules": router_rules}],
                "catch_all": {"actions": {"route_to": "unrouted"}},
            }
        self.sim.seed({"subdomain": self.account, "orchestrations": [seeded]})
        return Orchestration(orchestration_id, routing_key)

    def send_event(self, routing_key: str, summary: str, source: str = "e2e-host") -> JSON:
        """Send one Events API v2 trigger; returns what the simulator did with it."""
        dedup_key = uuid.uuid4().hex
        body = {
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": dedup_key,
            "payload": {"summary": summary, "source": source, "severity": "critical"},
        }
        response = httpx.post(f"{self.sim.url}/v2/enqueue", json=body, timeout=30)
        assert response.status_code == 202, f"the Events API answered {response.status_code}"
        events = self.sim.admin("GET", "events")["events"]
        found: JSON = next(e for e in reversed(events) if e.get("dedup_key") == dedup_key)
        return found


@contextmanager
def rule_desk(tenant: Tenant) -> Iterator[RuleDesk]:
    """A `RuleDesk` whose rules are deleted (finalizers run) when the test ends."""
    desk = RuleDesk(tenant)
    try:
        yield desk
    finally:
        desk.cleanup()

"""The PagerDuty simulator as the operator's end-to-end tests see it, and a ledger of secrets.

`Sim` wraps the simulator's admin API (state with secrets, request log, faults, seeding,
incidents, deliveries) and its REST API used the way a person would (with a key the operator
under test never uses). Every secret it sees goes into the `SecretLedger`, which reports leaks by
label, never by value.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from pagerduty_devenv.stack import SimulatorProcess

ACCOUNT = "acme"
PERSON_TOKEN = "y_SIMfake_acme_FULL1"
"""A person editing PagerDuty by hand: a key the operator under test never uses."""
SECRET_KEYS = frozenset(
    {"token", "client_secret", "secret", "integration_key", "routing_key", "refresh_token"}
)
"""Keys of the simulator's state dump whose values are credentials or secrets."""
MARKER_RE = re.compile(r"\[k8s:([a-z0-9.-]+)/([a-z0-9.-]+)\]\s*$")


@dataclass
class SecretLedger:
    """Every secret value the tests created or saw, by a label that is safe to print."""

    values: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, label: str, value: str | None) -> None:
        if value and len(value) >= 6:
            with self._lock:
                self.values[label] = value

    def leaks(self, text: str) -> list[str]:
        """Labels of the secrets found in `text` (never the values)."""
        with self._lock:
            items = list(self.values.items())
        return sorted(label for label, value in items if value in text)


@dataclass(frozen=True)
class Subscription:
    """A webhook subscription as the simulator holds it (secret included: handle with care)."""

    raw: Mapping[str, Any] = field(repr=False)

    @property
    def id(self) -> str:
        return str(self.raw["id"])

    @property
    def url(self) -> str:
        return str(self.raw["url"])

    @property
    def secret(self) -> str:
        return str(self.raw["secret"])

    @property
    def description(self) -> str:
        return str(self.raw.get("description") or "")

    @property
    def events(self) -> list[str]:
        return list(self.raw.get("events") or [])

    @property
    def active(self) -> bool:
        return bool(self.raw.get("active"))

    @property
    def filter(self) -> tuple[str, str | None]:
        f = self.raw.get("filter") or {}
        return str(f.get("type")), f.get("id")

    @property
    def header_names(self) -> list[str]:
        return sorted(str(h["name"]) for h in self.raw.get("custom_headers") or [])

    @property
    def marker(self) -> tuple[str, str] | None:
        match = MARKER_RE.search(self.description)
        return (match.group(1), match.group(2)) if match else None

    def __repr__(self) -> str:
        return f"Subscription({self.id}, {self.url}, marker={self.marker})"


class Sim:
    """The simulator's admin API and its REST API as a person would use it."""

    def __init__(self, process: SimulatorProcess, ledger: SecretLedger) -> None:
        self.process = process
        self.ledger = ledger
        self.url = process.us_url

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.process.admin(method, path, **kwargs)

    def state(self) -> dict[str, Any]:
        """The simulator's whole state; every credential and secret in it goes to the ledger."""
        state: dict[str, Any] = self.admin("GET", "state")
        self._record_secrets(state, "state")
        return state

    def _record_secrets(self, node: Any, where: str) -> None:
        # Header values are not recorded: clear `value`s are no secret; tests add the values
        # they take from Secrets themselves.
        if isinstance(node, dict):
            label = node.get("id") or node.get("label") or node.get("client_id") or ""
            for key, value in node.items():
                if key in SECRET_KEYS and isinstance(value, str):
                    self.ledger.add(f"{key} of {where}/{label}", value)
                else:
                    self._record_secrets(value, f"{where}/{key}")
        elif isinstance(node, list):
            for item in node:
                self._record_secrets(item, where)

    def all_subscriptions(self, account: str = ACCOUNT) -> list[Subscription]:
        for item in self.state()["accounts"]:
            if item["subdomain"] == account:
                return [Subscription(s) for s in item.get("webhook_subscriptions") or []]
        raise AssertionError(f"the simulator has no account {account}")

    def subscriptions(self, namespace: str, name: str | None = None) -> list[Subscription]:
        """Subscriptions whose description carries the marker of `namespace` (and `name`)."""
        return [
            s
            for s in self.all_subscriptions()
            if s.marker is not None
            and s.marker[0] == namespace
            and (name is None or s.marker[1] == name)
        ]

    def subscription(self, subscription_id: str) -> Subscription | None:
        return next((s for s in self.all_subscriptions() if s.id == subscription_id), None)

    def last_seq(self) -> int:
        return int(self.admin("GET", "requests", params={"entries": "false"})["last_seq"])

    def requests(self, since: int, credential: str | None = None) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.admin("GET", "requests", params={"since": since})[
            "requests"
        ]
        return [e for e in entries if credential is None or e["credential"] == credential]

    def add_fault(self, **spec: Any) -> dict[str, Any]:
        added: dict[str, Any] = self.admin("POST", "faults", json=spec)["faults"][0]
        return added

    def faults(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.admin("GET", "faults")["faults"]
        return found

    def clear_faults(self) -> None:
        self.admin("DELETE", "faults")

    def seed(self, account: Mapping[str, Any]) -> None:
        """Add objects to an existing account, as a person would in the web app."""
        self.admin("POST", "seed", content=json.dumps({"accounts": [dict(account)]}))

    def rest(
        self, method: str, path: str, *, token: str = PERSON_TOKEN, body: Any = None
    ) -> httpx.Response:
        response = httpx.request(
            method,
            f"{self.url}{path}",
            headers={
                "Authorization": f"Token token={token}",
                "Accept": "application/vnd.pagerduty+json;version=2",
            },
            json=body,
            timeout=30,
        )
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path} answered {response.status_code}")
        return response

    def create_subscription(
        self,
        url: str,
        filter_: Mapping[str, str],
        *,
        description: str = "made by hand",
        events: list[str] | None = None,
        headers: list[dict[str, str]] | None = None,
    ) -> str:
        """Create a subscription through the REST API (unmarked: not the operator's); its id."""
        delivery: dict[str, Any] = {"type": "http_delivery_method", "url": url}
        if headers:
            delivery["custom_headers"] = headers
        body = {
            "webhook_subscription": {
                "type": "webhook_subscription",
                "delivery_method": delivery,
                "events": events or ["incident.triggered", "incident.resolved"],
                "filter": dict(filter_),
                "description": description,
            }
        }
        created = self.rest("POST", "/webhook_subscriptions", body=body).json()
        sub = created["webhook_subscription"]
        self.ledger.add(f"signing secret of {sub['id']}", sub["delivery_method"]["secret"])
        return str(sub["id"])

    def edit_subscription(self, subscription_id: str, **changes: Any) -> None:
        self.rest(
            "PUT",
            f"/webhook_subscriptions/{subscription_id}",
            body={"webhook_subscription": changes},
        )

    def delete_subscription(self, subscription_id: str) -> None:
        """Delete it the way a person would in the web app."""
        self.admin("DELETE", f"accounts/{ACCOUNT}/webhook_subscriptions/{subscription_id}")

    def trigger_incident(self, service_id: str, title: str) -> dict[str, Any]:
        incident: dict[str, Any] = self.admin(
            "POST", "incidents", json={"account": ACCOUNT, "service_id": service_id, "title": title}
        )["incident"]
        return incident

    def deliveries(self, subscription_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.admin(
            "GET", "deliveries", params={"subscription_id": subscription_id}
        )["deliveries"]
        return found

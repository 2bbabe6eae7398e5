"""The PagerDuty simulator as the resilience tests see it: accounts, state, faults, requests.

Each test gets a simulator account of its own (`new_account`): its own API key (so the request
log tells its calls apart), services, teams and priorities, and its own account scope (so
account-level subscriptions of one test never receive another test's incidents).

Markers are parsed here from their documented formats, independently of the operator's code:
webhook subscriptions end their description with `[k8s:<namespace>/<name>]`, incident rules end
their label with `[k8s:<namespace>/<name> order=<n>]`.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pagerduty_devenv.stack import SimulatorProcess

JSON = dict[str, Any]
Owner = tuple[str, str]
SUBSCRIPTION_MARKER = re.compile(r"\[k8s:([a-z0-9.-]+)/([a-z0-9.-]+)\]\s*$")
RULE_MARKER = re.compile(r"\[k8s:([a-z0-9.-]+)/([a-z0-9.-]+) order=(-?\d+)\]\s*$")
PRIORITIES = ("P1", "P2", "P3")


def new_pd_id(prefix: str = "P") -> str:
    """A PagerDuty-style id unlikely to collide with anything the simulator made."""
    return (prefix + uuid.uuid4().hex.upper())[:7]


def subscription_owner(subscription: JSON) -> Owner | None:
    match = SUBSCRIPTION_MARKER.search(str(subscription.get("description") or ""))
    return (match.group(1), match.group(2)) if match else None


def rule_owner(rule: JSON) -> Owner | None:
    match = RULE_MARKER.search(str(rule.get("label") or ""))
    return (match.group(1), match.group(2)) if match else None


@dataclass(frozen=True)
class PdAccount:
    """One test's simulator account (the API key is a secret: never printed)."""

    subdomain: str
    key_label: str
    token: str = field(repr=False)
    services: tuple[str, ...]
    teams: tuple[str, ...]
    service_team: dict[str, str]

    @property
    def credential(self) -> str:
        """The request log's name for this account's API key."""
        return f"api_key:{self.key_label}"


@dataclass(frozen=True)
class MarkedRule:
    """A rule the operator marked, and where it lives."""

    path: str
    set_id: str
    rule: JSON = field(repr=False)

    @property
    def id(self) -> str:
        return str(self.rule.get("id"))


class Sim:
    """The simulator's admin API, for one pytest session."""

    def __init__(self, process: SimulatorProcess) -> None:
        self.process = process

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.process.admin(method, path, **kwargs)

    # --- accounts --------------------------------------------------------------------------

    def new_account(self, *, services: int, teams: int) -> PdAccount:
        """Seed a fresh account with `services` services spread over `teams` teams."""
        subdomain = f"rs{uuid.uuid4().hex[:10]}"
        token = f"y_SIMfake_{uuid.uuid4().hex}"
        team_ids = [new_pd_id("PT") for _ in range(teams)]
        service_ids = [new_pd_id("PS") for _ in range(services)]
        service_team = {s: team_ids[i % teams] for i, s in enumerate(service_ids)} if teams else {}
        user_id, policy_id = new_pd_id("PU"), new_pd_id("PE")
        account = {
            "subdomain": subdomain,
            "name": f"Resilience {subdomain}",
            "teams": [{"id": t, "name": f"Team {t}"} for t in team_ids],
            "users": [
                {
                    "id": user_id,
                    "name": "Owner",
                    "email": f"owner@{subdomain}.example",
                    "role": "owner",
                }
            ],
            "escalation_policies": [{"id": policy_id, "name": "Default", "users": [user_id]}],
            "priorities": [{"id": new_pd_id("PR"), "name": name} for name in PRIORITIES],
            "services": [
                {
                    "id": s,
                    "name": f"Service {s}",
                    "teams": [service_team[s]] if service_team else [],
                }
                for s in service_ids
            ],
            "api_keys": [{"label": f"{subdomain}-key", "token": token}],
        }
        self.admin("POST", "seed", content=json.dumps({"accounts": [account]}))
        return PdAccount(
            subdomain=subdomain,
            key_label=f"{subdomain}-key",
            token=token,
            services=tuple(service_ids),
            teams=tuple(team_ids),
            service_team=service_team,
        )

    def account_state(self, subdomain: str) -> JSON:
        state = self.admin("GET", "state")
        for account in state["accounts"]:
            if account["subdomain"] == subdomain:
                found: JSON = account
                return found
        raise AssertionError(f"the simulator has no account {subdomain}")

    # --- webhook subscriptions and rules, by marker ------------------------------------------

    def subscriptions(self, subdomain: str) -> list[JSON]:
        return list(self.account_state(subdomain).get("webhook_subscriptions") or [])

    def marked_subscriptions(self, subdomain: str) -> dict[Owner, list[JSON]]:
        found: dict[Owner, list[JSON]] = defaultdict(list)
        for subscription in self.subscriptions(subdomain):
            owner = subscription_owner(subscription)
            if owner is not None:
                found[owner].append(subscription)
        return dict(found)

    def marked_rules(self, subdomain: str) -> dict[Owner, list[MarkedRule]]:
        """Every marked rule of every service path and orchestration path of the account."""
        account = self.account_state(subdomain)
        paths: list[tuple[str, JSON]] = [
            (f"service/{s['id']}", s["orchestration"]) for s in account.get("services") or []
        ]
        for orchestration in account.get("orchestrations") or []:
            for kind in ("global", "router", "unrouted"):
                paths.append((f"{kind}/{orchestration['id']}", orchestration[kind]))
        found: dict[Owner, list[MarkedRule]] = defaultdict(list)
        for where, path in paths:
            for rule_set in path.get("sets") or []:
                for rule in rule_set.get("rules") or []:
                    owner = rule_owner(rule)
                    if owner is not None:
                        found[owner].append(MarkedRule(where, str(rule_set.get("id")), rule))
        return dict(found)

    def secrets_of(self, subdomain: str) -> dict[str, str]:
        """label -> value of every secret the account holds (for leak checks by label)."""
        account = self.account_state(subdomain)
        values = {f"API key {k['label']}": str(k["token"]) for k in account.get("api_keys") or []}
        for subscription in account.get("webhook_subscriptions") or []:
            if subscription.get("secret"):
                values[f"signing secret of {subscription['id']}"] = str(subscription["secret"])
        return values

    # --- faults, requests, incidents, deliveries ---------------------------------------------

    def add_faults(self, *rules: JSON) -> None:
        self.admin("POST", "faults", json={"faults": list(rules)})

    def faults(self) -> list[JSON]:
        found: list[JSON] = self.admin("GET", "faults")["faults"]
        return found

    def clear_faults(self) -> None:
        self.admin("DELETE", "faults")

    def last_seq(self) -> int:
        return int(self.admin("GET", "requests", params={"entries": "false"})["last_seq"])

    def requests(self, since: int, credential: str | None = None) -> list[JSON]:
        """The requests after sequence number `since` (of `credential`, if given).

        A request faulted before it reached authentication has no credential in the log.
        """
        entries: list[JSON] = self.admin("GET", "requests", params={"since": since})["requests"]
        return [e for e in entries if credential is None or e["credential"] == credential]

    def trigger_incident(self, subdomain: str, service_id: str, title: str) -> None:
        self.admin(
            "POST",
            "incidents",
            json={"account": subdomain, "service_id": service_id, "title": title},
        )

    def wait_deliveries_idle(self) -> None:
        self.admin("GET", "deliveries", params={"wait": "true", "subscription_id": "-"})

"""The examples work against the simulator's default seed: credentials and ids exist there.

Each example integration's credentials must resolve to one seeded account (API key token, OAuth
client and subdomain, or user refresh token), and every PagerDuty id or priority name used by that
integration, its webhooks and its rules must exist in that same account.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pagerduty_operator.models.incident_rule import IncidentRuleSpec
from pagerduty_operator.models.integration import IntegrationSpec
from pagerduty_operator.models.webhook import WebhookSpec

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "simulator" / "src" / "pagerduty_simulator" / "default_seed.yaml"
EXAMPLE_DIRS = sorted(p for p in (REPO / "examples").iterdir() if p.is_dir())


def _documents(directory: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    return docs


def _accounts() -> list[dict[str, Any]]:
    accounts: list[dict[str, Any]] = yaml.safe_load(SEED.read_text())["accounts"]
    return accounts


def _secret_value(docs: list[dict[str, Any]], name: str, key: str) -> str:
    [secret] = [d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"] == name]
    return str(secret["stringData"][key])


def _account_of(spec: IntegrationSpec, docs: list[dict[str, Any]]) -> dict[str, Any]:
    creds = spec.credentials
    matches: list[dict[str, Any]] = []
    for account in _accounts():
        if account.get("region", "us") != spec.region:
            continue
        if creds.api_key is not None:
            token = _secret_value(
                docs, creds.api_key.secret_key_ref.name, creds.api_key.secret_key_ref.key
            )
            if token in {k["token"] for k in account.get("api_keys", [])}:
                matches.append(account)
        if creds.oauth is not None:
            ref = creds.oauth.client_id.secret_key_ref
            client_id = _secret_value(docs, ref.name, ref.key)
            apps = [a for a in account.get("oauth_apps", []) if a["client_id"] == client_id]
            if not apps:
                continue
            if creds.oauth.client_secret is not None:
                ref = creds.oauth.client_secret.secret_key_ref
                assert apps[0]["client_secret"] == _secret_value(docs, ref.name, ref.key)
            if creds.oauth.subdomain is not None and creds.oauth.subdomain == account["subdomain"]:
                matches.append(account)
            if creds.oauth.token_secret_ref is not None:
                refresh = _secret_value(docs, creds.oauth.token_secret_ref.name, "refresh_token")
                if refresh in {t["token"] for t in account.get("oauth_refresh_tokens", [])}:
                    matches.append(account)
    assert len(matches) == 1, "the credentials must resolve to exactly one seeded account"
    return matches[0]


def _ids(account: dict[str, Any], table: str) -> set[str]:
    return {str(item["id"]) for item in account.get(table, [])}


@pytest.mark.parametrize("directory", EXAMPLE_DIRS, ids=lambda p: p.name)
def test_example_ids_and_credentials_exist_in_the_default_seed(directory: Path) -> None:
    docs = _documents(directory)
    by_name = {
        d["metadata"]["name"]: IntegrationSpec.model_validate(d["spec"])
        for d in docs
        if d["kind"] == "PagerDutyIntegration"
    }
    accounts = {name: _account_of(spec, docs) for name, spec in by_name.items()}
    for name, spec in by_name.items():
        services = _ids(accounts[name], "services")
        assert spec.service_id is None or spec.service_id in services
        assert spec.events_service_id is None or spec.events_service_id in services
    for doc in docs:
        if doc["kind"] == "PagerDutyWebhook":
            webhook = WebhookSpec.model_validate(doc["spec"])
            account = accounts[webhook.integration_ref.name]
            if webhook.scope is not None and webhook.scope.id is not None:
                table = "services" if webhook.scope.type == "service" else "teams"
                assert webhook.scope.id in _ids(account, table), doc["metadata"]["name"]
        if doc["kind"] == "PagerDutyIncidentRule":
            rule = IncidentRuleSpec.model_validate(doc["spec"])
            account = accounts[rule.integration_ref.name]
            if rule.target is not None:
                table = "services" if rule.path_type == "service" else "orchestrations"
                assert rule.target.path_id in _ids(account, table), doc["metadata"]["name"]
            actions = rule.actions
            if actions is None:
                continue
            if rule.path_type == "router":
                assert actions.route_to in _ids(account, "services"), doc["metadata"]["name"]
            if actions.priority is not None:
                names = {str(p["name"]) for p in account["priorities"]}
                assert actions.priority in names | _ids(account, "priorities")
            if actions.escalation_policy is not None:
                assert actions.escalation_policy in _ids(account, "escalation_policies")

"""PagerDuty calls per webhook, for a create and for an idle resync, from the request log.

The numbers are printed to the terminal. The assertions are the design's promises, in counts:
a create is one POST plus listings shared per scope; an idle resync writes nothing, never GETs
a subscription by id, and lists at most once per webhook resync (one listing per integration
and scope serves every webhook that shares it); the integration's resync calls nothing while its
credential is in use (the full capability probe ran when the credential was new).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pytest
from operator_harness import RESYNC_SECONDS, Tenant
from prometheus_client.parser import text_string_to_metric_families

from pagerduty_devenv.stack import OperatorProcess
from pagerduty_operator.pagerduty.probe import PROBE_ID

IDLE_RESYNCS = 4
LIST = ("GET", "/webhook_subscriptions")
GET_ONE = ("GET", "/webhook_subscriptions/{id}")
WEBHOOK = "PagerDutyWebhook"
INTEGRATION = "PagerDutyIntegration"


def _reconciles(operator: OperatorProcess, kind: str) -> int:
    total = 0.0
    for family in text_string_to_metric_families(operator.metrics()):
        for sample in family.samples:
            if (
                sample.name == "pagerduty_operator_reconciles_total"
                and sample.labels.get("kind") == kind
            ):
                total += sample.value
    return int(total)


def _webhook_calls(requests: Iterable[dict[str, Any]]) -> Counter[tuple[str, str]]:
    """(method, route) of the webhooks' own calls: the integration's probe taken out.

    Each probe sends one `PUT .../pdo-capability-probe` per write scope and one
    `GET /webhook_subscriptions` (limit 1) among its reads.
    """
    entries = list(requests)
    probes = sum(1 for r in entries if r["path"] == f"/incidents/{PROBE_ID}")
    calls = Counter(
        (r["method"], r["route"])
        for r in entries
        if r["route"].startswith("/webhook_subscriptions") and PROBE_ID not in r["path"]
    )
    calls[LIST] -= probes
    return +calls


def _between(tenant: Tenant, start: int, end: int) -> list[dict[str, Any]]:
    return [r for r in tenant.requests_since(start) if r["seq"] <= end]


def _table(title: str, calls: Counter[tuple[str, str]], per: int, unit: str) -> str:
    lines = [
        f"{title}: {sum(calls.values())} calls / {per} {unit} = "
        f"{sum(calls.values()) / per:.2f} per {unit.rstrip('s')}"
    ]
    lines += [
        f"    {count:4d}  {method} {route}" for (method, route), count in sorted(calls.items())
    ]
    return "\n".join(lines)


def test_calls_per_webhook_for_create_and_idle_resync(
    tenant: Tenant, shared_operator: OperatorProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ["count-account-1", "count-account-2", "count-team-1", "count-team-2"]
    tenant.apply(tenant.api_key_secret(), tenant.integration())
    tenant.wait_integration_ready()

    start = tenant.sim.last_seq()
    tenant.apply(
        tenant.webhook(names[0], scope={"type": "account"}),
        tenant.webhook(names[1], scope={"type": "account"}),
        tenant.webhook(names[2], scope={"type": "team", "id": tenant.team_id}),
        tenant.webhook(names[3], scope={"type": "team", "id": tenant.team_id}),
    )
    for name in names:
        tenant.wait_webhook_ready(name)
    created = tenant.sim.last_seq()
    create_calls = _webhook_calls(_between(tenant, start, created))

    before = {k: _reconciles(shared_operator, k) for k in (WEBHOOK, INTEGRATION)}
    time.sleep(IDLE_RESYNCS * RESYNC_SECONDS)
    idle_end = tenant.sim.last_seq()
    after = {k: _reconciles(shared_operator, k) for k in (WEBHOOK, INTEGRATION)}
    resyncs = after[WEBHOOK] - before[WEBHOOK]
    idle = _between(tenant, created, idle_end)
    idle_calls = _webhook_calls(idle)
    integration_calls = Counter((r["method"], r["route"]) for r in idle) - idle_calls

    with capsys.disabled():
        print(
            "\n"
            + _table("create", create_calls, len(names), "webhooks")
            + "\n"
            + _table("idle resync", idle_calls, max(resyncs, 1), "webhook resyncs")
            + "\n"
            + _table(
                "integration resync (capability probe)",
                integration_calls,
                max(after[INTEGRATION] - before[INTEGRATION], 1),
                "integration resyncs",
            )
        )

    assert create_calls[("POST", "/webhook_subscriptions")] == len(names)
    assert create_calls[GET_ONE] == 0
    assert sum(create_calls.values()) <= 2 * len(names)

    assert resyncs >= len(names), "the webhooks were not resynced while idle"
    writes = {key: n for key, n in idle_calls.items() if key[0] != "GET"}
    assert not writes, f"an idle resync wrote to PagerDuty: {writes}"
    assert idle_calls[GET_ONE] == 0, "per-object GETs during an idle resync"
    assert 0 < idle_calls[LIST] <= resyncs
    assert after[INTEGRATION] > before[INTEGRATION], "the integration was not resynced"
    assert not integration_calls, f"the idle integration called PagerDuty: {integration_calls}"

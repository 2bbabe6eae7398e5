"""What incident-rule resyncs read: one orchestration path read and one `active` read per interval.

Every read (the coordinator's before a write, the refresher's once per interval) and every write
of a path is recorded as that path's snapshot. A rule whose resync finds a fresh snapshot (see
:mod:`.snapshots`) in which its rule is exactly as the spec wants (the edit would change
nothing) is done without a call; otherwise its change goes through the coordinator as before
(a fresh read, and a write if needed). A later read in which a rule differs (edited, moved or
deleted in PagerDuty) kicks that rule's resource, so drift is corrected within one interval
(see :mod:`.refresh`). The service's `active` flag is shared the same way, one read per service.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

from pagerduty_operator.pagerduty import PagerDutyClient
from pagerduty_operator.pagerduty.resources.orchestrations import OrchestrationPath
from pagerduty_operator.reconcile.refresh import Dependent, Refresher
from pagerduty_operator.reconcile.rule_coordinator import Applied, PathRef
from pagerduty_operator.reconcile.rule_desired import parse_marker
from pagerduty_operator.reconcile.rule_path_edit import Change, Inspect, Upsert, edit_sets
from pagerduty_operator.reconcile.snapshots import Snapshots

PathKey = tuple[str, str, str, str, str]
ActiveKey = tuple[str, str, str, str]


def path_key(client: PagerDutyClient, ref: PathRef) -> PathKey:
    return ("path", client.endpoints.rest_url, client.credential.fingerprint, ref.kind, ref.id)


def active_key(client: PagerDutyClient, service_id: str) -> ActiveKey:
    return ("active", client.endpoints.rest_url, client.credential.fingerprint, service_id)


def owner_item(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


def owned_rules(path: OrchestrationPath) -> dict[str, tuple[Any, int, Any]]:
    """The operator's rules of `path` by owner item: (set id, position, rule)."""
    owned: dict[str, tuple[Any, int, Any]] = {}
    for rule_set in path.get("sets") or []:
        for position, rule in enumerate(rule_set.get("rules") or []):
            marked = parse_marker(rule.get("label"))
            if marked is not None:
                owned.setdefault(owner_item(*marked[0]), (rule_set.get("id"), position, rule))
    return owned


def changed_owners(before: OrchestrationPath, after: OrchestrationPath) -> set[str]:
    """Owners whose rule was added, removed, changed or moved between two reads of a path."""
    old, new = owned_rules(before), owned_rules(after)
    return {o for o in old.keys() | new.keys() if old.get(o) != new.get(o)}


def _active_changed(before: bool, after: bool) -> Collection[str] | None:
    return None if before != after else ()


def without_write(path: OrchestrationPath, ref: PathRef, change: Change) -> Applied | None:
    """What the coordinator would answer for `change` on `path` if it needs no write, else None."""
    if not isinstance(change, Upsert | Inspect):
        return None
    sets = [dict(s) for s in path.get("sets", [])]
    new_sets, results = edit_sets(
        sets, [change], path.get("catch_all"), route_targets_are_sets=ref.kind != "router"
    )
    result = results[change.owner]
    if isinstance(change, Inspect) or (new_sets == sets and result.found):
        return Applied(result, wrote=False)
    return None


class RuleSnapshots:
    """Path and `active` snapshots; the coordinator reports its reads and writes here."""

    def __init__(self, refresher: Refresher) -> None:
        self.paths: Snapshots[OrchestrationPath] = Snapshots(refresher, changed_owners)
        self.active: Snapshots[bool] = Snapshots(refresher, _active_changed)

    async def path_read(
        self, client: PagerDutyClient, ref: PathRef, path: OrchestrationPath, started_at: float
    ) -> None:
        await self.paths.observed(path_key(client, ref), path, started_at)

    def path_written(
        self, client: PagerDutyClient, ref: PathRef, path: OrchestrationPath, started_at: float
    ) -> None:
        self.paths.wrote(path_key(client, ref), path, started_at)

    def watch_path(self, client: PagerDutyClient, ref: PathRef, dependent: Dependent) -> None:
        async def fetch() -> OrchestrationPath:
            return await client.orchestrations.get_path(ref.kind, ref.id)

        self.paths.watch(path_key(client, ref), dependent, fetch, owner_item(*dependent[1:]))

    def fresh_path(self, client: PagerDutyClient, ref: PathRef) -> OrchestrationPath | None:
        return self.paths.fresh(path_key(client, ref))

    async def service_active(
        self, client: PagerDutyClient, service_id: str, dependent: Dependent
    ) -> bool:
        """The service's `active` flag, read at most once per interval for all its rules."""
        key = active_key(client, service_id)

        async def fetch() -> bool:
            return await client.orchestrations.get_service_active(service_id)

        self.active.watch(key, dependent, fetch)
        return await self.active.get(key, fetch)

    def active_written(self, client: PagerDutyClient, service_id: str, active: bool) -> None:
        self.active.wrote(active_key(client, service_id), active, time.monotonic())

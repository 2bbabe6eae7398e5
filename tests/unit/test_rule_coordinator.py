"""The per-path coordinator: one GET and one PUT per batch, and a refused rule fails alone."""

from __future__ import annotations

import asyncio
import copy
import itertools
from types import SimpleNamespace
from typing import Any, cast

import pytest

from pagerduty_operator.models.incident_rule import IncidentRuleSpec
from pagerduty_operator.pagerduty import InvalidInputError, PagerDutyClient, ServerError
from pagerduty_operator.pagerduty.resources.orchestrations import PathUpdate
from pagerduty_operator.reconcile import rule_coordinator
from pagerduty_operator.reconcile.rule_coordinator import Applied, PathCoordinator, PathRef
from pagerduty_operator.reconcile.rule_desired import DesiredRule, parse_marker
from pagerduty_operator.reconcile.rule_path_edit import Change, Inspect, Upsert
from support.orchestration_shapes import full_actions, full_catch_all, set_actions

KNOWN_POLICIES = {"PEP0001"}
REF = PathRef("service", "PSVC001")


@pytest.fixture(autouse=True)
def back_to_back_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Most tests run several batches in a row: no pause between them."""
    monkeypatch.setattr(rule_coordinator, "MIN_BATCH_INTERVAL", 0.0)


class FakeOrchestrations:
    """A path store that validates like PagerDuty: an unknown escalation policy is a 400."""

    def __init__(self, sets: list[dict[str, Any]] | None = None) -> None:
        self.sets = sets or [{"id": "start", "rules": []}]
        self.gets = 0
        self.puts = 0
        self.refused = 0
        self.fail_get: Exception | None = None
        self._ids = (f"r{i:07d}" for i in itertools.count())

    async def get_path(self, kind: str, parent_id: str) -> dict[str, Any]:
        self.gets += 1
        await asyncio.sleep(0)
        if self.fail_get is not None:
            raise self.fail_get
        return {"sets": copy.deepcopy(self.sets), "catch_all": {"actions": {}}}

    async def put_path(self, kind: str, parent_id: str, path: dict[str, Any]) -> PathUpdate:
        self.puts += 1
        await asyncio.sleep(0)
        sets = copy.deepcopy(path["sets"])
        for rule_set in sets:
            for rule in rule_set["rules"]:
                policy = rule.get("actions", {}).get("escalation_policy")
                if policy is not None and policy not in KNOWN_POLICIES:
                    self.refused += 1
                    raise InvalidInputError(
                        "Invalid Input Provided",
                        status=400,
                        code=2001,
                        method="PUT",
                        path="/event_orchestrations/services/{id}",
                        errors=["escalation_policy must be the id of an escalation policy"],
                    )
        for rule_set in sets:
            for rule in rule_set["rules"]:
                rule.setdefault("id", next(self._ids))
        self.sets = sets
        return PathUpdate(path=cast(Any, {"sets": copy.deepcopy(sets)}), warnings=[])


def _client(orchestrations: FakeOrchestrations) -> PagerDutyClient:
    fake = SimpleNamespace(
        orchestrations=orchestrations,
        endpoints=SimpleNamespace(rest_url="http://pagerduty.invalid"),
        credential=SimpleNamespace(fingerprint="fingerprint-1"),
    )
    return cast(PagerDutyClient, fake)


def _rule(name: str, order: int = 0, **actions: Any) -> DesiredRule:
    spec = IncidentRuleSpec.model_validate(
        {
            "integrationRef": {"name": "i"},
            "order": order,
            "actions": actions or {"severity": "info"},
        }
    )
    return DesiredRule.build(spec, ("ns", name), None)


async def _submit_all(
    coordinator: PathCoordinator, client: PagerDutyClient, changes: list[Change]
) -> list[Applied | BaseException]:
    return list(
        await asyncio.gather(
            *(coordinator.submit(client, REF, c) for c in changes), return_exceptions=True
        )
    )


async def test_changes_arriving_together_cost_one_get_and_one_put() -> None:
    store = FakeOrchestrations()
    client = _client(store)
    coordinator = PathCoordinator()
    outcomes = await _submit_all(
        coordinator, client, [Upsert(_rule(f"r{i}", order=-i)) for i in range(20)]
    )
    assert (store.gets, store.puts) == (1, 1)
    assert all(isinstance(o, Applied) and o.wrote for o in outcomes)
    applied = cast(list[Applied], outcomes)
    # r19 has the lowest order: first; every result points at the rule PagerDuty stored.
    assert applied[19].result.position == 0
    stored_ids = [r["id"] for r in store.sets[0]["rules"]]
    assert sorted(a.result.rule_id or "" for a in applied) == sorted(stored_ids)


async def test_a_burst_spread_over_time_is_gathered_into_few_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Changes trickling in (as kopf delivers them) a little slower than the quiet time."""
    monkeypatch.setattr(rule_coordinator, "MIN_BATCH_INTERVAL", 1.0)
    store = FakeOrchestrations()
    client = _client(store)
    coordinator = PathCoordinator()
    gap = rule_coordinator.GATHER_SECONDS * 0.6
    waiting = []
    for i in range(20):
        waiting.append(
            asyncio.ensure_future(coordinator.submit(client, REF, Upsert(_rule(f"t{i}"))))
        )
        await asyncio.sleep(gap)
    outcomes = await asyncio.gather(*waiting)
    assert all(o.wrote for o in outcomes)
    assert len(store.sets[0]["rules"]) == 20
    # The spread (20 gaps) is shorter than a batch interval: at most two batches.
    assert store.puts <= 2, f"{store.puts} PUTs"
    assert coordinator.stats.batches == store.gets <= 2


async def test_a_rule_pagerduty_refuses_fails_alone() -> None:
    store = FakeOrchestrations()
    client = _client(store)
    coordinator = PathCoordinator()
    changes: list[Change] = [Upsert(_rule(f"good{i}", order=i)) for i in range(7)]
    changes.insert(3, Upsert(_rule("bad", escalation_policy="PNOSUCH")))
    outcomes = await _submit_all(coordinator, client, changes)
    assert isinstance(outcomes[3], InvalidInputError)
    assert all(isinstance(o, Applied) for i, o in enumerate(outcomes) if i != 3)
    names = [parse_marker(r["label"]) for r in store.sets[0]["rules"]]
    assert [n[0][1] for n in names if n] == [f"good{i}" for i in range(7)]
    assert store.gets == 1
    assert store.puts <= 1 + 2 * 3  # halving 8 changes: at most two PUTs per level


async def test_the_same_bad_rule_in_every_batch_never_blocks_the_others() -> None:
    store = FakeOrchestrations()
    client = _client(store)
    coordinator = PathCoordinator()
    bad = Upsert(_rule("bad", escalation_policy="PNOSUCH"))
    for round_ in range(3):
        outcomes = await _submit_all(coordinator, client, [bad, Upsert(_rule(f"g{round_}"))])
        assert isinstance(outcomes[0], InvalidInputError)
        assert isinstance(outcomes[1], Applied)
    assert len(store.sets[0]["rules"]) == 3


async def test_only_inspections_never_put() -> None:
    store = FakeOrchestrations()
    client = _client(store)
    coordinator = PathCoordinator()
    await _submit_all(coordinator, client, [Upsert(_rule("a"))])
    outcomes = await _submit_all(
        coordinator, client, [Inspect(_rule("a", severity="critical")), Inspect(_rule("b"))]
    )
    assert store.puts == 1
    first, second = cast(list[Applied], outcomes)
    assert (first.wrote, first.result.differences) == (False, ["actions"])
    assert (second.wrote, second.result.found) == (False, False)


async def test_a_failed_read_fails_every_caller_of_the_batch() -> None:
    store = FakeOrchestrations()
    store.fail_get = ServerError("unavailable", status=503)
    client = _client(store)
    coordinator = PathCoordinator()
    outcomes = await _submit_all(coordinator, client, [Upsert(_rule("a")), Upsert(_rule("b"))])
    assert all(isinstance(o, ServerError) for o in outcomes)
    assert store.puts == 0
    store.fail_get = None
    again = await coordinator.submit(client, REF, Upsert(_rule("a")))
    assert again.wrote


@pytest.mark.parametrize("count", [1, 2, 5])
async def test_unchanged_rules_cost_a_get_and_no_put(count: int) -> None:
    store = FakeOrchestrations()
    client = _client(store)
    coordinator = PathCoordinator()
    changes: list[Change] = [Upsert(_rule(f"r{i}")) for i in range(count)]
    await _submit_all(coordinator, client, changes)
    puts = store.puts
    outcomes = await _submit_all(coordinator, client, changes)
    assert store.puts == puts
    assert all(isinstance(o, Applied) and not o.wrote for o in outcomes)


async def test_two_credentials_on_one_path_never_lose_each_others_rules() -> None:
    """Two integrations (two keys of one account) whose rules share a path."""
    store = FakeOrchestrations()
    first = _client(store)
    second = cast(
        PagerDutyClient,
        SimpleNamespace(
            orchestrations=store,
            endpoints=SimpleNamespace(rest_url="http://pagerduty.invalid"),
            credential=SimpleNamespace(fingerprint="fingerprint-2"),
        ),
    )
    coordinator = PathCoordinator()
    outcomes = await asyncio.gather(
        *(coordinator.submit(first, REF, Upsert(_rule(f"a{i}"))) for i in range(3)),
        *(coordinator.submit(second, REF, Upsert(_rule(f"b{i}"))) for i in range(3)),
    )
    assert all(o.wrote for o in outcomes)
    names = sorted(m[0][1] for r in store.sets[0]["rules"] if (m := parse_marker(r["label"])))
    assert names == ["a0", "a1", "a2", "b0", "b1", "b2"]


async def _ticks(count: int = 30) -> None:
    """Let the event loop run `count` iterations (no wall-clock time involved)."""
    for _ in range(count):
        await asyncio.sleep(0)


@pytest.fixture
def hour_long_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gather windows and the batch interval an hour long: only a lone change is fast."""
    for name in ("GATHER_SECONDS", "MAX_GATHER_SECONDS", "MIN_BATCH_INTERVAL"):
        monkeypatch.setattr(rule_coordinator, name, 3600.0)


@pytest.mark.usefixtures("hour_long_windows")
async def test_a_lone_change_is_applied_without_a_gather_window() -> None:
    """One change on an idle, quiet path: no quiet time, no batch interval, however long."""
    store = FakeOrchestrations()
    client = _client(store)
    coordinator = PathCoordinator()
    first = asyncio.ensure_future(coordinator.submit(client, REF, Upsert(_rule("lone"))))
    await _ticks()
    assert first.done()
    assert first.result().wrote
    assert (store.gets, store.puts) == (1, 1)
    # A change right behind it is the start of a burst: it is gathered, not applied at once.
    follower = asyncio.ensure_future(coordinator.submit(client, REF, Upsert(_rule("next"))))
    await _ticks()
    assert not follower.done()
    assert store.puts == 1
    follower.cancel()
    for worker in coordinator._workers.values():
        if worker.task is not None:
            worker.task.cancel()
    await asyncio.gather(
        follower, *(w.task for w in coordinator._workers.values() if w.task), return_exceptions=True
    )


@pytest.mark.usefixtures("hour_long_windows")
async def test_changes_submitted_in_the_same_tick_as_a_lone_one_join_its_batch() -> None:
    store = FakeOrchestrations()
    client = _client(store)
    coordinator = PathCoordinator()
    waiting = asyncio.gather(
        *(coordinator.submit(client, REF, Upsert(_rule(f"s{i}"))) for i in range(5))
    )
    await _ticks()
    assert waiting.done()
    assert all(o.wrote for o in waiting.result())
    assert (store.gets, store.puts) == (1, 1)


class CanonicalOrchestrations(FakeOrchestrations):
    """Reads back like PagerDuty: every rule field and the full action object of a path."""

    async def get_path(self, kind: str, parent_id: str) -> dict[str, Any]:
        path = await super().get_path(kind, parent_id)
        for rule_set in path["sets"]:
            rule_set["rules"] = [
                {
                    "id": rule["id"],
                    "label": rule.get("label"),
                    "conditions": rule.get("conditions") or [],
                    "actions": full_actions("service", **set_actions(rule.get("actions") or {})),
                    "disabled": bool(rule.get("disabled")),
                }
                for rule in rule_set["rules"]
            ]
        path["catch_all"] = full_catch_all("service")
        return path


@pytest.mark.parametrize("count", [1, 3])
async def test_idle_under_canonical_reads_costs_no_put(count: int) -> None:
    store = CanonicalOrchestrations()
    client = _client(store)
    coordinator = PathCoordinator()
    changes: list[Change] = [
        Upsert(_rule(f"r{i}", severity="critical", suppress=False, annotate="a"))
        for i in range(count)
    ]
    await _submit_all(coordinator, client, changes)
    assert store.puts == 1
    for _ in range(3):  # three resyncs
        outcomes = await _submit_all(coordinator, client, changes)
        assert all(isinstance(o, Applied) and not o.wrote for o in outcomes)
        assert all(cast(Applied, o).result.differences == [] for o in outcomes)
    assert store.puts == 1

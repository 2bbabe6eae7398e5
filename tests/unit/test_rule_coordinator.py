"""The per-path coordinator: few GETs and PUTs per burst, a lone change at once, bad rules alone.

Everything runs on virtual time (`SchedulerClock`): changes are paced and answered in virtual
seconds, PagerDuty answers after a virtual latency, and the asserts are on counts of calls and
on virtual waits, never on the wall clock.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import math
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, cast

import pytest

from pagerduty_operator.models.incident_rule import IncidentRuleSpec
from pagerduty_operator.pagerduty import InvalidInputError, PagerDutyClient, ServerError
from pagerduty_operator.pagerduty.resources.orchestrations import PathUpdate
from pagerduty_operator.reconcile.rule_coordinator import (
    FULL_BATCH,
    MAX_WAIT_SECONDS,
    MIN_BATCH_INTERVAL,
    POLL_SECONDS,
    QUIET_SECONDS,
    Applied,
    PathCoordinator,
    PathRef,
)
from pagerduty_operator.reconcile.rule_desired import DesiredRule, parse_marker
from pagerduty_operator.reconcile.rule_path_edit import Change, Inspect, Remove, Upsert
from support.orchestration_shapes import full_actions, full_catch_all, set_actions
from support.virtual_clock import SchedulerClock

KNOWN_POLICIES = {"PEP0001"}
REF = PathRef("service", "PSVC001")
LATENCY = 0.02
"""Virtual seconds PagerDuty takes per call."""
SLACK = POLL_SECONDS + 2 * LATENCY
"""How late past its bound a batch may be answered: one poll step, then its GET and PUT."""


class FakeOrchestrations:
    """A path store that validates like PagerDuty: an unknown escalation policy is a 400."""

    def __init__(self, clock: SchedulerClock, latency: float = 0.0) -> None:
        self.clock = clock
        self.latency = latency  # of each call, in virtual seconds
        self.sets: list[dict[str, Any]] = [{"id": "start", "rules": []}]
        self.gets = 0
        self.puts = 0
        self.refused = 0
        self.fail_get: Exception | None = None
        self._ids = (f"r{i:07d}" for i in itertools.count())

    async def get_path(self, kind: str, parent_id: str) -> dict[str, Any]:
        self.gets += 1
        await self.clock.sleep(self.latency)
        if self.fail_get is not None:
            raise self.fail_get
        return {"sets": copy.deepcopy(self.sets), "catch_all": {"actions": {}}}

    async def put_path(self, kind: str, parent_id: str, path: dict[str, Any]) -> PathUpdate:
        self.puts += 1
        await self.clock.sleep(self.latency)
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

    def owners(self) -> list[tuple[str, str]]:
        """The owners of the operator's rules in the path, in path order."""
        return [m[0] for r in self.sets[0]["rules"] if (m := parse_marker(r.get("label")))]


def _client(orchestrations: FakeOrchestrations, fingerprint: str = "fingerprint-1") -> Any:
    fake = SimpleNamespace(
        orchestrations=orchestrations,
        endpoints=SimpleNamespace(rest_url="http://pagerduty.invalid"),
        credential=SimpleNamespace(fingerprint=fingerprint),
    )
    return cast(PagerDutyClient, fake)


@pytest.fixture
def clock() -> SchedulerClock:
    return SchedulerClock()


@pytest.fixture
def store(clock: SchedulerClock) -> FakeOrchestrations:
    return FakeOrchestrations(clock, LATENCY)


@pytest.fixture
def coordinator(clock: SchedulerClock) -> PathCoordinator:
    return PathCoordinator(clock)


def _rule(name: str, order: int = 0, **actions: Any) -> DesiredRule:
    spec = IncidentRuleSpec.model_validate(
        {
            "integrationRef": {"name": "i"},
            "order": order,
            "actions": actions or {"severity": "info"},
        }
    )
    return DesiredRule.build(spec, ("ns", name), None)


class Paced:
    """Submits changes to one path on a schedule, in virtual time, and records the answers."""

    def __init__(
        self, clock: SchedulerClock, coordinator: PathCoordinator, store: FakeOrchestrations
    ) -> None:
        self.clock = clock
        self.coordinator = coordinator
        self.store = store
        self.client = _client(store)
        self.waits: list[float] = []  # per change, in the order submitted
        self.gone_when_answered: list[bool] = []

    async def _one(self, at: float, change: Change, index: int) -> Applied | BaseException:
        await self.clock.sleep(at - self.clock.now)
        submitted = self.clock.now
        try:
            outcome: Applied | BaseException = await self.coordinator.submit(
                self.client, REF, change
            )
        except Exception as error:
            outcome = error
        self.waits[index] = self.clock.now - submitted
        if isinstance(change, Remove):
            self.gone_when_answered.append(change.owner not in self.store.owners())
        return outcome

    async def run(self, changes: Sequence[Change], gap: float = 0.0) -> list[Any]:
        """Change i is submitted `i * gap` virtual seconds from now (0: all in one tick)."""
        start, base = self.clock.now, len(self.waits)
        self.waits.extend([math.nan] * len(changes))
        waiting = asyncio.gather(
            *(self._one(start + i * gap, c, base + i) for i, c in enumerate(changes))
        )
        return cast(list[Any], await self.clock.run(waiting))


@pytest.fixture
def paced(clock: SchedulerClock, coordinator: PathCoordinator, store: FakeOrchestrations) -> Paced:
    return Paced(clock, coordinator, store)


async def _idle(clock: SchedulerClock, seconds: float) -> None:
    await clock.run(clock.sleep(seconds))


# -- one batch, and what a batch does --------------------------------------------------------


async def test_changes_arriving_together_cost_one_get_and_one_put(
    paced: Paced, store: FakeOrchestrations
) -> None:
    outcomes = await paced.run([Upsert(_rule(f"r{i}", order=-i)) for i in range(20)])
    assert (store.gets, store.puts) == (1, 1)
    assert all(isinstance(o, Applied) and o.wrote for o in outcomes)
    applied = cast(list[Applied], outcomes)
    # r19 has the lowest order: first; every result points at the rule PagerDuty stored.
    assert applied[19].result.position == 0
    stored_ids = [r["id"] for r in store.sets[0]["rules"]]
    assert sorted(a.result.rule_id or "" for a in applied) == sorted(stored_ids)


async def test_a_rule_pagerduty_refuses_fails_alone(
    paced: Paced, store: FakeOrchestrations
) -> None:
    changes: list[Change] = [Upsert(_rule(f"good{i}", order=i)) for i in range(7)]
    changes.insert(3, Upsert(_rule("bad", escalation_policy="PNOSUCH")))
    outcomes = await paced.run(changes)
    assert isinstance(outcomes[3], InvalidInputError)
    assert all(isinstance(o, Applied) for i, o in enumerate(outcomes) if i != 3)
    assert [o[1] for o in store.owners()] == [f"good{i}" for i in range(7)]
    assert store.gets == 1
    assert store.puts <= 1 + 2 * 3  # halving 8 changes: at most two PUTs per level


async def test_the_same_bad_rule_in_every_batch_never_blocks_the_others(
    paced: Paced, store: FakeOrchestrations
) -> None:
    bad = Upsert(_rule("bad", escalation_policy="PNOSUCH"))
    for round_ in range(3):
        outcomes = await paced.run([bad, Upsert(_rule(f"g{round_}"))])
        assert isinstance(outcomes[0], InvalidInputError)
        assert isinstance(outcomes[1], Applied)
    assert len(store.sets[0]["rules"]) == 3


async def test_only_inspections_never_put(paced: Paced, store: FakeOrchestrations) -> None:
    await paced.run([Upsert(_rule("a"))])
    outcomes = await paced.run([Inspect(_rule("a", severity="critical")), Inspect(_rule("b"))])
    assert store.puts == 1
    first, second = cast(list[Applied], outcomes)
    assert (first.wrote, first.result.differences) == (False, ["actions"])
    assert (second.wrote, second.result.found) == (False, False)


async def test_a_failed_read_fails_every_caller_of_the_batch(
    paced: Paced, store: FakeOrchestrations
) -> None:
    store.fail_get = ServerError("unavailable", status=503)
    outcomes = await paced.run([Upsert(_rule("a")), Upsert(_rule("b"))])
    assert all(isinstance(o, ServerError) for o in outcomes)
    assert store.puts == 0
    store.fail_get = None
    (again,) = await paced.run([Upsert(_rule("a"))])
    assert again.wrote


@pytest.mark.parametrize("count", [1, 2, 5])
async def test_unchanged_rules_cost_a_get_and_no_put(
    count: int, paced: Paced, store: FakeOrchestrations
) -> None:
    changes: list[Change] = [Upsert(_rule(f"r{i}")) for i in range(count)]
    await paced.run(changes)
    puts = store.puts
    outcomes = await paced.run(changes)
    assert store.puts == puts
    assert all(isinstance(o, Applied) and not o.wrote for o in outcomes)


async def test_two_credentials_on_one_path_never_lose_each_others_rules(
    clock: SchedulerClock, coordinator: PathCoordinator, store: FakeOrchestrations
) -> None:
    """Two integrations (two keys of one account) whose rules share a path."""
    first, second = _client(store), _client(store, "fingerprint-2")
    outcomes = await clock.run(
        asyncio.gather(
            *(coordinator.submit(first, REF, Upsert(_rule(f"a{i}"))) for i in range(3)),
            *(coordinator.submit(second, REF, Upsert(_rule(f"b{i}"))) for i in range(3)),
        )
    )
    assert all(o.wrote for o in outcomes)
    assert sorted(o[1] for o in store.owners()) == ["a0", "a1", "a2", "b0", "b1", "b2"]


# -- when a batch starts: a lone change at once, a burst gathered ----------------------------


async def test_a_lone_change_is_applied_at_once(
    paced: Paced, clock: SchedulerClock, store: FakeOrchestrations
) -> None:
    """One change on an idle path waits for nothing: answered after its GET and PUT alone."""
    (outcome,) = await paced.run([Upsert(_rule("lone"))])
    assert outcome.wrote
    assert (store.gets, store.puts) == (1, 1)
    assert paced.waits == [pytest.approx(2 * LATENCY)]
    # Idle for longer than the batch interval: the next lone change is applied at once too.
    await _idle(clock, MIN_BATCH_INTERVAL + LATENCY)
    await paced.run([Upsert(_rule("lone again"))])
    assert paced.waits[1] == pytest.approx(2 * LATENCY)
    assert store.puts == 2


async def test_changes_submitted_in_the_same_tick_as_a_lone_one_join_its_batch(
    paced: Paced, store: FakeOrchestrations
) -> None:
    outcomes = await paced.run([Upsert(_rule(f"s{i}")) for i in range(5)])
    assert all(o.wrote for o in outcomes)
    assert (store.gets, store.puts) == (1, 1)
    assert max(paced.waits) == pytest.approx(2 * LATENCY)


async def test_a_change_soon_after_a_batch_waits_for_the_interval_and_gathers(
    paced: Paced, store: FakeOrchestrations
) -> None:
    """The path wrote a moment ago: not lone, whatever the gap since the last change."""
    gap = MIN_BATCH_INTERVAL * 0.6
    await paced.run([Upsert(_rule(f"c{i}")) for i in range(3)], gap=gap)
    assert store.puts == 2  # the first alone, the two after it together
    first, second, third = paced.waits
    assert first == pytest.approx(2 * LATENCY)
    # Both are answered by one batch, once no change came for the quiet time.
    assert second - third == pytest.approx(gap)
    assert QUIET_SECONDS + 2 * LATENCY <= third <= QUIET_SECONDS + SLACK


async def test_changes_arriving_within_moments_cost_two_puts(
    paced: Paced, store: FakeOrchestrations
) -> None:
    """One `kubectl apply` of 40 rules: the first alone, the 39 just behind it together."""
    outcomes = await paced.run([Upsert(_rule(f"k{i}")) for i in range(40)], gap=0.005)
    assert all(isinstance(o, Applied) and o.wrote for o in outcomes)
    assert store.puts == 2
    assert len(store.owners()) == 40
    assert max(paced.waits) <= MIN_BATCH_INTERVAL + 2 * LATENCY + SLACK


# -- trickles: changes spread over seconds coalesce like simultaneous ones -------------------


async def test_forty_changes_spread_over_ten_seconds_cost_few_puts(
    paced: Paced, store: FakeOrchestrations
) -> None:
    """40 rules changed one every 250 ms: was 31 PUTs (each change lone); target <= 13."""
    await paced.run([Upsert(_rule(f"t{i}")) for i in range(40)])
    store.gets = store.puts = 0
    await _idle(paced.clock, 5.0)
    paced.waits.clear()
    changes = [Upsert(_rule(f"t{i}", severity="critical")) for i in range(40)]
    outcomes = await paced.run(changes, gap=0.25)
    assert all(isinstance(o, Applied) and o.wrote for o in outcomes)
    assert store.puts <= 13, f"{store.puts} PUTs"
    assert store.gets == store.puts
    assert all(r["actions"]["severity"] == "critical" for r in store.sets[0]["rules"])
    assert max(paced.waits) <= MAX_WAIT_SECONDS + SLACK


async def test_forty_deletes_at_kubectls_pace_cost_few_puts_and_answer_once_gone(
    paced: Paced, store: FakeOrchestrations
) -> None:
    """`kubectl delete` of 40 rules (one object every 150 ms): was 27 PUTs; target <= 5.

    Each caller (the finalizer) is answered only once its rule is out of the path.
    """
    await paced.run([Upsert(_rule(f"d{i}")) for i in range(40)])
    store.sets[0]["rules"].insert(0, {"id": "hand", "label": "by hand", "actions": {}})
    store.puts = 0
    await _idle(paced.clock, 5.0)
    outcomes = await paced.run([Remove(("ns", f"d{i}")) for i in range(40)], gap=0.15)
    assert all(isinstance(o, Applied) and o.wrote and o.result.found for o in outcomes)
    assert store.puts <= 5, f"{store.puts} PUTs"
    assert paced.gone_when_answered == [True] * 40
    assert [r["id"] for r in store.sets[0]["rules"]] == ["hand"]


@pytest.mark.parametrize("gap", [0.05, 0.15, 0.25, 0.6, 1.5])
async def test_a_trickle_costs_at_most_a_put_per_interval_and_no_change_waits_long(
    gap: float, paced: Paced, store: FakeOrchestrations
) -> None:
    """Whatever the pace, a trickle over T seconds costs at most about T PUTs."""
    count = 40
    outcomes = await paced.run([Upsert(_rule(f"p{i}")) for i in range(count)], gap=gap)
    assert all(isinstance(o, Applied) and o.wrote for o in outcomes)
    assert len(store.owners()) == count
    spread = gap * (count - 1)
    assert store.puts <= math.ceil(spread / MIN_BATCH_INTERVAL) + 1, f"{store.puts} PUTs"
    assert max(paced.waits) <= MAX_WAIT_SECONDS + SLACK


async def test_a_full_batch_closes_at_the_interval_however_busy_the_path(
    paced: Paced, store: FakeOrchestrations
) -> None:
    """A fast stream (a full batch every half interval) is written every interval."""
    gap = MIN_BATCH_INTERVAL / (2 * FULL_BATCH)
    count = 10 * FULL_BATCH  # 5 intervals long
    await paced.run([Upsert(_rule(f"f{i}")) for i in range(count)], gap=gap)
    assert len(store.owners()) == count
    assert max(paced.waits) <= MIN_BATCH_INTERVAL + 2 * LATENCY + SLACK
    assert store.puts <= 5 + 2


async def test_reconciles_limited_in_number_are_not_slowed_by_the_gathering(
    clock: SchedulerClock, coordinator: PathCoordinator, store: FakeOrchestrations
) -> None:
    """The operator runs at most 50 reconciles at once; each waits for its change's answer.

    500 rules on one path, created at once: a batch of about 50 every interval, not a gathering
    that waits for arrivals that cannot come while every slot waits.
    """
    client = _client(store)
    slots = asyncio.Semaphore(50)

    async def reconcile(i: int) -> None:
        async with slots:
            await coordinator.submit(client, REF, Upsert(_rule(f"m{i}")))

    await clock.run(asyncio.gather(*(reconcile(i) for i in range(500))))
    assert len(store.owners()) == 500
    batches = math.ceil(499 / 50) + 1
    assert store.puts <= batches + 1
    assert clock.now <= (batches - 1) * (MIN_BATCH_INTERVAL + SLACK) + 2 * LATENCY


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
async def test_idle_under_canonical_reads_costs_no_put(count: int, clock: SchedulerClock) -> None:
    store = CanonicalOrchestrations(clock, LATENCY)
    paced = Paced(clock, PathCoordinator(clock), store)
    changes: list[Change] = [
        Upsert(_rule(f"r{i}", severity="critical", suppress=False, annotate="a"))
        for i in range(count)
    ]
    await paced.run(changes)
    assert store.puts == 1
    for _ in range(3):  # three resyncs
        await _idle(clock, 5.0)
        outcomes = await paced.run(changes)
        assert all(isinstance(o, Applied) and not o.wrote for o in outcomes)
        assert all(cast(Applied, o).result.differences == [] for o in outcomes)
    assert store.puts == 1

"""The benchmarks' arithmetic and their results table: targets, ratios, percentiles, Markdown.

Pure functions and small value types only (no I/O), so the unit tests can check them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

PAGE_SIZE = 100
"""Subscriptions per page of a PagerDuty list call (the client asks for limit=100)."""

BUDGET_PER_SECOND = 16.0
"""PagerDuty's REST budget per credential: 960 requests per minute."""

Op = Literal["<=", ">=", "<", ">", "=="]


@dataclass(frozen=True)
class Target:
    """A bound a measured value must meet, e.g. `Target(">=", 50)`."""

    op: Op
    threshold: float

    def met(self, value: float) -> bool:
        if self.op == "<=":
            return value <= self.threshold
        if self.op == ">=":
            return value >= self.threshold
        if self.op == "<":
            return value < self.threshold
        if self.op == ">":
            return value > self.threshold
        return value == self.threshold

    def __str__(self) -> str:
        return f"{self.op} {format_number(self.threshold)}"


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    benchmark: str
    metric: str
    value: float | None
    unit: str = ""
    target: Target | None = None
    note: str = ""

    @property
    def met(self) -> bool | None:
        """Whether the target is met; None without a target or without a value."""
        if self.target is None or self.value is None:
            return None
        return self.target.met(self.value)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = str(self.target) if self.target else None
        data["met"] = self.met
        return data


@dataclass
class BenchResult:
    """What one benchmark measured: table rows plus free-form details for the JSON file."""

    name: str
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def row(
        self,
        metric: str,
        value: float | None,
        unit: str = "",
        target: Target | None = None,
        note: str = "",
    ) -> Row:
        added = Row(self.name, metric, value, unit, target, note)
        self.rows.append(added)
        return added


def format_number(value: float) -> str:
    """Integers without decimals, small numbers with three significant digits."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def lower_bound_seconds(calls: int, per_second: float = BUDGET_PER_SECOND) -> float:
    """The least time `calls` requests take within the per-credential budget."""
    if per_second <= 0:
        raise ValueError("per_second must be positive")
    return calls / per_second


def ratio(measured: float, bound: float) -> float:
    """`measured / bound`; infinite when the bound is zero but something was measured."""
    if bound <= 0:
        return math.inf if measured > 0 else 1.0
    return measured / bound


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) with linear interpolation between the closest ranks."""
    if not values:
        raise ValueError("no values")
    if not 0 <= p <= 100:
        raise ValueError("p must be within 0..100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def list_call_budget(subscriptions_per_scope: Iterable[int], page_size: int = PAGE_SIZE) -> int:
    """List calls an idle resync may make: one per started page of every filter scope."""
    return sum(max(1, math.ceil(count / page_size)) for count in subscriptions_per_scope)


@dataclass(frozen=True)
class CallCounts:
    """PagerDuty requests by endpoint and status, from the simulator's request log counts."""

    by_endpoint: dict[str, dict[int, int]]

    @classmethod
    def from_log(cls, counts: Iterable[Mapping[str, Any]]) -> CallCounts:
        """From `GET /_simulator/requests` `counts` entries (method, route, status, count)."""
        by_endpoint: dict[str, dict[int, int]] = {}
        for entry in counts:
            endpoint = f"{entry['method']} {entry['route']}"
            statuses = by_endpoint.setdefault(endpoint, {})
            status = int(entry["status"])
            statuses[status] = statuses.get(status, 0) + int(entry["count"])
        return cls(by_endpoint)

    @property
    def total(self) -> int:
        return sum(sum(statuses.values()) for statuses in self.by_endpoint.values())

    def with_status(self, status: int) -> int:
        return sum(statuses.get(status, 0) for statuses in self.by_endpoint.values())

    def count(self, method: str, route: str) -> int:
        """Requests of exactly `method` and `route` (a template), any status."""
        return sum(self.by_endpoint.get(f"{method} {route}", {}).values())

    def matching(self, method: str, route_prefix: str = "") -> int:
        """Requests of `method` whose route starts with `route_prefix`, any status."""
        return sum(
            sum(statuses.values())
            for endpoint, statuses in self.by_endpoint.items()
            if endpoint.split(" ", 1)[0] == method
            and endpoint.split(" ", 1)[1].startswith(route_prefix)
        )

    def writes(self) -> int:
        """Requests that may change something (every method but GET)."""
        return sum(
            sum(statuses.values())
            for endpoint, statuses in self.by_endpoint.items()
            if not endpoint.startswith("GET ")
        )

    def changes(self) -> int:
        """Writes PagerDuty accepted (every method but GET, answered 2xx): what changed."""
        return sum(
            count
            for endpoint, statuses in self.by_endpoint.items()
            if not endpoint.startswith("GET ")
            for status, count in statuses.items()
            if 200 <= status < 300
        )

    def as_json(self) -> dict[str, dict[str, int]]:
        return {
            endpoint: {str(status): count for status, count in sorted(statuses.items())}
            for endpoint, statuses in sorted(self.by_endpoint.items())
        }

    def summary(self) -> str:
        """`POST /webhook_subscriptions 200 x1000, ...` for the table's notes."""
        parts = []
        for endpoint, statuses in sorted(self.by_endpoint.items()):
            for status, count in sorted(statuses.items()):
                parts.append(f"{endpoint} {status} x{count}")
        return ", ".join(parts)


def markdown_table(rows: Sequence[Row]) -> str:
    """The results as a Markdown table: benchmark, metric, value, target, met, note."""
    lines = [
        "| benchmark | metric | value | target | met | note |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        value = "n/a" if row.value is None else format_number(row.value)
        if row.unit and row.value is not None:
            value = f"{value} {row.unit}"
        target = str(row.target) if row.target else ""
        if row.target and row.unit:
            target = f"{target} {row.unit}"
        met = {True: "yes", False: "**no**", None: ""}[row.met]
        note = row.note.replace("|", "\\|")
        lines.append(f"| {row.benchmark} | {row.metric} | {value} | {target} | {met} | {note} |")
    return "\n".join(lines) + "\n"

"""Fault injection: make the next N (or a fraction of) matching requests fail or slow down."""

from __future__ import annotations

import fnmatch
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pagerduty_simulator.errors import invalid_input

_KNOWN_KEYS = {
    "method",
    "path",
    "region",
    "count",
    "probability",
    "status",
    "body",
    "delay",
    "drop",
    "rate_limit",
    "rate_limit_headers",
    "reset_seconds",
    "after_handler",
    "seed",
}


@dataclass
class Fault:
    """One injected fault rule; `remaining` None means it never runs out."""

    id: int
    method: str
    path: str
    region: str | None
    remaining: int | None
    probability: float
    status: int | None
    body: Any
    delay: float
    drop: bool
    rate_limit: bool
    rate_limit_headers: bool
    reset_seconds: int
    after_handler: bool
    applied: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    @property
    def kind(self) -> str:
        """A short label for the request log."""
        if self.drop:
            return "drop"
        if self.rate_limit:
            return "rate_limit"
        if self.status is not None:
            return f"status:{self.status}"
        return f"delay:{self.delay}"

    def matches(self, method: str, path: str, region: str) -> bool:
        if self.region is not None and self.region != region:
            return False
        if self.method != "*" and self.method != method:
            return False
        return fnmatch.fnmatchcase(path, self.path)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "region": self.region,
            "remaining": self.remaining,
            "probability": self.probability,
            "status": self.status,
            "body": self.body,
            "delay": self.delay,
            "drop": self.drop,
            "rate_limit": self.rate_limit,
            "rate_limit_headers": self.rate_limit_headers,
            "reset_seconds": self.reset_seconds,
            "after_handler": self.after_handler,
            "applied": self.applied,
        }


def _number(spec: Mapping[str, Any], key: str, default: float) -> float:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_input(f"{key} must be a number")
    return float(value)


def _flag(spec: Mapping[str, Any], key: str, default: bool) -> bool:
    value = spec.get(key, default)
    if not isinstance(value, bool):
        raise invalid_input(f"{key} must be a boolean")
    return value


class FaultSet:
    """The active fault rules, checked in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._next_id = 1

    def clear(self) -> None:
        self._faults.clear()

    def list(self) -> list[Fault]:
        return list(self._faults)

    def add(self, spec: Mapping[str, Any]) -> Fault:
        """Validate a fault description (see docs/simulator.md) and activate it."""
        unknown = set(spec) - _KNOWN_KEYS
        if unknown:
            raise invalid_input(f"unknown fault fields: {', '.join(sorted(unknown))}")
        method = str(spec.get("method", "*")).upper()
        path = str(spec.get("path", "*"))
        region = spec.get("region")
        if region not in (None, "us", "eu"):
            raise invalid_input("region must be us or eu")
        probability = _number(spec, "probability", 1.0)
        if not 0.0 < probability <= 1.0:
            raise invalid_input("probability must be in (0, 1]")
        count_raw = spec.get("count", None if "probability" in spec else 1)
        if count_raw is not None and (
            isinstance(count_raw, bool) or not isinstance(count_raw, int) or count_raw < 1
        ):
            raise invalid_input("count must be a positive integer or null")
        status = spec.get("status")
        if status is not None and (
            isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599
        ):
            raise invalid_input("status must be an HTTP status code")
        delay = _number(spec, "delay", 0.0)
        if delay < 0:
            raise invalid_input("delay must not be negative")
        drop = _flag(spec, "drop", False)
        rate_limit = _flag(spec, "rate_limit", False)
        if sum([drop, rate_limit, status is not None]) > 1:
            raise invalid_input("choose at most one of status, drop and rate_limit")
        if not (drop or rate_limit or status is not None or delay > 0):
            raise invalid_input("a fault needs status, drop, rate_limit or delay")
        seed = spec.get("seed")
        fault = Fault(
            id=self._next_id,
            method=method,
            path=path,
            region=region,
            remaining=count_raw,
            probability=probability,
            status=status,
            body=spec.get("body"),
            delay=delay,
            drop=drop,
            rate_limit=rate_limit,
            rate_limit_headers=_flag(spec, "rate_limit_headers", True),
            reset_seconds=int(_number(spec, "reset_seconds", 2)),
            after_handler=_flag(spec, "after_handler", False),
            rng=random.Random(seed) if seed is not None else random.Random(),
        )
        self._next_id += 1
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str, region: str) -> Fault | None:
        """The fault that applies to this request, if any (consuming one use of it)."""
        for fault in self._faults:
            if not fault.matches(method, path, region):
                continue
            if fault.probability < 1.0 and fault.rng.random() >= fault.probability:
                continue
            fault.applied += 1
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            return fault
        return None

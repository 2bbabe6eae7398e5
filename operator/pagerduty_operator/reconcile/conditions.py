"""Status conditions shaped like `metav1.Condition`, written as a whole list every time.

`ConditionSet` starts from the conditions an object already has, so a condition whose status
does not change keeps its `lastTransitionTime`; `Ready` is derived by the caller last.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pagerduty_operator.models.reasons import Reason

Status = Literal["True", "False", "Unknown"]
MAX_MESSAGE = 32768


def now_rfc3339() -> str:
    """The current time as Kubernetes writes it (seconds, UTC, `Z`)."""
    return datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ConditionValue:
    """One condition's type, status, reason and message."""

    type: str
    status: Status
    reason: str
    message: str


class ConditionSet:
    """The conditions of one object during one reconcile."""

    def __init__(self, existing: Iterable[Mapping[str, Any]], generation: int) -> None:
        self._previous = {str(c.get("type")): dict(c) for c in existing if c.get("type")}
        self._generation = generation
        self._current: dict[str, ConditionValue] = {}

    def set(self, type_: str, status: Status, reason: str, message: str = "") -> None:
        self._current[type_] = ConditionValue(type_, status, reason, message[:MAX_MESSAGE])

    def true(self, type_: str, reason: str, message: str = "") -> None:
        self.set(type_, "True", reason, message)

    def false(self, type_: str, reason: Reason, message: str) -> None:
        """A failing condition: `reason` is one of the documented enums in models/reasons.py."""
        self.set(type_, "False", reason, message)

    def unknown(self, type_: str, reason: Reason, message: str) -> None:
        self.set(type_, "Unknown", reason, message)

    def keep_previous(self, type_: str) -> None:
        """Carry `type_` over unchanged from the object's status (when this run did not set it).

        A reconcile that fails before it learns anything new about, say, the signing secret or
        the warnings keeps what the last run reported instead of dropping the condition.
        """
        if type_ in self._current:
            return
        kept = self._previous.get(type_)
        if kept and kept.get("status") in ("True", "False", "Unknown"):
            self.set(type_, kept["status"], str(kept.get("reason")), str(kept.get("message", "")))

    def get(self, type_: str) -> ConditionValue | None:
        return self._current.get(type_)

    def is_true(self, type_: str) -> bool:
        value = self._current.get(type_)
        return value is not None and value.status == "True"

    def first_not_true(self, types: Iterable[str]) -> ConditionValue | None:
        """The first of `types` that is set and not True (the reason `Ready` is False)."""
        for type_ in types:
            value = self._current.get(type_)
            if value is not None and value.status != "True":
                return value
        return None

    def as_list(self, order: Iterable[str] = ()) -> list[dict[str, Any]]:
        """Every condition set in this reconcile, in `order` first, with transition times."""
        stamp = now_rfc3339()
        ordered = list(dict.fromkeys([*order, *self._current]))
        result: list[dict[str, Any]] = []
        for type_ in ordered:
            value = self._current.get(type_)
            if value is None:
                continue
            previous = self._previous.get(type_)
            if previous is None or previous.get("status") != value.status:
                last = stamp
            else:
                last = str(previous.get("lastTransitionTime") or stamp)
            result.append(
                {
                    "type": value.type,
                    "status": value.status,
                    "reason": value.reason,
                    "message": value.message,
                    "observedGeneration": self._generation,
                    "lastTransitionTime": last,
                }
            )
        return result

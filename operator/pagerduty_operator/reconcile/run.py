"""The one reconcile run every kind uses, and the one Outcome it returns.

A kind describes itself once in a `KindScaffold`: its status model (from `models/`), the order of
its conditions, the conditions that keep it from being Ready, and the status fields a run carries
over from the last status when it did not learn them again. A reconcile builds a `Run`, fills
`run.status` (the typed model, never a dict) and `run.conditions`, and ends with `run.finish()`.
The handlers write `Outcome.dumped()`, the model dumped by alias, whole: a field left `None`
is written as null, which a merge patch reads as "remove".
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from pagerduty_operator.kube import OwnerRef
from pagerduty_operator.models.common import Condition, KindStatus, StatusModel
from pagerduty_operator.models.identity import API_VERSION
from pagerduty_operator.reconcile.conditions import ConditionSet
from pagerduty_operator.reconcile.context import ReconcileContext

StatusT = TypeVar("StatusT", bound=KindStatus)


@dataclass(frozen=True)
class KindScaffold(Generic[StatusT]):
    """What the generic run needs to know about one kind."""

    kind: str
    status_type: type[StatusT]
    condition_order: tuple[str, ...]
    blocking: tuple[str, ...]
    """The conditions that, when set and not True, make `Ready` take their status and reason."""
    ready_message: str
    carried: tuple[str, ...] = ()
    """Status fields (model names) kept from the last status when this run did not set them."""


@dataclass
class Outcome(Generic[StatusT]):
    """The whole status to write and, for a transient failure, when to try again."""

    status: StatusT
    retry_after: float | None = None

    @property
    def ready(self) -> bool:
        return any(c.type == "Ready" and c.status == "True" for c in self.status.conditions or [])

    def dumped(self) -> dict[str, Any]:
        """The status as the CRD spells it (camelCase), every field included."""
        return self.status.model_dump(mode="json", by_alias=True)


def _previous_field(status_type: type[StatusModel], previous: Mapping[str, Any], name: str) -> Any:
    """One field of the last status, parsed; None when absent or no longer valid."""
    alias = status_type.model_fields[name].alias or name
    if previous.get(alias) is None:
        return None
    try:
        return getattr(status_type.model_validate({alias: previous[alias]}), name)
    except ValidationError:
        return None


class Run(Generic[StatusT]):
    """One reconcile of one object: its inputs, and the status and conditions it has so far."""

    def __init__(
        self, scaffold: KindScaffold[StatusT], ctx: ReconcileContext, body: dict[str, Any]
    ) -> None:
        meta = body["metadata"]
        self.scaffold = scaffold
        self.ctx = ctx
        self.body = body
        self.namespace: str = meta["namespace"]
        self.name: str = meta["name"]
        self.generation = int(meta.get("generation") or 0)
        self.previous: dict[str, Any] = dict(body.get("status") or {})
        self.conditions = ConditionSet(self.previous.get("conditions") or [], self.generation)
        self.status: StatusT = scaffold.status_type()
        self.started = time.monotonic()

    @property
    def key(self) -> tuple[str, str]:
        """(namespace, name): the object's key, and the owner its markers in PagerDuty name."""
        return (self.namespace, self.name)

    @property
    def owner(self) -> OwnerRef:
        meta = self.body["metadata"]
        return OwnerRef(API_VERSION, self.scaffold.kind, meta["name"], meta["uid"])

    def event(self, type_: str, reason: str, message: str) -> None:
        self.ctx.post_event(
            self.body, "Warning" if type_ == "Warning" else "Normal", reason, message
        )

    def finish(self, retry_after: float | None = None) -> Outcome[StatusT]:
        """Derive `Ready`, stamp the status and return it whole."""
        scaffold = self.scaffold
        blocking = self.conditions.first_not_true(scaffold.blocking)
        if blocking is None:
            self.conditions.true("Ready", "Ready", scaffold.ready_message)
        else:
            self.conditions.set("Ready", blocking.status, blocking.reason, blocking.message)
        status = self.status
        for name in scaffold.carried:
            if name not in status.model_fields_set:
                value = _previous_field(scaffold.status_type, self.previous, name)
                setattr(status, name, value)
        status.observed_generation = self.generation
        status.conditions = [
            Condition.model_validate(c) for c in self.conditions.as_list(scaffold.condition_order)
        ]
        status.last_sync_time = datetime.now(UTC).replace(microsecond=0)
        return Outcome(status, retry_after)


class RetryLater(Exception):
    """A finalizer cannot finish yet (e.g. resources still use the object); try after `delay`."""

    def __init__(self, message: str, delay: float) -> None:
        super().__init__(message)
        self.message = message
        self.delay = delay


__all__ = ["KindScaffold", "Outcome", "RetryLater", "Run", "StatusT"]

"""What every reconciler is handed: Kubernetes, PagerDuty clients, caches, an event sink."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pagerduty_operator.config import OperatorConfig
from pagerduty_operator.kube import Kube
from pagerduty_operator.reconcile.clients import ClientRegistry
from pagerduty_operator.reconcile.refresh import Refresher
from pagerduty_operator.reconcile.rule_coordinator import PathCoordinator
from pagerduty_operator.reconcile.rule_snapshots import RuleSnapshots
from pagerduty_operator.reconcile.webhook_listing import SubscriptionListings

EventType = Literal["Normal", "Warning"]


class EventSink(Protocol):
    """Posts a Kubernetes Event about one custom resource (kopf's in the operator)."""

    def __call__(
        self, body: dict[str, Any], type_: EventType, reason: str, message: str
    ) -> None: ...


Kick = Callable[[str, str, str], Awaitable[None]]
"""Ask for a reconcile of (plural, namespace, name) soon, e.g. dependents of an integration."""


def _no_kick_factory() -> Kick:
    async def no_kick(plural: str, namespace: str, name: str) -> None:
        return None

    return no_kick


@dataclass
class ReconcileContext:
    """Shared, long-lived services of one operator process."""

    kube: Kube
    clients: ClientRegistry
    config: OperatorConfig
    post_event: EventSink
    listings: SubscriptionListings = field(default_factory=SubscriptionListings)
    paths: PathCoordinator = field(default_factory=PathCoordinator)
    kick: Kick = field(default_factory=_no_kick_factory)
    refresher: Refresher = field(default_factory=lambda: Refresher(0.0))
    rules: RuleSnapshots = field(default_factory=lambda: RuleSnapshots(Refresher(0.0)))
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _status_written: set[str] = field(default_factory=set)
    _slots: asyncio.Semaphore | None = None

    def __post_init__(self) -> None:
        limit = self.config.max_concurrent_reconciles
        self._slots = asyncio.Semaphore(limit) if limit > 0 else None

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for one of `max_concurrent_reconciles` places, held while the reconcile runs.

        A mass creation then queues here, each waiting object costing little, instead of
        holding requests, answers and models for all of them at once.
        """
        if self._slots is None:
            yield
            return
        async with self._slots:
            yield

    def lock_for(self, uid: str) -> asyncio.Lock:
        """One lock per object: its triggers (create, update, timer, kicks) never overlap."""
        lock = self._locks.get(uid)
        if lock is None:
            lock = self._locks[uid] = asyncio.Lock()
        return lock

    def wrote_status(self, uid: str) -> None:
        """Remember that this process wrote the status of `uid` (bodies seen since may be older)."""
        self._status_written.add(uid)

    def may_be_stale(self, body: dict[str, Any]) -> bool:
        """Whether `body` may miss a status this process wrote.

        Not if it has no status at all and this process never wrote one: a new object, or one a
        crashed process left without status (then it is as fresh as the list that found it).
        """
        uid = body["metadata"]["uid"]
        return bool(body.get("status")) or uid in self._status_written

    def forget(self, uid: str) -> None:
        self._locks.pop(uid, None)
        self._status_written.discard(uid)

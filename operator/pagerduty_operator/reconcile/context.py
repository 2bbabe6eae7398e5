"""What every reconciler is handed: Kubernetes, PagerDuty clients, caches, an event sink."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pagerduty_operator.kube import Kube
from pagerduty_operator.reconcile.clients import ClientRegistry
from pagerduty_operator.reconcile.rule_coordinator import PathCoordinator
from pagerduty_operator.reconcile.webhook_listing import SubscriptionListings
from pagerduty_operator.runtime.config import OperatorConfig

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
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def lock_for(self, uid: str) -> asyncio.Lock:
        """One lock per object: its triggers (create, update, timer, kicks) never overlap."""
        lock = self._locks.get(uid)
        if lock is None:
            lock = self._locks[uid] = asyncio.Lock()
        return lock

    def forget(self, uid: str) -> None:
        self._locks.pop(uid, None)

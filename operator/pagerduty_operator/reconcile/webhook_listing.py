"""Shared listings of webhook subscriptions, one per credential and filter scope.

Every webhook on the same integration and scope reads the same listing, so an idle resync costs
one list call per 100 subscriptions per scope instead of one GET per object; concurrent callers
share one request (single flight).

A ledger of this process's own writes (creates, updates, deletes) is replayed onto every listing
that completes after them, so a listing that started before a write still shows it. A reconcile
about to create therefore needs no listing newer than itself to see what this process created:
it asks for one started after the moment the webhook was requested (`fresh_since`) and after the
scope's last create whose outcome is unknown (`unsettled_since`), and reconciles that started at
different times share one listing.

With a `Refresher`, every listing a webhook reads is fetched again one resync interval after the
last one started, and the webhooks whose subscription changed or vanished in between are kicked
(see :mod:`.refresh`): drift is corrected within one interval at one listing per scope per
interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pagerduty_operator.pagerduty import PagerDutyClient
from pagerduty_operator.pagerduty.resources.webhooks import WebhookFilter, WebhookSubscription
from pagerduty_operator.pagerduty.transport import SENDING
from pagerduty_operator.reconcile.refresh import Dependent, Refresher

ListingKey = tuple[str, str, str, str]
Credential = tuple[str, str]

CLOCK_MARGIN = 2.0
"""Seconds added to an object's creationTimestamp (whole seconds, the apiserver's clock)."""


@dataclass
class _Listing:
    started_at: float
    subscriptions: dict[str, WebhookSubscription] = field(default_factory=dict)


@dataclass(frozen=True)
class _Write:
    """One write of this process: `subscription` upserted in `key`, or (None) deleted anywhere."""

    at: float
    credential: Credential
    subscription_id: str
    key: ListingKey | None = None
    subscription: WebhookSubscription | None = None


def listing_key(client: PagerDutyClient, scope: WebhookFilter) -> ListingKey:
    return (client.endpoints.rest_url, client.credential.fingerprint, scope.kind, scope.id or "")


def requested_since(body: dict[str, Any], started: float) -> float:
    """The monotonic time after which a listing shows what existed when the webhook was asked for.

    For an object never reconciled (no status yet) that is its creation: the listing must show
    every subscription made before it (to adopt rather than duplicate), and this process's own
    creates are in the ledger. The creationTimestamp has whole seconds and another host's clock,
    hence `CLOCK_MARGIN`; never later than `started`, the reconcile's own start.
    """
    stamp = body.get("metadata", {}).get("creationTimestamp")
    if body.get("status") or not isinstance(stamp, str):
        return started
    try:
        created = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return started
    return min(started, time.monotonic() - (time.time() - created - CLOCK_MARGIN))


def differing(
    before: dict[str, WebhookSubscription], after: dict[str, WebhookSubscription]
) -> set[str]:
    """Ids of the subscriptions added, removed or changed from `before` to `after`.

    The signing secret is left out: only a create's answer shows it, never a listing.
    """
    return {i for i in before.keys() | after.keys() if _seen(before.get(i)) != _seen(after.get(i))}


def _seen(subscription: WebhookSubscription | None) -> dict[str, Any] | None:
    if subscription is None:
        return None
    return subscription.model_dump(exclude={"delivery_method": {"secret"}})


class SubscriptionListings:
    """Cached, single-flight listings of subscriptions by (credential, filter scope)."""

    def __init__(self, max_age: float = 300.0, refresher: Refresher | None = None) -> None:
        self.max_age = max_age
        self.refresher = refresher
        self._listings: dict[ListingKey, _Listing] = {}
        self._in_flight: dict[ListingKey, tuple[float, asyncio.Task[_Listing], list[float]]] = {}
        self._ledger: list[_Write] = []
        self._running: list[float] = []  # start of every fetch not yet complete
        self._unsettled: dict[ListingKey, float] = {}
        self.fetches = 0

    async def get(
        self,
        client: PagerDutyClient,
        scope: WebhookFilter,
        *,
        fresh_since: float | None = None,
        watcher: Dependent | None = None,
        item: str | None = None,
    ) -> dict[str, WebhookSubscription]:
        """Subscriptions of `scope` by id.

        From a listing started after `fresh_since` if given, else one at most `max_age` old.
        `watcher` (a webhook, reading its subscription `item`) is kicked when a later listing
        shows that subscription changed or gone.
        """
        key = listing_key(client, scope)
        now = time.monotonic()
        if watcher is not None and self.refresher is not None:

            async def refresh() -> None:
                await self.get(client, scope, fresh_since=time.monotonic())

            self.refresher.watch(key, watcher, refresh, item)
        oldest = fresh_since if fresh_since is not None else now - self.max_age
        while True:
            listing = self._listings.get(key)
            if listing is not None and listing.started_at >= oldest:
                return listing.subscriptions
            in_flight = self._in_flight.get(key)
            if in_flight is None:
                break
            if in_flight[0] >= oldest or not in_flight[2]:
                # started after `oldest`, or not sent yet (it waits for the rate limiter): it
                # will show everything made before now
                return (await asyncio.shield(in_flight[1])).subscriptions
            # One listing of a scope at a time: callers that need a newer one than the running
            # one wait for it and then share the next (webhooks created one after another, as
            # in a mass creation, cost a listing per listing time, not one each).
            with contextlib.suppress(Exception):
                await asyncio.shield(in_flight[1])
        now = time.monotonic()
        sent: list[float] = []
        task = asyncio.create_task(self._fetch(client, scope, key, now, sent))
        self._in_flight[key] = (now, task, sent)
        if self.refresher is not None:
            self.refresher.fetched(key, now)
        return (await asyncio.shield(task)).subscriptions

    def unsettled_since(self, client: PagerDutyClient, scope: WebhookFilter) -> float:
        """When a create in `scope` last failed (it may exist all the same); -inf if never."""
        return self._unsettled.get(listing_key(client, scope), float("-inf"))

    def unsettled(self, client: PagerDutyClient, scope: WebhookFilter) -> None:
        """Record a create whose outcome is unknown: only a later listing can tell."""
        self._unsettled[listing_key(client, scope)] = time.monotonic()

    async def _fetch(
        self,
        client: PagerDutyClient,
        scope: WebhookFilter,
        key: ListingKey,
        started_at: float,
        sent: list[float],
    ) -> _Listing:
        self._running.append(started_at)
        try:
            self.fetches += 1
            SENDING.set(sent)  # this task's own context: when its first page left the limiter
            try:
                items = await client.webhooks.list(scope.kind, scope.id)
            except Exception:
                # Whoever reads this scope next lists it again and meets the failure itself.
                current = self._listings.get(key)
                if current is not None and current.started_at <= started_at:
                    del self._listings[key]
                raise
            # It shows what existed when its first page was sent (a rate-limited one waits).
            shown_from = sent[0] if sent else started_at
            listing = _Listing(shown_from, {s.id: s for s in items if s.filter == scope})
            self._replay(key, listing)
            current = self._listings.get(key)
            if current is None or current.started_at <= started_at:
                self._listings[key] = listing
                if current is not None and self.refresher is not None:
                    changed = differing(current.subscriptions, listing.subscriptions)
                    if changed:
                        await self.refresher.changed(key, changed)
            return listing
        finally:
            if self._in_flight.get(key, (None, None))[0] == started_at:
                self._in_flight.pop(key, None)
            self._running.remove(started_at)
            self._prune()

    def _replay(self, key: ListingKey, listing: _Listing) -> None:
        """Apply this process's writes made since `listing` started, in order."""
        for write in self._ledger:
            if write.at < listing.started_at or write.credential != key[:2]:
                continue
            if write.subscription is None:
                listing.subscriptions.pop(write.subscription_id, None)
            elif write.key == key:
                listing.subscriptions[write.subscription_id] = write.subscription

    def _prune(self) -> None:
        """Forget writes every listing still to complete has started after."""
        if not self._running:
            self._ledger.clear()
        else:
            oldest = min(self._running)
            self._ledger = [w for w in self._ledger if w.at >= oldest]

    def _record(self, write: _Write) -> None:
        if self._running:  # only a listing still running can miss it
            self._ledger.append(write)

    def upsert(self, client: PagerDutyClient, subscription: WebhookSubscription) -> None:
        """Record a subscription the operator just created or changed."""
        key = listing_key(client, subscription.filter)
        self._record(_Write(time.monotonic(), key[:2], subscription.id, key, subscription))
        listing = self._listings.get(key)
        if listing is not None:
            listing.subscriptions[subscription.id] = subscription

    def remove(self, client: PagerDutyClient, subscription_id: str) -> None:
        """Forget a subscription the operator deleted (or found gone), in every scope."""
        prefix = listing_key(client, WebhookFilter.account())[:2]
        self._record(_Write(time.monotonic(), prefix, subscription_id))
        for key, listing in self._listings.items():
            if key[:2] == prefix:
                listing.subscriptions.pop(subscription_id, None)

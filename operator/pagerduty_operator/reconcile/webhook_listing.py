"""Shared listings of webhook subscriptions, one per credential and filter scope.

Every webhook on the same integration and scope reads the same listing, so an idle resync costs
one list call per 100 subscriptions per scope instead of one GET per object. A reconcile that is
about to create asks for a listing started after it began (`fresh_since`), so it never misses a
subscription it created itself; concurrent callers share one request (single flight).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from pagerduty_operator.pagerduty import PagerDutyClient
from pagerduty_operator.pagerduty.resources.webhooks import WebhookFilter, WebhookSubscription

ListingKey = tuple[str, str, str, str]


@dataclass
class _Listing:
    started_at: float
    subscriptions: dict[str, WebhookSubscription] = field(default_factory=dict)


def listing_key(client: PagerDutyClient, scope: WebhookFilter) -> ListingKey:
    return (client.endpoints.rest_url, client.credential.fingerprint, scope.kind, scope.id or "")


class SubscriptionListings:
    """Cached, single-flight listings of subscriptions by (credential, filter scope)."""

    def __init__(self, max_age: float = 300.0) -> None:
        self.max_age = max_age
        self._listings: dict[ListingKey, _Listing] = {}
        self._in_flight: dict[ListingKey, tuple[float, asyncio.Task[_Listing]]] = {}
        self.fetches = 0

    async def get(
        self,
        client: PagerDutyClient,
        scope: WebhookFilter,
        *,
        fresh_since: float | None = None,
    ) -> dict[str, WebhookSubscription]:
        """Subscriptions of `scope` by id.

        From a listing started after `fresh_since` if given, else one at most `max_age` old.
        """
        key = listing_key(client, scope)
        now = time.monotonic()
        oldest = fresh_since if fresh_since is not None else now - self.max_age
        listing = self._listings.get(key)
        if listing is not None and listing.started_at >= oldest:
            return listing.subscriptions
        in_flight = self._in_flight.get(key)
        if in_flight is not None and in_flight[0] >= oldest:
            return (await asyncio.shield(in_flight[1])).subscriptions
        task = asyncio.create_task(self._fetch(client, scope, key, now))
        self._in_flight[key] = (now, task)
        return (await asyncio.shield(task)).subscriptions

    async def _fetch(
        self, client: PagerDutyClient, scope: WebhookFilter, key: ListingKey, started_at: float
    ) -> _Listing:
        try:
            self.fetches += 1
            items = await client.webhooks.list(scope.kind, scope.id)
            listing = _Listing(started_at, {s.id: s for s in items if s.filter == scope})
            current = self._listings.get(key)
            if current is None or current.started_at <= started_at:
                self._listings[key] = listing
            return listing
        finally:
            if self._in_flight.get(key, (None, None))[0] == started_at:
                self._in_flight.pop(key, None)

    def upsert(self, client: PagerDutyClient, subscription: WebhookSubscription) -> None:
        """Record a subscription the operator just created or changed."""
        for key in self._keys(client, subscription.filter):
            self._listings[key].subscriptions[subscription.id] = subscription

    def remove(self, client: PagerDutyClient, subscription_id: str) -> None:
        """Forget a subscription the operator deleted (or found gone), in every scope."""
        prefix = listing_key(client, WebhookFilter.account())[:2]
        for key, listing in self._listings.items():
            if key[:2] == prefix:
                listing.subscriptions.pop(subscription_id, None)

    def _keys(self, client: PagerDutyClient, scope: WebhookFilter) -> list[ListingKey]:
        key = listing_key(client, scope)
        return [key] if key in self._listings else []

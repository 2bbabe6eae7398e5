"""Shared listings of webhook subscriptions: one unfiltered listing per PagerDuty account.

Every credential known to belong to the same account (see :mod:`.account_groups`: their own
listings shared a subscription id) reads the same listing, and every webhook reads its filter
scope out of it client-side: an idle resync costs one list call per 100 subscriptions of the
account per interval, whatever the number of credentials and scopes; concurrent callers share
one request (single flight). A credential not (yet) known to share an account lists for itself.

Which credential of an account makes the listing rotates with every listing. A refused one
(401/403) is dropped from its group, its webhooks are kicked (they list for themselves and meet
the refusal), and the listing is made again with the next member, so one revoked key never
blames the others. Once per interval (the refresh) every other member makes one `limit=1` read
of its own, so a key or scope revoked from a credential whose listings are served by another
shows up through that credential's own failing call within the interval.

A ledger of this process's own writes (creates, updates, deletes) is replayed onto every listing
that completes after them, so a listing that started before a write still shows it. A reconcile
about to create therefore needs no listing newer than itself to see what this process created:
it asks for one started after the moment the webhook was requested (`fresh_since`) and after the
scope's last create whose outcome is unknown (`unsettled_since`), and reconciles that started at
different times share one listing. A listing serves only the credentials whose writes it
replayed (its members when it completed).

With a `Refresher`, every listing a webhook reads is fetched again one resync interval after the
last one started, and the webhooks whose subscription changed or vanished in between are kicked
(see :mod:`.refresh`): drift is corrected within one interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pagerduty_operator.pagerduty import PagerDutyClient
from pagerduty_operator.pagerduty.errors import PagerDutyError
from pagerduty_operator.pagerduty.resources.webhooks import WebhookFilter, WebhookSubscription
from pagerduty_operator.pagerduty.transport import SENDING
from pagerduty_operator.reconcile.account_groups import AccountGroups
from pagerduty_operator.reconcile.refresh import Dependent, Refresher

ListingKey = tuple[str, str, str, str]
SourceKey = tuple[str, str]
"""(REST URL, account group name): what one unfiltered listing covers."""
Credential = tuple[str, str]

CLOCK_MARGIN = 2.0
"""Seconds added to an object's creationTimestamp (whole seconds, the apiserver's clock)."""
REFUSED = (401, 403)
REFUSED_BY = "pdo_refused_credential"
"""Attribute naming the fingerprint a refused listing was made with (never the secret)."""


@dataclass
class _Listing:
    started_at: float
    members: frozenset[str] = frozenset()
    """The credentials it serves: those of its account whose writes it replayed."""
    lister: str = ""
    subscriptions: dict[str, WebhookSubscription] = field(default_factory=dict)
    scopes: dict[WebhookFilter, dict[str, WebhookSubscription]] = field(default_factory=dict)

    def scope(self, scope: WebhookFilter) -> dict[str, WebhookSubscription]:
        return self.scopes.setdefault(scope, {})

    def put(self, subscription: WebhookSubscription) -> None:
        self.drop(subscription.id)
        self.subscriptions[subscription.id] = subscription
        self.scope(subscription.filter)[subscription.id] = subscription

    def drop(self, subscription_id: str) -> None:
        old = self.subscriptions.pop(subscription_id, None)
        if old is not None:
            self.scopes.get(old.filter, {}).pop(subscription_id, None)


@dataclass(frozen=True)
class _Write:
    """One write of this process: `subscription` upserted, or (None) deleted."""

    at: float
    credential: Credential
    subscription_id: str
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


def _refused(error: BaseException) -> bool:
    return isinstance(error, PagerDutyError) and error.status in REFUSED


class SubscriptionListings:
    """Cached, single-flight, unfiltered listings by account, read by filter scope."""

    def __init__(self, max_age: float = 300.0, refresher: Refresher | None = None) -> None:
        self.max_age = max_age
        self.refresher = refresher
        self.groups = AccountGroups()
        self._listings: dict[SourceKey, _Listing] = {}
        self._in_flight: dict[SourceKey, tuple[float, asyncio.Task[_Listing], list[float]]] = {}
        self._ledger: list[_Write] = []
        self._running: list[float] = []  # start of every fetch not yet complete
        self._unsettled: dict[ListingKey, float] = {}
        self._clients: dict[Credential, tuple[PagerDutyClient, float]] = {}
        self._watchers: dict[Credential, set[Dependent]] = {}
        self.fetches = 0
        self.checks = 0

    def _source(self, client: PagerDutyClient) -> SourceKey:
        return (client.endpoints.rest_url, self.groups.account(client.credential.fingerprint))

    async def get(
        self,
        client: PagerDutyClient,
        scope: WebhookFilter,
        *,
        fresh_since: float | None = None,
        watcher: Dependent | None = None,
        item: str | None = None,
    ) -> dict[str, WebhookSubscription]:
        """Subscriptions of `scope` by id, as `client`'s credential may see them.

        From a listing started after `fresh_since` if given, else one at most `max_age` old.
        `watcher` (a webhook, reading its subscription `item`) is kicked when a later listing
        shows that subscription changed or gone.
        """
        cred = (client.endpoints.rest_url, client.credential.fingerprint)
        now = time.monotonic()
        self._clients[cred] = (client, now)
        source = self._source(client)
        if watcher is not None:
            self._watchers.setdefault(cred, set()).add(watcher)
            if self.refresher is not None:
                self.refresher.watch(source, watcher, self._refresh_for(client, source), item)
        oldest = fresh_since if fresh_since is not None else now - self.max_age
        while True:
            source = self._source(client)
            listing = self._listings.get(source)
            if listing is not None and listing.started_at >= oldest and cred[1] in listing.members:
                return listing.scope(scope)
            in_flight = self._in_flight.get(source)
            if in_flight is None:
                now = time.monotonic()
                sent: list[float] = []
                task = asyncio.create_task(self._fetch(client, source, now, sent))
                self._in_flight[source] = in_flight = (now, task, sent)
                if self.refresher is not None:
                    self.refresher.fetched(source, now)
            if in_flight[0] >= oldest or not in_flight[2]:
                # started after `oldest`, or not sent yet (it waits for the rate limiter): it
                # will show everything made before now
                try:
                    done = await asyncio.shield(in_flight[1])
                except Exception as error:
                    if getattr(error, REFUSED_BY, cred[1]) != cred[1]:
                        continue  # another credential was refused (and left): list again
                    raise
                if cred[1] in done.members:
                    return done.scope(scope)
                continue  # regrouped meanwhile: read the listing of its group now
            # One listing at a time: callers that need a newer one than the running one wait
            # for it and then share the next (webhooks created one after another, as in a mass
            # creation, cost a listing per listing time, not one each).
            with contextlib.suppress(Exception):
                await asyncio.shield(in_flight[1])

    def _refresh_for(self, client: PagerDutyClient, key: SourceKey) -> Any:
        async def refresh() -> None:
            if self._source(client) != key:
                return  # regrouped: the key its watchers read now is refreshed instead
            await self.get(client, WebhookFilter.account(), fresh_since=time.monotonic())
            await self._check_members(key)

        return refresh

    async def _check_members(self, key: SourceKey) -> None:
        """One cheap read per member whose listing another made: its own refusal shows."""
        listing = self._listings.get(key)
        lister = listing.lister if listing is not None else None
        for fingerprint in sorted(self.groups.members(key[1])):
            if fingerprint == lister:
                continue
            entry = self._usable((key[0], fingerprint))
            if entry is None:
                continue
            self.checks += 1
            try:
                await entry.webhooks.check_read()
            except PagerDutyError as error:
                if error.status in REFUSED:
                    await self._drop((key[0], fingerprint))

    def _usable(self, cred: Credential) -> PagerDutyClient | None:
        entry = self._clients.get(cred)
        if entry is None or time.monotonic() - entry[1] > 3 * self.max_age:
            return None  # nothing uses this credential any more
        return entry[0]

    async def _drop(self, cred: Credential) -> None:
        """`cred` was refused: it shares nothing now; its webhooks list for themselves."""
        self.groups.forget(cred[1])
        if self.refresher is not None and self.refresher.kick is not None:
            for dependent in sorted(self._watchers.get(cred, ())):
                await self.refresher.kick(*dependent)

    def unsettled_since(self, client: PagerDutyClient, scope: WebhookFilter) -> float:
        """When a create in `scope` last failed (it may exist all the same); -inf if never."""
        return self._unsettled.get(listing_key(client, scope), float("-inf"))

    def unsettled(self, client: PagerDutyClient, scope: WebhookFilter) -> None:
        """Record a create whose outcome is unknown: only a later listing can tell."""
        self._unsettled[listing_key(client, scope)] = time.monotonic()

    def _listers(self, client: PagerDutyClient) -> list[PagerDutyClient]:
        """Who tries the listing, in turn: the group's members in rotation, still in use."""
        url, own = client.endpoints.rest_url, client.credential.fingerprint
        listers = []
        for fingerprint in self.groups.listers(own):
            lister = client if fingerprint == own else self._usable((url, fingerprint))
            if lister is not None:
                listers.append(lister)
        return listers

    async def _fetch(
        self, client: PagerDutyClient, source: SourceKey, started_at: float, sent: list[float]
    ) -> _Listing:
        self._running.append(started_at)
        try:
            listers = self._listers(client)
            for index, lister in enumerate(listers):
                self.fetches += 1
                SENDING.set(sent)  # this task's own context: when its first page left the limiter
                try:
                    items = await lister.webhooks.list()
                except Exception as error:
                    cred = (lister.endpoints.rest_url, lister.credential.fingerprint)
                    if _refused(error):
                        setattr(error, REFUSED_BY, cred[1])
                        await self._drop(cred)
                        if index + 1 < len(listers):
                            continue  # another member lists; the refused one meets its own
                    # Whoever reads this account next lists it again and meets the failure.
                    current = self._listings.get(source)
                    if current is not None and current.started_at <= started_at:
                        del self._listings[source]
                    raise
                lister_fp = lister.credential.fingerprint
                self.groups.observe(lister_fp, (s.id for s in items))
                break
            # It shows what existed when its first page was sent (a rate-limited one waits).
            shown_from = sent[0] if sent else started_at
            listing = _Listing(shown_from, self.groups.members(lister_fp), lister_fp)
            for subscription in items:
                listing.put(subscription)
            self._replay(source[0], listing)
            key = (source[0], self.groups.account(lister_fp))
            current = self._listings.get(key)
            if current is None or current.started_at <= started_at:
                self._listings[key] = listing
                if key != source:
                    self._listings.pop(source, None)
                if current is not None and self.refresher is not None:
                    changed = differing(current.subscriptions, listing.subscriptions)
                    if changed:
                        await self.refresher.changed(key, changed)
            return listing
        finally:
            if self._in_flight.get(source, (None, None))[0] == started_at:
                self._in_flight.pop(source, None)
            self._running.remove(started_at)
            self._prune()

    def _replay(self, url: str, listing: _Listing) -> None:
        """Apply its members' writes made since `listing` started, in order."""
        for write in self._ledger:
            if (
                write.at < listing.started_at
                or write.credential[0] != url
                or write.credential[1] not in listing.members
            ):
                continue
            if write.subscription is None:
                listing.drop(write.subscription_id)
            else:
                listing.put(write.subscription)

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

    def _holding(self, cred: Credential) -> list[_Listing]:
        return [
            listing
            for key, listing in self._listings.items()
            if key[0] == cred[0] and cred[1] in listing.members
        ]

    def upsert(self, client: PagerDutyClient, subscription: WebhookSubscription) -> None:
        """Record a subscription the operator just created or changed."""
        cred = (client.endpoints.rest_url, client.credential.fingerprint)
        self._record(_Write(time.monotonic(), cred, subscription.id, subscription))
        for listing in self._holding(cred):
            listing.put(subscription)

    def remove(self, client: PagerDutyClient, subscription_id: str) -> None:
        """Forget a subscription the operator deleted (or found gone)."""
        cred = (client.endpoints.rest_url, client.credential.fingerprint)
        self._record(_Write(time.monotonic(), cred, subscription_id))
        for listing in self._holding(cred):
            listing.drop(subscription_id)

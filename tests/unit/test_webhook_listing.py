"""Shared subscription listings: the ledger of this process's writes, and when to list again."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from pagerduty_operator.pagerduty import PagerDutyClient
from pagerduty_operator.pagerduty.resources.webhooks import (
    DeliveryMethod,
    WebhookFilter,
    WebhookSubscription,
)
from pagerduty_operator.pagerduty.transport import SENDING
from pagerduty_operator.reconcile.webhook_listing import (
    CLOCK_MARGIN,
    SubscriptionListings,
    requested_since,
)

SERVICE = WebhookFilter.service("PSVC001")


def _sub(sub_id: str, description: str = "", scope: WebhookFilter = SERVICE) -> WebhookSubscription:
    return WebhookSubscription(
        id=sub_id,
        description=description,
        events=["incident.triggered"],
        filter=scope,
        delivery_method=DeliveryMethod(url=f"https://example.invalid/{sub_id}"),
    )


class GatedWebhooks:
    """A subscription store whose list calls answer only when the test opens the gate."""

    def __init__(self, *subscriptions: WebhookSubscription) -> None:
        self.stored = {s.id: s for s in subscriptions}
        self.lists = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.limiter = asyncio.Event()
        self.limiter.set()

    async def list(
        self, kind: str | None = None, scope_id: str | None = None
    ) -> list[WebhookSubscription]:
        self.lists += 1
        await self.limiter.wait()  # a rate limiter holding the request back
        sending = SENDING.get()
        if sending is not None:  # as the transport does when a request leaves the limiter
            sending.append(time.monotonic())
        snapshot = list(self.stored.values())  # what PagerDuty had when the call arrived
        await self.gate.wait()
        return snapshot


def _client(webhooks: GatedWebhooks, fingerprint: str = "fp-1") -> PagerDutyClient:
    fake = SimpleNamespace(
        webhooks=webhooks,
        endpoints=SimpleNamespace(rest_url="http://pagerduty.invalid"),
        credential=SimpleNamespace(fingerprint=fingerprint),
    )
    return cast(PagerDutyClient, fake)


async def _start_listing(
    listings: SubscriptionListings, client: PagerDutyClient, since: float
) -> asyncio.Task[dict[str, WebhookSubscription]]:
    task = asyncio.ensure_future(listings.get(client, SERVICE, fresh_since=since))
    for _ in range(5):
        await asyncio.sleep(0)
    return task


async def test_a_create_during_a_listing_is_in_it() -> None:
    store = GatedWebhooks(_sub("P1"))
    client = _client(store)
    listings = SubscriptionListings()
    requested = time.monotonic()
    store.gate.clear()
    running = await _start_listing(listings, client, requested)
    created = _sub("P2")
    store.stored["P2"] = created
    listings.upsert(client, created)  # the create returned while the listing was running
    store.gate.set()
    assert set(await running) == {"P1", "P2"}
    # Another webhook requested as early, reconciled later, shares it, and sees that create.
    later = await listings.get(client, SERVICE, fresh_since=requested)
    assert set(later) == {"P1", "P2"}
    assert store.lists == 1


async def test_a_delete_or_update_during_a_listing_is_not_undone_by_it() -> None:
    store = GatedWebhooks(_sub("P1", "old"), _sub("P2"))
    client = _client(store)
    listings = SubscriptionListings()
    store.gate.clear()
    running = await _start_listing(listings, client, time.monotonic())
    listings.remove(client, "P2")
    listings.upsert(client, _sub("P1", "new"))
    store.gate.set()
    result = await running
    assert set(result) == {"P1"}
    assert result["P1"].description == "new"


async def test_writes_of_another_credential_or_scope_are_not_replayed() -> None:
    store = GatedWebhooks(_sub("P1"))
    client = _client(store)
    other = _client(GatedWebhooks(), fingerprint="fp-2")
    listings = SubscriptionListings()
    store.gate.clear()
    running = await _start_listing(listings, client, time.monotonic())
    listings.upsert(other, _sub("PX"))
    listings.remove(other, "P1")
    listings.upsert(client, _sub("PT", scope=WebhookFilter.team("PTEAM1")))
    store.gate.set()
    assert set(await running) == {"P1"}


async def test_an_older_listing_still_running_gets_the_writes_too() -> None:
    """A newer listing of the same scope must not make the ledger forget what an older needs."""
    store = GatedWebhooks(_sub("P1"))
    client = _client(store)
    listings = SubscriptionListings()
    store.gate.clear()
    first = await _start_listing(listings, client, time.monotonic())
    for sub_id in ("P2", "P3"):
        store.stored[sub_id] = _sub(sub_id)  # created in PagerDuty, then recorded
        listings.upsert(client, store.stored[sub_id])
        if sub_id == "P2":
            second = await _start_listing(listings, client, time.monotonic())
    store.gate.set()
    assert set(await first) == {"P1", "P2", "P3"}
    assert set(await second) == {"P1", "P2", "P3"}
    assert store.lists == 2
    assert not listings._ledger  # nothing is kept once no listing is running


async def test_a_failed_create_needs_a_listing_started_after_it() -> None:
    store = GatedWebhooks(_sub("P1"))
    client = _client(store)
    listings = SubscriptionListings()
    before = time.monotonic()
    await listings.get(client, SERVICE, fresh_since=before)
    assert listings.unsettled_since(client, SERVICE) == float("-inf")
    listings.unsettled(client, SERVICE)  # e.g. the create timed out; PagerDuty made it anyway
    store.stored["P9"] = _sub("P9")
    since = max(before, listings.unsettled_since(client, SERVICE))
    assert set(await listings.get(client, SERVICE, fresh_since=since)) == {"P1", "P9"}
    assert store.lists == 2


def _body(created: datetime, status: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "metadata": {"creationTimestamp": created.strftime("%Y-%m-%dT%H:%M:%SZ")}
    }
    if status is not None:
        body["status"] = status
    return body


def test_a_new_object_needs_a_listing_from_its_creation_on() -> None:
    created = datetime.now(UTC) - timedelta(seconds=30)
    started = time.monotonic()
    since = requested_since(_body(created), started)
    whole_second = created.replace(microsecond=0)
    expected = started - (time.time() - whole_second.timestamp() - CLOCK_MARGIN)
    assert abs(since - expected) < 1.0
    assert since < started


def test_a_reconciled_object_or_a_recent_one_needs_a_listing_from_its_reconcile_on() -> None:
    started = time.monotonic()
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    assert requested_since(_body(long_ago, {"conditions": []}), started) == started
    assert requested_since(_body(datetime.now(UTC)), started) == started
    assert requested_since({"metadata": {}}, started) == started


class RecordedKicks:
    def __init__(self) -> None:
        self.kicked: list[tuple[str, str, str]] = []

    async def __call__(self, plural: str, namespace: str, name: str) -> None:
        self.kicked.append((plural, namespace, name))


async def test_a_listing_that_shows_a_subscription_changed_or_gone_kicks_its_webhook() -> None:
    from pagerduty_operator.reconcile.refresh import Refresher

    store = GatedWebhooks(_sub("P1"), _sub("P2"))
    client = _client(store)
    kicks = RecordedKicks()
    refresher = Refresher(1000.0, kicks)  # no timed refresh during the test
    listings = SubscriptionListings(max_age=1000.0, refresher=refresher)
    first, second = ("pagerdutywebhooks", "ns", "first"), ("pagerdutywebhooks", "ns", "second")
    await listings.get(client, SERVICE, watcher=first, item="P1")
    await listings.get(client, SERVICE, watcher=second, item="P2")
    assert store.lists == 1, "both read one listing"

    updated = _sub("P2", "changed by this process")
    store.stored["P2"] = updated
    listings.upsert(client, updated)
    await listings.get(client, SERVICE, fresh_since=time.monotonic())
    assert kicks.kicked == [], "the operator's own write is no drift"

    del store.stored["P1"]  # deleted in PagerDuty
    await listings.get(client, SERVICE, fresh_since=time.monotonic())
    assert kicks.kicked == [first]

    store.stored["P2"] = _sub("P2", "edited by hand")
    await listings.get(client, SERVICE, fresh_since=time.monotonic())
    assert kicks.kicked == [first, second]
    await refresher.close()


async def test_callers_needing_a_newer_listing_than_the_running_one_share_the_next() -> None:
    store = GatedWebhooks(_sub("P1"))
    client = _client(store)
    listings = SubscriptionListings()
    store.gate.clear()
    running = await _start_listing(listings, client, time.monotonic())
    later = [await _start_listing(listings, client, time.monotonic()) for _ in range(3)]
    assert store.lists == 1, "no second listing of the scope while one runs"
    store.stored["P2"] = _sub("P2")  # made by someone else after the first listing started
    store.gate.set()
    assert set(await running) == {"P1"}
    for task in later:
        assert set(await task) == {"P1", "P2"}
    assert store.lists == 2, "the three later callers shared one listing"


async def test_a_listing_not_yet_sent_serves_callers_that_arrive_while_it_waits() -> None:
    """A listing waiting for the rate limiter serves whoever arrives before it is sent.

    It counts as started when it was sent: it shows everything made until then.
    """
    store = GatedWebhooks(_sub("P1"))
    client = _client(store)
    listings = SubscriptionListings()
    store.limiter.clear()
    waiting = await _start_listing(listings, client, time.monotonic())
    store.stored["P2"] = _sub("P2")  # made by someone else while the listing waits
    later = await _start_listing(listings, client, time.monotonic())
    store.limiter.set()
    assert set(await waiting) == set(await later) == {"P1", "P2"}
    assert store.lists == 1
    sent_after = time.monotonic()
    await listings.get(client, SERVICE, fresh_since=sent_after)
    assert store.lists == 2, "a listing sent before `fresh_since` is not fresh enough"

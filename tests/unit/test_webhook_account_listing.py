"""One unfiltered listing per PagerDuty account, shared by its credentials (fakes only)."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import cast

import pytest

from pagerduty_operator.pagerduty import PagerDutyClient
from pagerduty_operator.pagerduty.errors import AuthenticationError
from pagerduty_operator.pagerduty.resources.webhooks import (
    DeliveryMethod,
    WebhookFilter,
    WebhookSubscription,
)
from pagerduty_operator.reconcile.webhook_listing import SubscriptionListings

SERVICE = WebhookFilter.service("PSVC001")
ACCOUNT = WebhookFilter.account()


def _sub(sub_id: str, scope: WebhookFilter) -> WebhookSubscription:
    return WebhookSubscription(
        id=sub_id,
        events=["incident.triggered"],
        filter=scope,
        delivery_method=DeliveryMethod(url=f"https://example.invalid/{sub_id}"),
    )


class Account:
    """One PagerDuty account's subscriptions; the calls made, by credential."""

    def __init__(self, *subscriptions: WebhookSubscription) -> None:
        self.stored = {s.id: s for s in subscriptions}
        self.lists: list[str] = []
        self.checks: list[str] = []
        self.revoked: set[str] = set()


class KeyWebhooks:
    def __init__(self, account: Account, key: str) -> None:
        self.account, self.key = account, key

    async def list(
        self, kind: str | None = None, scope_id: str | None = None
    ) -> list[WebhookSubscription]:
        assert (kind, scope_id) == (None, None), "the shared listing is unfiltered"
        self.account.lists.append(self.key)
        if self.key in self.account.revoked:
            raise AuthenticationError(status=401, method="GET", path="/webhook_subscriptions")
        return list(self.account.stored.values())

    async def check_read(self) -> None:
        self.account.checks.append(self.key)
        if self.key in self.account.revoked:
            raise AuthenticationError(status=401, method="GET", path="/webhook_subscriptions")


def _client(account: Account, key: str) -> PagerDutyClient:
    fake = SimpleNamespace(
        webhooks=KeyWebhooks(account, key),
        endpoints=SimpleNamespace(rest_url="http://pagerduty.invalid"),
        credential=SimpleNamespace(fingerprint=key),
    )
    return cast(PagerDutyClient, fake)


async def _grouped(
    account: Account, *keys: str
) -> tuple[SubscriptionListings, list[PagerDutyClient]]:
    listings = SubscriptionListings()
    clients = [_client(account, k) for k in keys]
    for client in clients:  # each new credential's first listing is its own
        await listings.get(client, SERVICE, fresh_since=float("-inf"))
    account.lists.clear()
    return listings, clients


async def test_credentials_of_one_account_share_one_unfiltered_listing() -> None:
    account = Account(_sub("P1", SERVICE), _sub("P2", ACCOUNT))
    listings, clients = await _grouped(account, "k1", "k2", "k3")
    assert listings.groups.members("k1") == {"k1", "k2", "k3"}
    since = time.monotonic()
    for client in clients:
        assert set(await listings.get(client, SERVICE, fresh_since=since)) == {"P1"}
        assert set(await listings.get(client, ACCOUNT, fresh_since=since)) == {"P2"}
    assert len(account.lists) == 1, "one listing for the account, scopes filtered client-side"


async def test_accounts_without_common_ids_list_separately() -> None:
    one, other = Account(_sub("P1", SERVICE)), Account(_sub("Q1", SERVICE))
    listings = SubscriptionListings()
    a, b = _client(one, "k1"), _client(other, "k2")
    assert set(await listings.get(a, SERVICE)) == {"P1"}
    assert set(await listings.get(b, SERVICE)) == {"Q1"}
    assert listings.groups.members("k1") == {"k1"}
    assert one.lists == ["k1"]
    assert other.lists == ["k2"]


async def test_the_lister_rotates_through_the_account() -> None:
    account = Account(_sub("P1", SERVICE))
    listings, clients = await _grouped(account, "k1", "k2", "k3")
    for _ in range(3):
        await listings.get(clients[0], SERVICE, fresh_since=time.monotonic())
    assert sorted(account.lists) == ["k1", "k2", "k3"]


async def test_a_revoked_lister_is_blamed_alone() -> None:
    account = Account(_sub("P1", SERVICE))
    listings, clients = await _grouped(account, "k1", "k2", "k3")
    account.revoked.add("k1")
    listings.groups._turn = {}
    # k2 reads; k1 lists first, is refused, and k2 gets the listing from the next member.
    assert set(await listings.get(clients[1], SERVICE, fresh_since=time.monotonic())) == {"P1"}
    assert account.lists[0] == "k1"
    assert len(account.lists) == 2
    assert listings.groups.members("k2") == {"k2", "k3"}
    # k1 now lists for itself and meets its own refusal.
    with pytest.raises(AuthenticationError):
        await listings.get(clients[0], SERVICE, fresh_since=time.monotonic())
    assert set(await listings.get(clients[2], SERVICE)) == {"P1"}


async def test_a_revoked_member_fails_its_own_check_within_the_refresh() -> None:
    account = Account(_sub("P1", SERVICE))
    listings, clients = await _grouped(account, "k1", "k2")
    account.revoked.add("k2")
    key = ("http://pagerduty.invalid", "k1")
    refresh = listings._refresh_for(clients[0], key)
    listings.groups._turn = {}
    await refresh()
    assert account.checks == ["k2"], "one cheap read for the member the listing served"
    assert listings.groups.members("k1") == {"k1"}
    with pytest.raises(AuthenticationError):
        await listings.get(clients[1], SERVICE)

"""Webhook behaviour in milliseconds: re-enabling, rotation, ping, PagerDuty's limit, Secrets.

The real webhook reconciler against the in-process simulator and an in-memory Kubernetes
(tests/support/desk.py); the e2e suites run the same behaviours through kopf and a real
apiserver. Each test checks the status, what the simulator holds and the calls made.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from pagerduty_operator.models.identity import (
    MANAGED_BY,
    MANAGED_BY_LABEL,
    PING_ANNOTATION,
    SUBSCRIPTION_ANNOTATION,
)
from pagerduty_operator.models.resources import INTEGRATION, WEBHOOK
from pagerduty_operator.pagerduty.resources.webhooks import (
    NewWebhookSubscription,
    WebhookFilter,
    WebhookSubscriptionUpdate,
)
from support.desk import NS, URL, Desk, open_desk
from support.receiver import Receiver, signature_valid
from support.sim_seed import CHECKOUT, TEAM_PAYMENTS, US_FULL

SUBS = "/webhook_subscriptions"
ONE_SUB = "/webhook_subscriptions/{id}"


@pytest.fixture
async def desk() -> AsyncIterator[Desk]:
    async with open_desk() as desk:
        yield desk


async def _created(desk: Desk, **spec: object) -> str:
    desk.integration()
    desk.webhook(**spec)
    await desk.reconcile(WEBHOOK.plural, "incidents")
    assert desk.condition(WEBHOOK.plural, "incidents", "Ready")[:2] == ("True", "Ready")
    (created,) = await desk.subscriptions()
    return created.id


async def _by_hand(desk: Desk, url: str, scope: WebhookFilter) -> str:
    new = NewWebhookSubscription(
        url=url,
        events=["incident.triggered"],
        filter=scope,
        description="made by hand",
        active=True,
        custom_headers=[],
    )
    return (await desk.pd.webhooks.create(new)).id


def _writes(desk: Desk) -> list[str]:
    return [c for c in desk.last_calls if c.split()[0] in ("POST", "PUT", "DELETE")]


async def test_a_temporarily_disabled_subscription_is_re_enabled(desk: Desk) -> None:
    sub_id = await _created(desk)
    desk.held(sub_id).temporarily_disabled = True  # PagerDuty's doing, after failed deliveries
    desk.forget_listings()  # the resync's fresh listing shows it
    await desk.reconcile(WEBHOOK.plural, "incidents")
    assert not desk.held(sub_id).temporarily_disabled
    assert _writes(desk) == [f"POST {ONE_SUB}/enable 200"]
    assert desk.events[-1] == (
        "Normal",
        "Enabled",
        f"re-enabled temporarily disabled subscription {sub_id}",
    )
    assert desk.condition(WEBHOOK.plural, "incidents", "Ready")[0] == "True"
    assert [s.id for s in await desk.subscriptions()] == [sub_id]


async def test_a_subscription_deactivated_in_pagerduty_is_activated_in_place(desk: Desk) -> None:
    sub_id = await _created(desk)
    await desk.pd.webhooks.update(sub_id, WebhookSubscriptionUpdate(active=False))
    desk.forget_listings()
    await desk.reconcile(WEBHOOK.plural, "incidents")
    assert desk.held(sub_id).active
    assert _writes(desk) == [f"PUT {ONE_SUB} 200"]
    assert desk.events[-1] == ("Normal", "Updated", f"updated subscription {sub_id}: active")


async def test_an_inactive_webhook_is_not_re_enabled(desk: Desk) -> None:
    sub_id = await _created(desk, active=False)
    desk.held(sub_id).temporarily_disabled = True
    desk.forget_listings()
    await desk.reconcile(WEBHOOK.plural, "incidents")
    assert desk.held(sub_id).temporarily_disabled
    assert _writes(desk) == []
    assert desk.reasons() == ["Created"]


async def test_rotate_signing_secret_replaces_an_adopted_subscription(desk: Desk) -> None:
    desk.integration()
    adopted = await _by_hand(desk, URL, WebhookFilter.service(CHECKOUT))
    desk.webhook()
    await desk.reconcile(WEBHOOK.plural, "incidents")
    assert desk.condition(WEBHOOK.plural, "incidents", "SigningSecretAvailable")[1] == "NotHeld"

    desk.webhook(rotateSigningSecret=True)
    await desk.reconcile(WEBHOOK.plural, "incidents")
    (new,) = await desk.subscriptions()
    assert new.id != adopted
    # Created first, the adopted one deleted after: deliveries never stop.
    assert _writes(desk) == [f"POST {SUBS} 200", f"DELETE {ONE_SUB} 204"]
    replaced = f"replaced {adopted} by {new.id}: rotateSigningSecret"
    assert desk.events[-1] == ("Normal", "Replaced", replaced)
    status, reason, _ = desk.condition(WEBHOOK.plural, "incidents", "SigningSecretAvailable")
    assert (status, reason) == ("True", "Stored")
    held = desk.held(new.id).secret
    assert desk.kube.secret_data(NS, "incidents-signing")["signingSecret"] == held
    annotations = desk.kube.secrets[(NS, "incidents-signing")]["metadata"]["annotations"]
    assert annotations[SUBSCRIPTION_ANNOTATION] == new.id
    status_dump = desk.kube.status_of(WEBHOOK.plural, NS, "incidents")
    assert status_dump["subscriptionId"] == new.id
    assert held not in desk.messages(WEBHOOK.plural, "incidents") + repr(status_dump)

    await desk.reconcile(WEBHOOK.plural, "incidents")  # still asked, but the secret is held
    assert _writes(desk) == []
    assert [s.id for s in await desk.subscriptions()] == [new.id]


async def test_the_ping_annotation_pings_once_per_value(desk: Desk) -> None:
    with Receiver() as receiver:
        sub_id = await _created(desk, url=receiver.url, allowInsecureUrl=True)
        desk.annotate(WEBHOOK.plural, "incidents", {PING_ANNOTATION: "first"})
        await desk.reconcile(WEBHOOK.plural, "incidents")
        assert _writes(desk) == [f"POST {ONE_SUB}/ping 202"]
        last = desk.kube.status_of(WEBHOOK.plural, NS, "incidents")["lastPing"]
        assert (last["annotation"], last["result"], last["message"]) == ("first", "Accepted", "")
        assert desk.reasons()[-1] == "Pinged"
        assert desk.sim.state.deliveries is not None
        await desk.sim.state.deliveries.wait_idle()
        (ping,) = [d for t, d in receiver.events() if t == "pagey.ping"]
        secret = desk.kube.secret_data(NS, "incidents-signing")["signingSecret"]
        assert ping.subscription_id == sub_id
        assert signature_valid(secret, ping.body, ping.headers.get("x-pagerduty-signature"))

        await desk.reconcile(WEBHOOK.plural, "incidents")  # a resync: the same value
        assert _writes(desk) == []
        desk.annotate(WEBHOOK.plural, "incidents", {PING_ANNOTATION: "second"})
        await desk.reconcile(WEBHOOK.plural, "incidents")
        assert _writes(desk) == [f"POST {ONE_SUB}/ping 202"]
        last = desk.kube.status_of(WEBHOOK.plural, NS, "incidents")["lastPing"]
        assert (last["annotation"], last["result"]) == ("second", "Accepted")


async def test_a_refused_ping_is_recorded_once(desk: Desk) -> None:
    await _created(desk)
    desk.sim.state.faults.add({"method": "POST", "path": f"{SUBS}/*/ping", "status": 403})
    desk.annotate(WEBHOOK.plural, "incidents", {PING_ANNOTATION: "now"})
    await desk.reconcile(WEBHOOK.plural, "incidents")
    last = desk.kube.status_of(WEBHOOK.plural, NS, "incidents")["lastPing"]
    assert (last["annotation"], last["result"]) == ("now", "Failed")
    assert "403" in last["message"]
    assert desk.events[-1][:2] == ("Warning", "PingFailed")
    assert desk.condition(WEBHOOK.plural, "incidents", "Ready")[0] == "True"
    assert US_FULL not in desk.messages(WEBHOOK.plural, "incidents") + last["message"]
    await desk.reconcile(WEBHOOK.plural, "incidents")  # not retried for the same value
    assert _writes(desk) == []


async def test_a_full_scope_makes_room_by_deleting_the_replaced_one_first(desk: Desk) -> None:
    old_id = await _created(desk)
    for n in range(9):  # PagerDuty allows 10 per service: this webhook's and 9 others
        await _by_hand(desk, f"https://other.example.com/{n}", WebhookFilter.service(CHECKOUT))
    desk.webhook(url="https://hooks.example.com/new")
    await desk.reconcile(WEBHOOK.plural, "incidents")
    assert _writes(desk) == [f"POST {SUBS} 400", f"DELETE {ONE_SUB} 204", f"POST {SUBS} 200"]
    new_id = desk.kube.status_of(WEBHOOK.plural, NS, "incidents")["subscriptionId"]
    assert new_id != old_id
    held = desk.sim.state.account("acme").webhooks
    assert old_id not in held
    assert held[new_id].url == "https://hooks.example.com/new"
    assert len(held) == 10
    assert desk.reasons()[-2:] == ["DeletedReplaced", "Replaced"]
    assert desk.condition(WEBHOOK.plural, "incidents", "Ready")[:2] == ("True", "Ready")


async def test_a_full_other_scope_is_reported_and_the_old_one_kept(desk: Desk) -> None:
    """A new url and scope: deleting the old one frees no place there, so nothing is deleted."""
    desk.kube.put_secret(NS, "pd", {"token": US_FULL})
    spec = {"credentials": {"apiKey": {"secretKeyRef": {"name": "pd", "key": "token"}}}}
    desk.put(INTEGRATION.plural, "checkout", spec)
    desk.webhook(scope={"type": "service", "id": CHECKOUT})
    await desk.reconcile(WEBHOOK.plural, "incidents")
    (old,) = await desk.subscriptions()
    for n in range(10):
        await _by_hand(desk, f"https://other.example.com/{n}", WebhookFilter.team(TEAM_PAYMENTS))
    desk.webhook(url="https://hooks.example.com/new", scope={"type": "team", "id": TEAM_PAYMENTS})
    await desk.reconcile(WEBHOOK.plural, "incidents")
    assert _writes(desk) == [f"POST {SUBS} 400"]
    status, reason, message = desk.condition(WEBHOOK.plural, "incidents", "Synced")
    assert (status, reason) == ("False", "ProductLimitReached")
    assert "Subscription Limit Exceeded" in message
    assert old.id in desk.sim.state.account("acme").webhooks


@pytest.mark.parametrize(
    ("owner", "reason"),
    [(None, "SecretNotOwned"), ("uid-someone-else", "SecretOwnedElsewhere")],
)
async def test_a_signing_secret_it_does_not_own_is_refused_before_any_call(
    desk: Desk, owner: str | None, reason: str
) -> None:
    desk.integration()
    meta = {"ownerReferences": [{"uid": owner, "kind": "ConfigMap"}]} if owner else {}
    desk.kube.put_secret(NS, "taken", {"signingSecret": "theirs"}, **meta)
    desk.webhook(signingSecretRef={"name": "taken"})
    await desk.reconcile(WEBHOOK.plural, "incidents")
    assert desk.last_calls == []
    status, found, message = desk.condition(WEBHOOK.plural, "incidents", "Ready")
    assert (status, found) == ("False", reason)
    assert "'taken'" in message
    assert "signingSecretRef" in message
    assert "theirs" not in desk.messages(WEBHOOK.plural, "incidents")
    assert desk.kube.secret_data(NS, "taken") == {"signingSecret": "theirs"}
    assert await desk.subscriptions() == []


async def test_a_signing_secret_handed_over_by_label_is_taken(desk: Desk) -> None:
    desk.integration()
    labels = {MANAGED_BY_LABEL: MANAGED_BY}
    desk.kube.put_secret(NS, "incidents-signing", {"note": "kept"}, labels=labels)
    desk.webhook()
    await desk.reconcile(WEBHOOK.plural, "incidents")
    (created,) = await desk.subscriptions()
    secret = desk.kube.secrets[(NS, "incidents-signing")]
    assert [ref["uid"] for ref in secret["metadata"]["ownerReferences"]] == ["uid-incidents"]
    data = desk.kube.secret_data(NS, "incidents-signing")
    assert data == {"note": "kept", "signingSecret": desk.held(created.id).secret}

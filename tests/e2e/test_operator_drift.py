"""Drift: a subscription deleted or edited in PagerDuty is recreated or corrected at a resync."""

from __future__ import annotations

from operator_harness import DRIFT_SECONDS, Subscription, Tenant

from support.waiting import wait_for


def test_deleted_subscription_is_recreated_with_a_new_secret(tenant: Tenant) -> None:
    first = tenant.team_webhook("deleted")

    tenant.sim.delete_subscription(first.id)

    def recreated() -> Subscription | None:
        subs = tenant.subscriptions("deleted")
        if len(subs) != 1 or not tenant.signing_secret_matches("deleted", subs[0]):
            return None
        obj = tenant.webhook_obj("deleted") or {}
        return subs[0] if (obj.get("status") or {}).get("subscriptionId") == subs[0].id else None

    second = wait_for(recreated, what="the subscription to be recreated", timeout=DRIFT_SECONDS)
    assert second.id != first.id
    tenant.wait_webhook_ready("deleted")


def test_edited_subscription_is_corrected_in_place(tenant: Tenant) -> None:
    events = ["incident.acknowledged", "incident.triggered"]
    original = tenant.team_webhook("edited", description="Team incidents", events=events)

    tenant.sim.edit_subscription(
        original.id, description="changed by hand", events=["incident.resolved"], active=False
    )

    def corrected() -> Subscription | None:
        sub = tenant.sim.subscription(original.id)
        if sub is None or sorted(sub.events) != events or not sub.active:
            return None
        return sub if sub.description == original.description else None

    wait_for(corrected, what="the edits to be corrected", timeout=DRIFT_SECONDS)
    assert [s.id for s in tenant.subscriptions("edited")] == [original.id]
    assert tenant.signing_secret_matches("edited", original)


def test_deleted_signing_secret_is_replaced_with_a_new_subscription(tenant: Tenant) -> None:
    """PagerDuty shows a secret only at creation: losing the Secret means a new subscription."""
    first = tenant.team_webhook("lost-secret")

    tenant.cluster.delete_secret(tenant.namespace, "lost-secret-signing")

    def restored() -> Subscription | None:
        subs = tenant.subscriptions("lost-secret")
        if len(subs) != 1 or subs[0].id == first.id:
            return None
        return subs[0] if tenant.signing_secret_matches("lost-secret", subs[0]) else None

    wait_for(restored, what="a new subscription with its secret stored", timeout=DRIFT_SECONDS)
    assert tenant.sim.subscription(first.id) is None
    tenant.wait_webhook_ready("lost-secret")

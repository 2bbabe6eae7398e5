"""What to do about one webhook subscription: decided here, purely; done in reconcile/webhook.py.

`choose` picks, among the subscriptions found for a webhook, the one to keep and the duplicates
(left by a crash or an ambiguous create). `plan` compares the desired subscription with the kept
one and the signing Secret the operator holds, and returns the steps:

- **create**: nothing to keep;
- **replace**: what PagerDuty cannot change in place differs (url, header names, header values,
  a lost or rotated signing secret): **delete first** when the old one is useless anyway (its
  secret is lost), else **create first** (delete the old one after, or before when the scope is
  full and the old one holds a place in it);
- **update in place**: description, events, filter, active;
- **re-enable**: PagerDuty disabled it temporarily after failed deliveries;
- **adopt**: it was not this webhook's before (an Event says so);
- **keep**: nothing to change.

No I/O, no clock: table tests call it with plain values (tests/unit/test_webhook_plan.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pagerduty_operator.models.identity import DIGEST_ANNOTATION, SUBSCRIPTION_ANNOTATION
from pagerduty_operator.pagerduty.resources.webhooks import (
    WebhookSubscription,
    WebhookSubscriptionUpdate,
)
from pagerduty_operator.reconcile.webhook_desired import (
    DesiredSubscription,
    headers_digest,
    marker_of,
)

SECRET_LOST = "signing secret lost"


@dataclass(frozen=True)
class HeldSigningSecret:
    """What the owned signing Secret says: which subscription, its secret, the headers digest."""

    annotations: Mapping[str, str]
    value: str | None

    def holds_for(self, subscription_id: str) -> bool:
        """Whether it holds the signing secret of `subscription_id`."""
        return self.annotations.get(SUBSCRIPTION_ANNOTATION) == subscription_id and bool(self.value)


@dataclass(frozen=True)
class Chosen:
    """The subscription to keep, and the other ones marked as this webhook's."""

    keep: WebhookSubscription
    duplicates: tuple[WebhookSubscription, ...]


def choose(
    candidates: Sequence[WebhookSubscription],
    key: tuple[str, str],
    held: HeldSigningSecret | None,
) -> Chosen:
    """Among `candidates[0]` and those marked with `key`: the one whose secret is held wins.

    Else the first candidate. The other marked ones are duplicates (an ambiguous create that
    completed after a later reconcile had already created another, or a crash).
    """
    first = candidates[0]
    ours = [first] + [s for s in candidates[1:] if marker_of(s) == key and s.id != first.id]
    keep = next((s for s in ours if held is not None and held.holds_for(s.id)), ours[0])
    duplicates = tuple(s for s in ours if s.id != keep.id and marker_of(s) == key)
    return Chosen(keep, duplicates)


@dataclass(frozen=True)
class Replace:
    """A new subscription instead of `old_id`, for `reasons`."""

    old_id: str
    reasons: tuple[str, ...]
    delete_first: bool
    """Delete the old one before creating (its secret is lost: nobody can verify it)."""
    may_make_room: bool
    """Create first, but when the scope is full, delete the old one (same scope) and retry."""


@dataclass(frozen=True)
class Plan:
    """The steps for one reconcile of one webhook in Manage."""

    create: bool = False
    replace: Replace | None = None
    keep_id: str | None = None
    update: WebhookSubscriptionUpdate | None = None
    adopt: bool = False
    enable: bool = False
    secret_held: bool = False

    @property
    def steps(self) -> tuple[str, ...]:
        """The steps by name, for tests and logs."""
        if self.create:
            return ("create",)
        if self.replace is not None:
            return ("replace-delete-first" if self.replace.delete_first else "replace",)
        steps = [
            name
            for name, wanted in (
                ("update", self.update is not None),
                ("adopt", self.adopt),
                ("enable", self.enable),
            )
            if wanted
        ]
        return tuple(steps) or ("keep",)


def plan(
    desired: DesiredSubscription,
    actual: WebhookSubscription | None,
    held: HeldSigningSecret | None,
    *,
    rotate: bool,
    previous_id: str | None,
    adopted_without_secret: bool,
) -> Plan:
    """The steps that make `actual` match `desired` (see the module docstring).

    `adopted_without_secret`: status says this subscription was adopted and its secret never
    held (keep it, `NotHeld`), as opposed to one the operator created and whose secret got lost
    (replace it to get one).
    """
    if actual is None:
        return Plan(create=True)
    holds = held is not None and held.holds_for(actual.id)
    reasons = desired.replacement_reasons(actual)
    if holds and held is not None and held.value:
        digest = headers_digest(list(desired.headers), held.value)
        if held.annotations.get(DIGEST_ANNOTATION) != digest:
            reasons.append("customHeaders values")
    elif rotate:
        reasons.append("rotateSigningSecret")
    elif marker_of(actual) is not None and not adopted_without_secret:
        reasons.append(SECRET_LOST)
    if reasons:
        return Plan(
            replace=Replace(
                old_id=actual.id,
                reasons=tuple(reasons),
                delete_first=reasons == [SECRET_LOST],
                may_make_room=actual.filter == desired.scope,
            )
        )
    return Plan(
        keep_id=actual.id,
        update=desired.in_place_changes(actual),
        adopt=previous_id != actual.id,
        enable=desired.active and bool(actual.delivery_method.temporarily_disabled),
        secret_held=holds,
    )

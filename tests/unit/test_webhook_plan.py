"""Every webhook decision as a table: which subscription to keep, and the steps to converge.

`plan` and `choose` are pure (no I/O, no clock), so each row runs in microseconds; the executor
in reconcile/webhook.py only carries the steps out (e2e tests cover it against the simulator).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from pagerduty_operator.models.identity import DIGEST_ANNOTATION, SUBSCRIPTION_ANNOTATION
from pagerduty_operator.pagerduty.resources.webhooks import (
    CustomHeader,
    WebhookFilter,
    WebhookSubscription,
)
from pagerduty_operator.reconcile.webhook_desired import (
    DesiredSubscription,
    headers_digest,
    marker,
)
from pagerduty_operator.reconcile.webhook_plan import HeldSigningSecret, choose, plan

KEY = ("team-a", "checkout")
SCOPE = WebhookFilter.service("PSVC001")
HEADER = CustomHeader(name="X-Token", value=SecretStr("t0ken"))
DESIRED = DesiredSubscription(
    url="https://hooks.example.com/pd",
    scope=SCOPE,
    events=("incident.resolved", "incident.triggered"),
    description=f"Checkout alerts {marker(*KEY)}",
    active=True,
    headers=(HEADER,),
)
SECRET = "whsec-value"


def sub(
    id_: str = "PSUB001",
    *,
    mine: bool = True,
    key: tuple[str, str] = KEY,
    **changes: Any,
) -> WebhookSubscription:
    body: dict[str, Any] = {
        "id": id_,
        "active": True,
        "description": f"Checkout alerts {marker(*key)}" if mine else "made by hand",
        "events": ["incident.triggered", "incident.resolved"],
        "filter": {"type": "service_reference", "id": "PSVC001"},
        "delivery_method": {
            "type": "http_delivery_method",
            "url": "https://hooks.example.com/pd",
            "custom_headers": [{"name": "X-Token", "value": "-- redacted --"}],
            "temporarily_disabled": False,
        },
    }
    for name, value in changes.items():
        if name in ("url", "custom_headers", "temporarily_disabled"):
            body["delivery_method"][name] = value
        else:
            body[name] = value
    return WebhookSubscription.model_validate(body)


def held(subscription_id: str = "PSUB001", *, digest: str | None = None) -> HeldSigningSecret:
    return HeldSigningSecret(
        {
            SUBSCRIPTION_ANNOTATION: subscription_id,
            DIGEST_ANNOTATION: digest or headers_digest([HEADER], SECRET),
        },
        SECRET,
    )


def steps(
    actual: WebhookSubscription | None,
    secret: HeldSigningSecret | None,
    *,
    rotate: bool = False,
    previous_id: str | None = "PSUB001",
    adopted_without_secret: bool = False,
) -> tuple[str, ...]:
    return plan(
        DESIRED,
        actual,
        secret,
        rotate=rotate,
        previous_id=previous_id,
        adopted_without_secret=adopted_without_secret,
    ).steps


@pytest.mark.parametrize(
    ("case", "actual", "secret", "options", "expected"),
    [
        ("nothing there", None, None, {}, ("create",)),
        ("matches, secret held", sub(), held(), {}, ("keep",)),
        ("url changed", sub(url="https://old.example.com"), held(), {}, ("replace",)),
        (
            "header renamed",
            sub(custom_headers=[{"name": "X-Old", "value": "x"}]),
            held(),
            {},
            ("replace",),
        ),
        ("header value changed", sub(), held(digest="0" * 64), {}, ("replace",)),
        ("rotation asked", sub(mine=False), None, {"rotate": True}, ("replace",)),
        ("secret lost", sub(), None, {}, ("replace-delete-first",)),
        ("secret of another subscription", sub(), held("PSUB999"), {}, ("replace-delete-first",)),
        (
            "adopted earlier without secret",
            sub(),
            None,
            {"adopted_without_secret": True},
            ("keep",),
        ),
        (
            "unmarked, first adoption",
            sub(mine=False),
            None,
            {"previous_id": None},
            ("update", "adopt"),
        ),
        ("events differ", sub(events=["incident.triggered"]), held(), {}, ("update",)),
        ("deactivated by hand", sub(active=False), held(), {}, ("update",)),
        (
            "moved to another scope",
            sub(filter={"type": "team_reference", "id": "PTEAM01"}),
            held(),
            {},
            ("update",),
        ),
        (
            "disabled after failed deliveries",
            sub(temporarily_disabled=True),
            held(),
            {},
            ("enable",),
        ),
        ("found by listing, not in status", sub(), held(), {"previous_id": None}, ("adopt",)),
    ],
)
def test_plan(
    case: str,
    actual: WebhookSubscription | None,
    secret: HeldSigningSecret | None,
    options: dict[str, Any],
    expected: tuple[str, ...],
) -> None:
    assert steps(actual, secret, **options) == expected, case


def test_a_replacement_says_why_and_whether_it_may_make_room() -> None:
    moved = sub(url="https://old.example.com", filter={"type": "team_reference", "id": "PT1"})
    replace = plan(
        DESIRED, moved, held(), rotate=False, previous_id="PSUB001", adopted_without_secret=False
    ).replace
    assert replace is not None
    assert (replace.old_id, replace.reasons) == ("PSUB001", ("url",))
    assert not replace.delete_first
    assert not replace.may_make_room  # another scope: deleting it frees no place in this one
    same_scope = plan(
        DESIRED,
        sub(url="https://old.example.com"),
        held(),
        rotate=False,
        previous_id="PSUB001",
        adopted_without_secret=False,
    ).replace
    assert same_scope is not None
    assert same_scope.may_make_room


def test_kept_subscriptions_report_whether_the_secret_is_held() -> None:
    kept = plan(
        DESIRED, sub(), held(), rotate=False, previous_id=None, adopted_without_secret=False
    )
    assert (kept.keep_id, kept.secret_held) == ("PSUB001", True)
    adopted = plan(
        DESIRED, sub(), None, rotate=False, previous_id="PSUB001", adopted_without_secret=True
    )
    assert not adopted.secret_held


@pytest.mark.parametrize(
    ("case", "candidates", "secret", "keep", "duplicates"),
    [
        ("one", [sub("A")], None, "A", []),
        ("held secret wins", [sub("A"), sub("B")], held("B"), "B", ["A"]),
        ("else the first", [sub("A"), sub("B")], None, "A", ["B"]),
        ("others' are no duplicates", [sub("A"), sub("B", key=("team-b", "x"))], None, "A", []),
        ("unmarked first is kept", [sub("A", mine=False), sub("B")], None, "A", ["B"]),
        ("the same one twice", [sub("A"), sub("A")], None, "A", []),
    ],
)
def test_choose(
    case: str,
    candidates: list[WebhookSubscription],
    secret: HeldSigningSecret | None,
    keep: str,
    duplicates: list[str],
) -> None:
    chosen = choose(candidates, KEY, secret)
    assert (chosen.keep.id, [d.id for d in chosen.duplicates]) == (keep, duplicates), case

"""Crash safety: the operator SIGKILLed around a create, or a create whose answer was lost.

After a restart there is exactly one subscription per resource and its signing secret, as stored
in the owned Secret, verifies a real signed delivery (a ping) at a loopback receiver.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import pytest
from operator_harness import DRIFT_SECONDS, Subscription, Tenant

from pagerduty_devenv.stack import OperatorProcess
from pagerduty_operator.models.identity import PING_ANNOTATION
from support.kube import WEBHOOKS
from support.receiver import SIGNATURE_HEADER, Delivery, Receiver, signature_valid
from support.waiting import wait_for

NAMES = ("crash-first", "crash-second")
KILL_POLL_SECONDS = 0.02
LATE = 5.0
"""Seconds a delayed create waits in the simulator before it is processed."""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def _apply(tenant: Tenant, receiver: Receiver) -> None:
    tenant.apply(
        tenant.api_key_secret(),
        tenant.integration(),
        *(
            tenant.webhook(
                name,
                url=f"{receiver.url}/{name}",
                allowInsecureUrl=True,
                scope={"type": "service", "id": tenant.service_id},
            )
            for name in NAMES
        ),
    )


def _fault_taken(tenant: Tenant) -> bool:
    return not tenant.sim.faults()


def _kill_when(operator: OperatorProcess, ready: Callable[[], bool], what: str) -> None:
    wait_for(ready, what=what, interval=KILL_POLL_SECONDS)
    operator.kill()


def _ping_at(receiver: Receiver, name: str) -> Delivery | None:
    return next((d for t, d in receiver.events() if t == "pagey.ping" and name in d.path), None)


def _exactly_one_each_and_verified(tenant: Tenant, receiver: Receiver) -> None:
    """Exactly one subscription per resource, stably, whose stored secret signs a real ping."""

    def settled() -> list[Subscription] | None:
        found = []
        for name in NAMES:
            subs = tenant.subscriptions(name)
            obj = tenant.webhook_obj(name) or {}
            if len(subs) != 1 or (obj.get("status") or {}).get("subscriptionId") != subs[0].id:
                return None
            if not tenant.signing_secret_matches(name, subs[0]):
                return None
            found.append(subs[0])
        return found

    subs = wait_for(settled, what="one subscription per resource", timeout=DRIFT_SECONDS)
    for name in NAMES:
        tenant.wait_webhook_ready(name)
    assert len(tenant.subscriptions()) == len(NAMES)

    for name, sub in zip(NAMES, subs, strict=True):
        tenant.cluster.patch(
            WEBHOOKS, tenant.namespace, name, {"metadata": {"annotations": {PING_ANNOTATION: "1"}}}
        )
        secret = tenant.stored_signing_secret(name)
        delivery = wait_for(
            functools.partial(_ping_at, receiver, name), what=f"the ping of {name} at the receiver"
        )
        assert delivery.headers.get("x-webhook-subscription") == sub.id
        valid = signature_valid(
            secret, delivery.body, delivery.headers.get(SIGNATURE_HEADER.lower())
        )
        assert valid, f"the ping of {name} does not verify with the stored signing secret"


def test_killed_while_the_create_is_in_flight(
    isolated_tenant: tuple[Tenant, OperatorProcess], receiver: Receiver
) -> None:
    """Killed while a create waits in PagerDuty; checked once that create has finished.

    The simulator reads the request body only after the delay, so a create whose client died
    meanwhile fails there and creates nothing; `test_a_duplicate_that_appears_later_is_deleted`
    covers a create that lands after the restarted operator made its own.
    """
    tenant, operator = isolated_tenant
    seq = tenant.sim.last_seq()
    tenant.sim.add_fault(method="POST", path="/webhook_subscriptions", delay=LATE, count=1)
    _apply(tenant, receiver)
    _kill_when(operator, lambda: _fault_taken(tenant), "the create to be in flight")
    operator.restart()
    wait_for(
        lambda: [r for r in tenant.sim.requests(seq) if r["fault"] == f"delay:{LATE}"],
        what="the delayed create to complete",
        timeout=2 * LATE,
    )
    _exactly_one_each_and_verified(tenant, receiver)


def test_killed_after_pagerduty_created_it_before_the_answer(
    isolated_tenant: tuple[Tenant, OperatorProcess], receiver: Receiver
) -> None:
    tenant, operator = isolated_tenant
    tenant.sim.add_fault(
        method="POST", path="/webhook_subscriptions", delay=3, after_handler=True, count=1
    )
    _apply(tenant, receiver)
    _kill_when(
        operator,
        lambda: _fault_taken(tenant) and bool(tenant.subscriptions()),
        "PagerDuty to have created the subscription",
    )
    operator.restart()
    _exactly_one_each_and_verified(tenant, receiver)


def test_killed_right_after_the_create_returned(
    isolated_tenant: tuple[Tenant, OperatorProcess], receiver: Receiver
) -> None:
    tenant, operator = isolated_tenant
    _apply(tenant, receiver)
    _kill_when(operator, lambda: bool(tenant.subscriptions()), "a subscription to exist")
    operator.restart()
    _exactly_one_each_and_verified(tenant, receiver)


def test_killed_after_the_secret_write_before_the_status_write(
    isolated_tenant: tuple[Tenant, OperatorProcess], receiver: Receiver
) -> None:
    tenant, operator = isolated_tenant
    _apply(tenant, receiver)
    _kill_when(
        operator,
        lambda: tenant.cluster.secret(tenant.namespace, f"{NAMES[0]}-signing") is not None,
        "the first signing Secret to be written",
    )
    operator.restart()
    _exactly_one_each_and_verified(tenant, receiver)


def test_create_whose_answer_was_lost_finds_its_subscription(
    tenant: Tenant, receiver: Receiver
) -> None:
    """A connection dropped after PagerDuty created it: ambiguous, so looked for, never repeated."""
    seq = tenant.sim.last_seq()
    tenant.sim.add_fault(
        method="POST", path="/webhook_subscriptions", drop=True, after_handler=True, count=1
    )
    _apply(tenant, receiver)
    _exactly_one_each_and_verified(tenant, receiver)
    dropped = [r for r in tenant.sim.requests(seq) if r["fault"] == "drop"]
    assert len(dropped) == 1


def test_a_duplicate_that_appears_later_is_deleted(tenant: Tenant, receiver: Receiver) -> None:
    """What a create still in flight when the operator died leaves behind, once it lands."""
    _apply(tenant, receiver)
    _exactly_one_each_and_verified(tenant, receiver)
    original = tenant.only_subscription(NAMES[0])
    late = tenant.sim.create_subscription(
        original.url,
        {"type": "service_reference", "id": tenant.service_id},
        description=original.description,
        events=original.events,
    )
    wait_for(
        lambda: tenant.sim.subscription(late) is None,
        what="the late duplicate to be deleted",
        timeout=DRIFT_SECONDS,
    )
    assert [s.id for s in tenant.subscriptions(NAMES[0])] == [original.id]
    assert tenant.signing_secret_matches(NAMES[0], original)

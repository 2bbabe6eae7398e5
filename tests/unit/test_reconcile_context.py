"""ReconcileContext: bounded concurrent reconciles; when a body may miss a status written."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from pagerduty_operator.config import OperatorConfig
from pagerduty_operator.kube import Kube
from pagerduty_operator.reconcile.clients import ClientRegistry
from pagerduty_operator.reconcile.context import ReconcileContext


def _ctx(max_concurrent: int = 0) -> ReconcileContext:
    def no_event(body: dict[str, Any], type_: str, reason: str, message: str) -> None:
        return None

    return ReconcileContext(
        kube=cast(Kube, None),
        clients=cast(ClientRegistry, None),
        config=OperatorConfig(max_concurrent_reconciles=max_concurrent),
        post_event=no_event,
    )


def _body(uid: str, status: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"metadata": {"uid": uid, "name": "w", "namespace": "ns"}}
    if status is not None:
        body["status"] = status
    return body


def test_a_new_object_is_current_until_its_status_is_written() -> None:
    ctx = _ctx()
    assert not ctx.may_be_stale(_body("u1"))
    assert not ctx.may_be_stale(_body("u1", {}))
    ctx.wrote_status("u1")
    # kopf may still hand over the body from before that write
    assert ctx.may_be_stale(_body("u1"))
    assert not ctx.may_be_stale(_body("u2"))
    ctx.forget("u1")
    assert not ctx.may_be_stale(_body("u1"))


def test_a_body_with_a_status_is_always_read_again() -> None:
    ctx = _ctx()
    assert ctx.may_be_stale(_body("u3", {"observedGeneration": 1}))


@pytest.mark.parametrize(("limit", "expected"), [(3, 3), (0, 10)])
async def test_reconciles_take_turns(limit: int, expected: int) -> None:
    ctx = _ctx(limit)
    running = 0
    most = 0
    release = asyncio.Event()

    async def reconcile() -> None:
        nonlocal running, most
        async with ctx.turn():
            running += 1
            most = max(most, running)
            await release.wait()
            running -= 1

    tasks = [asyncio.ensure_future(reconcile()) for _ in range(10)]
    for _ in range(20):
        await asyncio.sleep(0)
    assert most == expected
    release.set()
    await asyncio.gather(*tasks)
    assert running == 0

"""The Kicker: bound once to its context, one pending reconcile per object, no kick lost."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kubernetes import client

from pagerduty_operator.config import OperatorConfig
from pagerduty_operator.handlers.common import KindHandlers
from pagerduty_operator.models.resources import WEBHOOK
from pagerduty_operator.runtime import kicks
from pagerduty_operator.runtime.kicks import Kicker, KickerNotBound
from pagerduty_operator.runtime.runner import build_context

KEY = ("pagerdutywebhooks", "team-a", "checkout")


class FakeReconciles:
    """Stands in for reconcile_by_name: records calls, each one held until released."""

    def __init__(self) -> None:
        self.calls = 0
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, ctx: Any, handlers: Any, namespace: str, name: str) -> None:
        self.calls += 1
        self.started.set()
        await self.release.wait()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeReconciles:
    fake = FakeReconciles()
    monkeypatch.setattr(kicks, "reconcile_by_name", fake)
    return fake


def _kicker(*, bound: bool = True) -> Kicker:
    handlers = KindHandlers(WEBHOOK, reconcile=None, finalize=None)  # type: ignore[arg-type]
    kicker = Kicker({KEY[0]: handlers})
    if bound:
        kicker.bind(object())  # type: ignore[arg-type]
    return kicker


async def _settle(kicker: Kicker) -> None:
    while kicker._pending:
        await asyncio.gather(*kicker._pending.values())


async def test_one_kick_runs_one_reconcile(fake: FakeReconciles) -> None:
    kicker = _kicker()
    fake.release.set()
    await kicker(*KEY)
    await _settle(kicker)
    assert fake.calls == 1


async def test_a_kick_during_a_running_reconcile_runs_it_once_more(fake: FakeReconciles) -> None:
    kicker = _kicker()
    await kicker(*KEY)
    await fake.started.wait()
    for _ in range(3):  # several kicks while it runs: one more reconcile covers them all
        await kicker(*KEY)
    fake.release.set()
    await _settle(kicker)
    assert fake.calls == 2


async def test_kicks_of_unknown_kinds_are_ignored(fake: FakeReconciles) -> None:
    kicker = _kicker()
    await kicker("pagerdutyservices", "team-a", "x")
    assert not kicker._pending
    assert fake.calls == 0


async def test_a_kick_before_bind_fails_in_the_caller(fake: FakeReconciles) -> None:
    kicker = _kicker(bound=False)
    with pytest.raises(KickerNotBound, match=r"bind\(ctx\)"):
        await kicker(*KEY)
    assert not kicker._pending
    assert fake.calls == 0


def test_a_kicker_binds_once() -> None:
    kicker = _kicker()
    with pytest.raises(RuntimeError, match="already bound"):
        kicker.bind(object())  # type: ignore[arg-type]


async def test_build_context_wires_one_bound_kicker_everywhere() -> None:
    ctx = build_context(OperatorConfig(), client.ApiClient())
    try:
        assert isinstance(ctx.kick, Kicker)
        assert ctx.kick.ctx is ctx
        assert ctx.clients.kick is ctx.kick
        assert ctx.refresher.kick is ctx.kick
    finally:
        await ctx.clients.close()
        await ctx.refresher.close()

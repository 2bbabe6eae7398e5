"""The Kicker: one pending reconcile per object, and no kick lost while one runs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pagerduty_operator.handlers.common import KindHandlers
from pagerduty_operator.models.resources import WEBHOOK
from pagerduty_operator.runtime import kicks
from pagerduty_operator.runtime.kicks import Kicker

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


def _kicker() -> Kicker:
    handlers = KindHandlers(WEBHOOK, reconcile=None, finalize=None)  # type: ignore[arg-type]
    kicker = Kicker({KEY[0]: handlers})
    kicker.ctx = object()  # type: ignore[assignment]
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

"""Bounded polling: wait until a check returns something truthy, or fail with what was last seen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

CONVERGE_SECONDS = 60.0
"""Upper bound for anything the operator does in reaction to a change (the default wait)."""


class TimedOut(AssertionError):
    """A bounded wait ended without the expected state."""


def wait_for(
    check: Callable[[], T | None],
    *,
    what: str,
    timeout: float = CONVERGE_SECONDS,
    interval: float = 0.25,
    describe: Callable[[], str] | None = None,
) -> T:
    """Poll `check` until it returns a truthy value (returned); fail after `timeout` seconds.

    The failure names `what` was awaited and, with `describe`, the state last seen.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f"; last seen: {describe()}" if describe is not None else ""
            raise TimedOut(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(interval)

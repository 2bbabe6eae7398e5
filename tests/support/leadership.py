"""Operator processes run with `--leader-elect`: their arguments, and which one leads.

Which process leads is read from each one's `pagerduty_operator_leader` gauge. Timings are short
by default so that a SIGKILL hand-over takes a few seconds; `PDO_LEADER_TIMINGS=15,10,2` runs
the tests with controller-runtime's defaults (lease duration, renew deadline, retry period).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

import httpx

from pagerduty_devenv.stack import OperatorProcess
from support.waiting import wait_for

_timings = [
    float(part) for part in os.environ.get("PDO_LEADER_TIMINGS", "4,3,0.5").split(",") if part
]
LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD = int(_timings[0]), _timings[1], _timings[2]
LEADER_GAUGE = re.compile(r"^pagerduty_operator_leader (\S+)$", re.MULTILINE)


def leader_args(namespace: str, lease: str) -> list[str]:
    """The `run` options of a replica taking part in the election on `namespace/lease`."""
    return [
        "--leader-elect",
        "--leader-election-namespace",
        namespace,
        "--leader-election-id",
        lease,
        "--leader-elect-lease-duration",
        str(LEASE_DURATION),
        "--leader-elect-renew-deadline",
        str(RENEW_DEADLINE),
        "--leader-elect-retry-period",
        str(RETRY_PERIOD),
    ]


def is_leading(operator: OperatorProcess) -> bool | None:
    """The process's leader gauge; None when it does not answer (stopped, or starting)."""
    if operator.process.poll() is not None:
        return None
    try:
        text = operator.metrics()
    except httpx.HTTPError:
        return None
    found = LEADER_GAUGE.search(text)
    return None if found is None else float(found.group(1)) == 1.0


def the_leader(operators: Sequence[OperatorProcess], timeout: float = 60.0) -> OperatorProcess:
    """The one leading process (waits until exactly one of `operators` leads)."""

    def one() -> OperatorProcess | None:
        leading = [o for o in operators if is_leading(o)]
        return leading[0] if len(leading) == 1 else None

    return wait_for(
        one,
        what="exactly one leading operator",
        timeout=timeout,
        interval=0.05,
        describe=lambda: f"leader gauges: {[is_leading(o) for o in operators]}",
    )

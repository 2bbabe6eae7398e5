"""How close the client's rate limiter runs to the budget, against the simulator on loopback.

Starts the PagerDuty simulator (in a thread, 127.0.0.1 only) enforcing `--limit` requests per
minute per credential, then has `--workers` concurrent callers share one client (one credential)
and send `--requests` GETs as fast as the limiter allows. Real time, bounded by `--max-seconds`.

Reports: requests per minute achieved, the ratio of the run time to the lower bound
(`requests / (limit / 60)`), the most requests the simulator saw in any 60-second interval,
the 429 count (from the simulator's request log) and the limiter's counters.

    .venv/bin/python bench/client_ratelimit.py --limit 960 --requests 2000
    .venv/bin/python bench/client_ratelimit.py --limit 120 --requests 300 --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

import httpx

from pagerduty_operator.pagerduty import (
    ApiToken,
    ClientMetrics,
    Endpoints,
    LimiterRegistry,
    PagerDutyClient,
)
from pagerduty_simulator import SimulatorConfig, SimulatorServer

API_KEY = "y_SIMfake_acme_FULL1"  # the simulator's default seed (a fake key)
SERVICE = "PCHKOUT"


def max_in_window(times: list[float], window: float = 60.0) -> int:
    best = 0
    queue: deque[float] = deque()
    for t in sorted(times):
        queue.append(t)
        while t - queue[0] >= window:
            queue.popleft()
        best = max(best, len(queue))
    return best


async def run(limit: int, requests: int, workers: int, max_seconds: float) -> dict[str, Any]:
    handle = SimulatorServer(
        SimulatorConfig(host="127.0.0.1", rate_limit_per_minute=limit)
    ).start_in_thread()
    try:
        registry = LimiterRegistry()
        metrics = ClientMetrics()
        client = PagerDutyClient(
            ApiToken(API_KEY),
            endpoints=Endpoints.single_host(handle.us_url),
            limiters=registry,
            metrics=metrics,
        )
        remaining = requests
        deadline = time.monotonic() + max_seconds

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0 and time.monotonic() < deadline:
                remaining -= 1
                await client.services.get(SERVICE, include_integrations=False)

        started = time.monotonic()
        async with client:
            await asyncio.gather(*(worker() for _ in range(workers)))
        elapsed = time.monotonic() - started
        async with httpx.AsyncClient(base_url=handle.us_url + "/_simulator") as admin:
            log = (await admin.get("/requests")).json()["requests"]
    finally:
        handle.stop()
    rest = [entry for entry in log if entry["route"] == "/services/{id}"]
    ok = [entry for entry in rest if entry["status"] == 200]
    limited = [entry for entry in rest if entry["status"] == 429]
    stats = client.limiter.stats
    return {
        "limit_per_minute": limit,
        "workers": workers,
        "requests_ok": len(ok),
        "responses_429": len(limited),
        "elapsed_seconds": round(elapsed, 2),
        "achieved_per_minute": round(len(ok) / elapsed * 60, 1),
        "ratio_to_lower_bound": round(elapsed / (len(ok) / (limit / 60)), 3),
        "max_in_any_60s": max_in_window([entry["at"] for entry in ok]),
        "limiter_waits": stats.waits,
        "limiter_wait_seconds": round(stats.wait_seconds, 1),
        "limiter_pauses": stats.pauses,
        "learned_limit": stats.learned_limit,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--limit", type=int, default=960, help="simulator limit per minute")
    parser.add_argument("--requests", type=int, default=2000, help="requests to send")
    parser.add_argument("--workers", type=int, default=32, help="concurrent callers")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="hard stop (<= 900)")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args(argv)
    if not 0 < args.max_seconds <= 900 or args.limit < 1 or args.requests < 1:
        parser.error("need 0 < --max-seconds <= 900, --limit >= 1 and --requests >= 1")
    result = asyncio.run(run(args.limit, args.requests, args.workers, args.max_seconds))
    for key, value in result.items():
        print(f"{key:>24}: {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Requests per second the PagerDuty simulator serves on loopback.

Starts the simulator as its own process (`pagerduty-simulator`, 127.0.0.1, ephemeral
ports, REST and Events rate limits off, request logging off) and drives it with `--concurrency`
aiohttp clients for a bounded number of requests per scenario:

- `get_service`: `GET /services/{id}` (an API-key authenticated read),
- `list_webhooks`: `GET /webhook_subscriptions?filter_type=service&filter_id=...` (paginated list),
- `put_orchestration`: `PUT /event_orchestrations/services/{id}` with three rules,
- `create_delete_webhook`: `POST` then `DELETE /webhook_subscriptions` (two requests a cycle),
- `enqueue_event`: `POST /v2/enqueue` (Events API v2; each creates or de-duplicates an alert).

For each it reports wall-clock requests/second and the simulator process's CPU seconds
(from /proc), so `rps_per_server_cpu` shows the server's capacity even when the load generator,
sharing the machine, is the limit. Nothing leaves 127.0.0.1.

    .venv/bin/python bench/simulator_throughput.py --requests 2000 --concurrency 16 --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

API_KEY = "y_SIMfake_acme_FULL1"  # a fake key from the simulator's default seed
SERVICE = "PCHKOUT"
ROUTING_KEY = "cafe0000000000000000000000000001"  # the Checkout API integration key (fake)
HEADERS = {
    "Authorization": f"Token token={API_KEY}",
    "Accept": "application/vnd.pagerduty+json;version=2",
}
PATH_BODY = {
    "orchestration_path": {
        "sets": [
            {
                "id": "start",
                "rules": [
                    {
                        "label": f"rule {index}",
                        "conditions": [{"expression": f"event.summary matches part 'x{index}'"}],
                        "actions": {"severity": "warning", "annotate": "bench"},
                    }
                    for index in range(3)
                ],
            }
        ],
        "catch_all": {"actions": {}},
    }
}

Step = Callable[[aiohttp.ClientSession, int], Awaitable[int]]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc (0.0 where /proc is missing)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def start_simulator(port_file: Path) -> tuple[subprocess.Popen[bytes], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pagerduty_simulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--eu-port",
            "0",
            "--rate-limit",
            "0",
            "--events-rate-limit",
            "0",
            "--quiet",
            "--port-file",
            str(port_file),
        ],
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not port_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the simulator did not start")
        time.sleep(0.02)
    return process, json.loads(port_file.read_text())["us_url"]


def steps(base: str) -> dict[str, tuple[Step, int]]:
    """Scenario name -> (one step, requests per step)."""

    async def get_service(session: aiohttp.ClientSession, _: int) -> int:
        async with session.get(f"{base}/services/{SERVICE}") as response:
            await response.read()
            return response.status

    async def list_webhooks(session: aiohttp.ClientSession, _: int) -> int:
        params = {"filter_type": "service", "filter_id": SERVICE}
        async with session.get(f"{base}/webhook_subscriptions", params=params) as response:
            await response.read()
            return response.status

    async def put_orchestration(session: aiohttp.ClientSession, _: int) -> int:
        url = f"{base}/event_orchestrations/services/{SERVICE}"
        async with session.put(url, json=PATH_BODY) as response:
            await response.read()
            return response.status

    async def create_delete_webhook(session: aiohttp.ClientSession, index: int) -> int:
        body = {
            "webhook_subscription": {
                "type": "webhook_subscription",
                "delivery_method": {
                    "type": "http_delivery_method",
                    "url": f"https://r.invalid/{index}",
                },
                "events": ["incident.triggered"],
                "filter": {"type": "account_reference"},
            }
        }
        async with session.post(f"{base}/webhook_subscriptions", json=body) as response:
            created = await response.json()
            if response.status != 200:
                return response.status
        subscription_id = created["webhook_subscription"]["id"]
        async with session.delete(f"{base}/webhook_subscriptions/{subscription_id}") as response:
            return response.status

    async def enqueue_event(session: aiohttp.ClientSession, index: int) -> int:
        body = {
            "routing_key": ROUTING_KEY,
            "event_action": "trigger",
            "dedup_key": f"bench-{index % 50}",
            "payload": {"summary": "bench", "source": "bench", "severity": "info"},
        }
        async with session.post(f"{base}/v2/enqueue", json=body) as response:
            await response.read()
            return response.status

    return {
        "get_service": (get_service, 1),
        "list_webhooks": (list_webhooks, 1),
        "put_orchestration": (put_orchestration, 1),
        "create_delete_webhook": (create_delete_webhook, 2),
        "enqueue_event": (enqueue_event, 1),
    }


async def run_scenario(
    step: Step, per_step: int, requests: int, concurrency: int, pid: int
) -> dict[str, Any]:
    total_steps = max(1, requests // per_step)
    counter = iter(range(total_steps))
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(headers=HEADERS, connector=connector) as session:

        async def worker() -> None:
            nonlocal errors
            for index in counter:
                status = await step(session, index)
                if status >= 300:
                    errors += 1

        cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(pid) - cpu_before
    done = total_steps * per_step
    return {
        "requests": done,
        "seconds": round(elapsed, 3),
        "rps": round(done / elapsed, 1),
        "server_cpu_seconds": round(cpu, 3),
        "rps_per_server_cpu": round(done / cpu, 1) if cpu > 0 else None,
        "errors": errors,
    }


async def bench(
    base: str, pid: int, requests: int, concurrency: int, only: list[str]
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with aiohttp.ClientSession() as admin:  # reset between scenarios: same start state
        for name, (step, per_step) in steps(base).items():
            if only and name not in only:
                continue
            async with admin.post(f"{base}/_simulator/reset") as response:
                await response.read()
            await run_scenario(step, per_step, min(100, requests), concurrency, pid)  # warm-up
            results[name] = await run_scenario(step, per_step, requests, concurrency, pid)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per scenario")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--scenario", action="append", default=[], help="run only these")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, base = start_simulator(Path(tmp) / "ports.json")
        try:
            results = asyncio.run(
                bench(base, process.pid, args.requests, args.concurrency, args.scenario)
            )
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    report = {
        "benchmark": "simulator_throughput",
        "requests_per_scenario": args.requests,
        "concurrency": args.concurrency,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1m": os.getloadavg()[0],
        "scenarios": results,
    }
    for name, row in results.items():
        print(
            f"{name:24} {row['rps']:8.1f} req/s  "
            f"{row['rps_per_server_cpu'] or 0:8.1f} req per server CPU-s  errors={row['errors']}"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

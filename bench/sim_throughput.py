"""Simulator throughput inside `make bench`: `bench/simulator_throughput.py` with fewer requests.

Shows that the simulator is far faster than anything the operator asks of it, so the other
numbers are the operator's.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bench.report import BenchResult
from bench.simulator_throughput import bench, start_simulator


def run_simulator_throughput(work_dir: Path, requests: int, concurrency: int) -> BenchResult:
    result = BenchResult("6 simulator throughput")
    work_dir.mkdir(parents=True, exist_ok=True)
    process, base = start_simulator(work_dir / "throughput-ports.json")
    try:
        scenarios = asyncio.run(bench(base, process.pid, requests, concurrency, []))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    for name, row in scenarios.items():
        per_cpu = row["rps_per_server_cpu"]
        result.row(
            name,
            row["rps"],
            "req/s",
            note=f"{per_cpu or 0:.0f} per simulator CPU-second; {row['errors']} errors",
        )
    result.details.update(requests=requests, concurrency=concurrency, scenarios=scenarios)
    return result

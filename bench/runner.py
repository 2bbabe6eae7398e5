"""`make bench`: run the selected benchmarks, print the table, write results.json and results.md.

Benchmarks 1, 3, 4 and 5 share one scenario (the scale workload: converge, then an idle resync
window, then latency probes, then the operator's peak memory); 2 runs its own scenario with the
simulator's rate limit on; 6 runs the simulator alone. Everything listens on 127.0.0.1 only and
stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.control_plane_ceiling import measure_ceiling
from bench.convergence import BenchError, converge, report_convergence, setup_integrations
from bench.idle_resync import measure_idle_resync
from bench.latency import measure_latency
from bench.memory import measure_memory
from bench.rate_limited import run_rate_limited
from bench.report import BenchResult, markdown_table
from bench.sim_throughput import run_simulator_throughput
from bench.stack import REPO, Cluster, Scenario
from bench.workload import Workload

NAMES = (
    "convergence",
    "ratelimited",
    "idle",
    "idle-large",
    "latency",
    "memory",
    "simulator",
    "ceiling",
)
SCALE = ("convergence", "idle", "latency", "memory")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        default=",".join(NAMES),
        help=f"comma-separated benchmarks to run (default all: {','.join(NAMES)})",
    )
    parser.add_argument("--webhooks", type=int, default=1000, help="scale workload webhooks")
    parser.add_argument("--rules", type=int, default=100, help="scale workload rules")
    parser.add_argument("--integrations", type=int, default=10)
    parser.add_argument(
        "--large-webhooks", type=int, default=2000, help="webhooks of the second idle size"
    )
    parser.add_argument(
        "--large-rules", type=int, default=400, help="rules of the second idle size (same paths)"
    )
    parser.add_argument("--rl-webhooks", type=int, default=300, help="rate-limited webhooks")
    parser.add_argument("--rl-rules", type=int, default=30, help="rate-limited rules")
    parser.add_argument(
        "--resync", type=float, default=60.0, help="operator resync interval (s), the idle window"
    )
    parser.add_argument("--latency-changes", type=int, default=20)
    parser.add_argument("--latency-rule-changes", type=int, default=10)
    parser.add_argument("--sim-requests", type=int, default=1000)
    parser.add_argument("--sim-concurrency", type=int, default=16)
    parser.add_argument(
        "--ceiling-webhooks",
        type=int,
        default=1000,
        help="webhooks per variant of the control-plane ceiling (no operator)",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="per convergence (s)")
    parser.add_argument(
        "--operator-after",
        action="store_true",
        help="create the scale workload with the operator stopped, then time it from its start",
    )
    parser.add_argument("--results-dir", type=Path, default=REPO / "bench" / "results")
    parser.add_argument(
        "--keep-work-dir", action="store_true", help="keep control-plane and operator logs"
    )
    args = parser.parse_args(argv)
    selected = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = sorted(set(selected) - set(NAMES))
    if unknown:
        parser.error(f"unknown benchmarks {unknown}; choose from {', '.join(NAMES)}")
    args.selected = selected
    return args


def failed(name: str, error: Exception) -> BenchResult:
    result = BenchResult(name)
    result.row("error", None, note=str(error)[:300])
    return result


def run_scale(cluster: Cluster, args: argparse.Namespace) -> list[BenchResult]:
    workload = Workload("bench-scale", args.webhooks, args.rules, integrations=args.integrations)
    scenario = Scenario(cluster, workload, resync_seconds=args.resync)
    results: list[BenchResult] = []
    selected = set(args.selected)
    try:
        scenario.start()
        setup_integrations(scenario)
        convergence = BenchResult("1 convergence", details={"workload": workload.describe()})
        scenario.rss.mark("setup")
        converged = converge(scenario, args.timeout, operator_after=args.operator_after)
        scenario.rss.mark("convergence")
        report_convergence(convergence, converged)
        if "convergence" in selected:
            results.append(convergence)
        if "idle" in selected:
            results.append(measure_idle_resync(scenario, args.resync))
            scenario.rss.mark("idle resync")
        if "latency" in selected:
            results.append(
                measure_latency(scenario, args.latency_changes, args.latency_rule_changes)
            )
            scenario.rss.mark("latency")
        if "memory" in selected:
            results.append(measure_memory(scenario))
    except BenchError as error:
        results.append(failed("1 convergence", error))
    finally:
        scenario.stop()
    return results


def run_idle_large(cluster: Cluster, args: argparse.Namespace) -> list[BenchResult]:
    """Benchmark 3 again at a second size: the idle cost must not grow with objects."""
    workload = Workload(
        "bench-large", args.large_webhooks, args.large_rules, integrations=args.integrations
    )
    scenario = Scenario(cluster, workload, resync_seconds=args.resync)
    try:
        scenario.start()
        setup_integrations(scenario)
        converge(scenario, args.timeout * 2)
        return [measure_idle_resync(scenario, args.resync, "3b idle resync, second size")]
    except BenchError as error:
        return [failed("3b idle resync, second size", error)]
    finally:
        scenario.stop()


def environment(args: argparse.Namespace, started: float) -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "operator"],
        capture_output=True,
        text=True,
        cwd=REPO,
    ).stdout.strip()
    return {
        "commit": commit + ("+uncommitted operator changes" if dirty else ""),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "run_seconds": round(time.monotonic() - started, 1),
        "arguments": {k: v for k, v in vars(args).items() if k not in ("results_dir",)},
    }


def write_results(
    results: list[BenchResult], env: dict[str, Any], results_dir: Path, argv: list[str]
) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = results_dir / stamp
    out.mkdir(parents=True, exist_ok=True)
    rows = [row for result in results for row in result.rows]
    document = {
        "environment": env,
        "benchmarks": [
            {"name": r.name, "rows": [row.as_json() for row in r.rows], "details": r.details}
            for r in results
        ],
    }
    (out / "results.json").write_text(json.dumps(document, indent=2, default=str) + "\n")
    command = "make bench" + (f" ARGS='{' '.join(argv)}'" if argv else "")
    header = (
        f"# Benchmark results {stamp}\n\n"
        f"`{command}` at {env['commit']}, Python {env['python']}, {env['cpus']} CPUs, "
        f"load average {env['load_average_1m_at_end']} at the end, "
        f"{env['run_seconds']:.0f} s in all.\n\n"
    )
    (out / "results.md").write_text(header + markdown_table(rows))
    return out


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    work_dir = Path(tempfile.mkdtemp(prefix="pdo-bench-"))
    results: list[BenchResult] = []
    needs_cluster = bool(set(args.selected) & {*SCALE, "idle-large", "ratelimited", "ceiling"})
    cluster = Cluster(work_dir) if needs_cluster else None
    steps: list[tuple[str, Callable[[], list[BenchResult]]]] = []
    if cluster is not None and set(args.selected) & set(SCALE):
        steps.append(("scale", lambda: run_scale(cluster, args)))
    if cluster is not None and "idle-large" in args.selected:
        steps.append(("idle, second size", lambda: run_idle_large(cluster, args)))
    if cluster is not None and "ratelimited" in args.selected:
        steps.append(
            (
                "rate-limited",
                lambda: [run_rate_limited(cluster, args.rl_webhooks, args.rl_rules, args.timeout)],
            )
        )
    if cluster is not None and "ceiling" in args.selected:
        steps.append(("ceiling", lambda: [measure_ceiling(cluster, args.ceiling_webhooks)]))
    if "simulator" in args.selected:
        steps.append(
            (
                "simulator",
                lambda: [
                    run_simulator_throughput(
                        work_dir / "throughput", args.sim_requests, args.sim_concurrency
                    )
                ],
            )
        )
    try:
        if cluster is not None:
            print("starting the control plane ...", flush=True)
            cluster.start()
        for label, step in steps:
            print(f"running {label} ...", flush=True)
            try:
                results.extend(step())
            except BenchError as error:
                results.append(failed(label, error))
            print(markdown_table([row for r in results for row in r.rows]), flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
        if args.keep_work_dir:
            print(f"work dir (logs): {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    out = write_results(results, environment(args, started), args.results_dir, argv)
    print(f"results: {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")
    # Unmet targets are results, not failures; a benchmark that could not run is one.
    return 1 if any(row.metric == "error" for r in results for row in r.rows) else 0


if __name__ == "__main__":  # pragma: no cover - bench/run.py is the entry point
    sys.exit(main(sys.argv[1:]))

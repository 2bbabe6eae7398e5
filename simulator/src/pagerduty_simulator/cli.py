"""`pagerduty-simulator`: run the PagerDuty API simulator in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from pagerduty_simulator.config import SimulatorConfig
from pagerduty_simulator.seed import SeedError, load_seed
from pagerduty_simulator.server import SimulatorServer

log = logging.getLogger("pagerduty_simulator")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pagerduty-simulator",
        description=(
            "A local PagerDuty API simulator: REST API v2, OAuth, Events API v2 and webhook "
            "deliveries on a US and an EU origin. Admin API under /_simulator/ (docs/simulator.md)."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="US origin port (0 = any; default 8080)"
    )
    parser.add_argument(
        "--eu-port", type=int, default=8081, help="EU origin port (0 = any; default 8081)"
    )
    parser.add_argument(
        "--seed", type=Path, help="YAML or JSON seed file (default: the built-in seed)"
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=960,
        help="REST requests per credential per minute (0 = off)",
    )
    parser.add_argument(
        "--events-rate-limit",
        type=int,
        default=120,
        help="Events API v2 calls per routing key per minute (0 = off)",
    )
    parser.add_argument(
        "--port-file",
        type=Path,
        help='write {"us": PORT, "eu": PORT, ...} as JSON here once listening',
    )
    parser.add_argument("--quiet", action="store_true", help="do not log every request")
    return parser


def _write_port_file(path: Path, server: SimulatorServer) -> None:
    payload = {**server.ports, "us_url": server.us_url, "eu_url": server.eu_url, "pid": os.getpid()}
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(payload), encoding="utf-8")
    temporary.replace(path)


async def _serve(config: SimulatorConfig, port_file: Path | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with SimulatorServer(config) as server:
        if port_file is not None:
            _write_port_file(port_file, server)
        log.info(
            "US origin %s, EU origin %s (admin API under /_simulator/)",
            server.us_url,
            server.eu_url,
        )
        await stop.wait()
    log.info("simulator stopped")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator until SIGINT/SIGTERM; returns the process exit code."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else list(argv))
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        seed = load_seed(args.seed) if args.seed is not None else None
    except (OSError, SeedError) as error:
        log.error("cannot load the seed: %s", error)
        return 2
    config = SimulatorConfig(
        host=args.host,
        port=args.port,
        eu_port=args.eu_port,
        rate_limit_per_minute=args.rate_limit,
        events_rate_limit_per_minute=args.events_rate_limit,
        seed=seed,
        log_requests=not args.quiet,
    )
    try:
        asyncio.run(_serve(config, args.port_file))
    except OSError as error:
        log.error("cannot listen: %s", error)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

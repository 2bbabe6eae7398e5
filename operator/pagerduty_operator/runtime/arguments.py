"""Command-line options of `pagerduty-operator run`, each with a `PDO_*` environment default."""

from __future__ import annotations

import argparse

from pagerduty_operator.config import (
    DEFAULT_MAX_CONCURRENT_RECONCILES,
    DEFAULT_RESYNC_SECONDS,
    EndpointOverrides,
    OperatorConfig,
    env_default,
)
from pagerduty_operator.runtime.leader_arguments import (
    add_leader_election_arguments,
    leader_election_from_arguments,
)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of the `run` subcommand."""
    parser.add_argument(
        "--namespace",
        dest="namespaces",
        action="append",
        default=None,
        help="namespace to watch (repeatable; env PDO_NAMESPACES, comma-separated); "
        "default: all namespaces",
    )
    parser.add_argument(
        "--resync-interval",
        type=float,
        default=float(env_default("RESYNC_INTERVAL", str(DEFAULT_RESYNC_SECONDS))),
        help="seconds between drift checks of each resource (default 300)",
    )
    parser.add_argument(
        "--max-concurrent-reconciles",
        type=int,
        default=int(
            env_default("MAX_CONCURRENT_RECONCILES", str(DEFAULT_MAX_CONCURRENT_RECONCILES))
        ),
        help="reconciles running at the same time; the others wait their turn "
        "(env PDO_MAX_CONCURRENT_RECONCILES; "
        f"default {DEFAULT_MAX_CONCURRENT_RECONCILES}; 0: no limit)",
    )
    parser.add_argument(
        "--health-address",
        default=env_default("HEALTH_ADDRESS", "0.0.0.0:8081"),
        help="host:port of the liveness endpoint /healthz (and the readiness endpoint /readyz "
        "with --leader-elect)",
    )
    parser.add_argument(
        "--metrics-address",
        default=env_default("METRICS_ADDRESS", "0.0.0.0:8080"),
        help="host:port of the Prometheus metrics endpoint /metrics",
    )
    parser.add_argument(
        "--log-format", choices=["json", "text"], default=env_default("LOG_FORMAT", "json")
    )
    parser.add_argument("--log-level", default=env_default("LOG_LEVEL", "INFO"))
    parser.add_argument(
        "--peering",
        action="store_true",
        help="use kopf peering instead of standalone mode (kopf peering only pauses "
        "lower-priority operators; it is not leader election: see --leader-elect)",
    )
    parser.add_argument(
        "--no-cluster-scans",
        dest="cluster_scans",
        action="store_false",
        default=env_default("CLUSTER_SCANS", "true").strip().lower() not in ("false", "0", "no"),
        help="do not list or watch CustomResourceDefinitions and namespaces (for RBAC without "
        "cluster-scoped reads; env PDO_CLUSTER_SCANS=false): the CRDs are discovered once at "
        "start and the namespaces given with --namespace are assumed to exist",
    )
    add_leader_election_arguments(parser)
    for region in ("us", "eu"):
        parser.add_argument(
            f"--pagerduty-api-url-{region}",
            default=env_default(f"PAGERDUTY_API_URL_{region.upper()}"),
            help=f"override the PagerDuty REST API base URL for region {region}",
        )
        parser.add_argument(
            f"--pagerduty-events-url-{region}",
            default=env_default(f"PAGERDUTY_EVENTS_URL_{region.upper()}"),
            help=f"override the PagerDuty Events API base URL for region {region}",
        )
    parser.add_argument(
        "--pagerduty-oauth-url",
        default=env_default("PAGERDUTY_OAUTH_URL"),
        help="override the PagerDuty OAuth (identity) base URL",
    )


def config_from_arguments(args: argparse.Namespace) -> OperatorConfig:
    """Turn parsed options into the immutable operator configuration."""
    namespaces: list[str] = list(args.namespaces or [])
    if not namespaces and env_default("NAMESPACES"):
        namespaces = [n.strip() for n in env_default("NAMESPACES").split(",") if n.strip()]
    return OperatorConfig(
        namespaces=tuple(namespaces),
        resync_seconds=args.resync_interval,
        max_concurrent_reconciles=max(0, args.max_concurrent_reconciles),
        health_address=args.health_address,
        metrics_address=args.metrics_address,
        log_format=args.log_format,
        log_level=args.log_level.upper(),
        standalone=not args.peering,
        cluster_scans=args.cluster_scans,
        endpoints=EndpointOverrides(
            api_us=args.pagerduty_api_url_us,
            api_eu=args.pagerduty_api_url_eu,
            events_us=args.pagerduty_events_url_us,
            events_eu=args.pagerduty_events_url_eu,
            oauth=args.pagerduty_oauth_url,
        ),
        leader_election=leader_election_from_arguments(args),
    )

"""The `--leader-elect` options of `run`, with controller-runtime's names and defaults."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from pagerduty_operator.config import LeaderElection, env_default
from pagerduty_operator.runtime.lease import validate_timings

SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
TRUE = ("true", "1", "yes")


def add_leader_election_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--leader-elect",
        action="store_true",
        default=env_default("LEADER_ELECT", "false").strip().lower() in TRUE,
        help="reconcile only while holding a coordination.k8s.io Lease, so that several "
        "replicas can run: the others wait and take over (env PDO_LEADER_ELECT=true)",
    )
    parser.add_argument(
        "--leader-election-namespace",
        default=env_default("LEADER_ELECTION_NAMESPACE"),
        help="namespace of the Lease (env PDO_LEADER_ELECTION_NAMESPACE); default: the pod's "
        "namespace (service account namespace file, else env POD_NAMESPACE)",
    )
    parser.add_argument(
        "--leader-election-id",
        default=env_default("LEADER_ELECTION_ID", "pagerduty-operator"),
        help="name of the Lease (env PDO_LEADER_ELECTION_ID; default pagerduty-operator)",
    )
    parser.add_argument(
        "--leader-elect-lease-duration",
        type=int,
        default=int(env_default("LEADER_ELECT_LEASE_DURATION", "15")),
        help="seconds a standby waits after the last renewal it saw before taking the lease "
        "(env PDO_LEADER_ELECT_LEASE_DURATION; default 15)",
    )
    parser.add_argument(
        "--leader-elect-renew-deadline",
        type=float,
        default=float(env_default("LEADER_ELECT_RENEW_DEADLINE", "10")),
        help="seconds the leader keeps retrying a renewal before it gives up leading and exits "
        "(env PDO_LEADER_ELECT_RENEW_DEADLINE; default 10)",
    )
    parser.add_argument(
        "--leader-elect-retry-period",
        type=float,
        default=float(env_default("LEADER_ELECT_RETRY_PERIOD", "2")),
        help="seconds between attempts to acquire or renew the lease "
        "(env PDO_LEADER_ELECT_RETRY_PERIOD; default 2)",
    )


def own_namespace() -> str:
    """The pod's namespace: the service account's namespace file, else env POD_NAMESPACE."""
    try:
        namespace = SERVICE_ACCOUNT_NAMESPACE.read_text().strip()
    except OSError:
        namespace = ""
    return namespace or os.environ.get("POD_NAMESPACE", "").strip()


def leader_election_from_arguments(args: argparse.Namespace) -> LeaderElection | None:
    """The leader-election settings, or None without `--leader-elect`; ValueError when unusable."""
    if not args.leader_elect:
        return None
    namespace = args.leader_election_namespace.strip() or own_namespace()
    if not namespace:
        raise ValueError(
            "--leader-elect needs --leader-election-namespace outside a pod "
            "(no service account namespace file and no POD_NAMESPACE)"
        )
    if not args.leader_election_id.strip():
        raise ValueError("--leader-election-id must not be empty")
    validate_timings(
        args.leader_elect_lease_duration,
        args.leader_elect_renew_deadline,
        args.leader_elect_retry_period,
    )
    return LeaderElection(
        namespace=namespace,
        lease_name=args.leader_election_id.strip(),
        lease_duration=args.leader_elect_lease_duration,
        renew_deadline=args.leader_elect_renew_deadline,
        retry_period=args.leader_elect_retry_period,
    )

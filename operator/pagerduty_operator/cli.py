"""The `pagerduty-operator` console script: `run`, `crds`, `version`.

The PagerDuty simulator is not part of the operator's distribution: it is the
`pagerduty-simulator` console script of the `pagerduty-simulator` workspace member.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pagerduty_operator import __version__


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pagerduty-operator",
        description="Manage PagerDuty declaratively from Kubernetes custom resources.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the operator (kopf) against the current cluster")
    from pagerduty_operator.runtime.arguments import add_run_arguments

    add_run_arguments(run)
    commands.add_parser("crds", help="print the CustomResourceDefinitions as YAML")
    commands.add_parser("version", help="print the version")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    args = _build_parser().parse_args(args_list)
    if args.command == "version":
        print(__version__)
        return 0
    if args.command == "crds":
        from pagerduty_operator.crds import crds_yaml

        sys.stdout.write(crds_yaml())
        return 0
    from pagerduty_operator.runtime.arguments import config_from_arguments
    from pagerduty_operator.runtime.runner import run_operator

    try:
        config = config_from_arguments(args)
    except ValueError as error:
        print(f"pagerduty-operator run: error: {error}", file=sys.stderr)
        return 2
    return run_operator(config)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

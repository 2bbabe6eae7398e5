"""``python -m pagerduty_devenv up --dir DIR``: run a local control plane until stopped.

Prints the kubeconfig path and an ``export KUBECONFIG=...`` line once ready; SIGINT or SIGTERM
stops every component cleanly.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from pagerduty_devenv.binaries import BinariesNotFoundError
from pagerduty_devenv.controlplane import ControlPlane, ControlPlaneError


class _Stop(Exception):
    """Raised by the signal handler to leave the foreground wait."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pagerduty_devenv")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the control plane in the foreground")
    up.add_argument("--dir", type=Path, required=True, help="work dir (certs, kubeconfig, logs)")
    up.add_argument("--bin-dir", type=Path, default=None, help="default: $PDO_BIN_DIR or a build")
    up.add_argument("--timeout", type=float, default=120.0, help="start timeout in seconds")
    return parser


def up(work_dir: Path, bin_dir: Path | None, timeout: float) -> int:
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    control_plane = ControlPlane(work_dir, bin_dir, start_timeout=timeout)
    try:
        control_plane.start()
        print(f"control plane ready at {control_plane.server}", flush=True)
        print(f"kubeconfig: {control_plane.kubeconfig}", flush=True)
        print(f"export KUBECONFIG={control_plane.kubeconfig}", flush=True)
        while True:
            time.sleep(3600)
    except _Stop as stop:
        print(f"{stop}: stopping the control plane", file=sys.stderr, flush=True)
        return 0
    except (ControlPlaneError, BinariesNotFoundError) as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        control_plane.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return up(args.dir, args.bin_dir, args.timeout)


if __name__ == "__main__":
    sys.exit(main())

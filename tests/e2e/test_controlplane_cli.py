"""``python -m pagerduty_devenv up`` (the demo's entry point) runs and stops cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pagerduty_devenv import kubectl_path
from pagerduty_devenv.processes import process_group_alive

pytestmark = pytest.mark.e2e

START_LIMIT_SECONDS = 180.0


def _children(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            pids.append(int(entry.name))
    return pids


def _read_until_export(process: subprocess.Popen[str]) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + START_LIMIT_SECONDS
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("export KUBECONFIG="):
            return lines
    process.kill()
    _, stderr = process.communicate()
    pytest.fail(f"`up` never printed the export line; stdout={lines}, stderr={stderr[-3000:]}")


def test_up_prints_a_working_kubeconfig_and_stops_on_sigterm(tmp_path: Path) -> None:
    work_dir = tmp_path / "demo"
    process = subprocess.Popen(
        [sys.executable, "-m", "pagerduty_devenv", "up", "--dir", str(work_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _read_until_export(process)
        kubeconfig = Path(lines[-1].split("=", 1)[1])
        assert f"kubeconfig: {kubeconfig}" in lines
        assert kubeconfig == work_dir.resolve() / "kubeconfig"
        components = _children(process.pid)
        assert len(components) == 3

        namespaces = subprocess.run(
            [str(kubectl_path()), f"--kubeconfig={kubeconfig}", "get", "ns", "default", "-o=name"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert namespaces.stdout.strip() == "namespace/default"

        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0, stderr
    assert "SIGTERM" in stderr
    assert [pid for pid in components if process_group_alive(pid)] == []
    assert (work_dir / "logs" / "kube-apiserver.log").exists()

"""The README's main command works: `make demo ARGS=--once` converges every example."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_demo_brings_every_example_to_ready(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "hack" / "demo.py"), "--once", "--work-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "everything is Ready." in done.stdout
    for kind in ("pagerdutyintegration", "pagerdutywebhook", "pagerdutyincidentrule"):
        assert kind in done.stdout
    log = (tmp_path / "operator.log").read_text()
    for fake_secret in ("y_SIMfake_acme_FULL1", "fake-receiver-key-not-a-real-secret"):
        assert fake_secret not in log
    assert "Traceback" not in log

"""The README's main command works: `make demo ARGS=--once` converges every example."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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
    secrets = _example_secret_values()
    assert secrets
    leaked = [name for name, value in secrets.items() if value in log or value in done.stdout]
    assert not leaked
    assert "Traceback" not in log


def _example_secret_values() -> dict[str, str]:
    """Every value of every Secret in examples/ (the demo's credentials and header values)."""
    values = {}
    for path in sorted((REPO / "examples").glob("*/*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "Secret":
                for key, value in (doc.get("stringData") or {}).items():
                    if len(str(value)) >= 8:
                        values[f"{doc['metadata']['name']}/{key}"] = str(value)
    return values

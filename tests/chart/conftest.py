"""Fixtures of the chart tests: the pinned helm binary and the value sets the tests render."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chart_helpers import Helm, helm_binary

from pagerduty_devenv import ControlPlane
from pagerduty_devenv.stack import SimulatorProcess


@pytest.fixture(scope="session")
def helm() -> Helm:
    """helm without a cluster (lint and template)."""
    return Helm(helm_binary())


@pytest.fixture(scope="session")
def servicemonitor_crd(control_plane: ControlPlane) -> str:
    """A stand-in ServiceMonitor CRD (tests/chart/fixtures): another project's custom kind."""
    path = Path(__file__).resolve().parent / "fixtures" / "servicemonitor-crd.yaml"
    control_plane.kubectl("apply", "--server-side", "--field-manager=pdo-tests", "-f", str(path))
    name = "servicemonitors.monitoring.coreos.com"
    control_plane.kubectl("wait", "--for=condition=Established", "--timeout=60s", f"crd/{name}")
    return name


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[SimulatorProcess]:
    """A PagerDuty simulator of the test's own, with the default seed."""
    process = SimulatorProcess(tmp_path)
    process.start()
    yield process
    process.stop()

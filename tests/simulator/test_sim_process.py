"""Running the simulator: the CLI as a process (port file, signals) and the thread handle."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sim_helpers import token_headers

from pagerduty_simulator import SimulatorConfig, SimulatorServer, load_seed
from pagerduty_simulator.cli import main
from support.sim_seed import EU_FULL, US_FULL

READY_TIMEOUT = 60.0


def wait_for_file(path: Path, process: subprocess.Popen[bytes]) -> dict[str, object]:
    deadline = time.monotonic() + READY_TIMEOUT
    while not path.exists():
        assert process.poll() is None, "the simulator exited early"
        assert time.monotonic() < deadline, "the simulator never wrote its port file"
        time.sleep(0.02)
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


# The `pagerduty-simulator` console script of this environment, and `python -m pagerduty_simulator`.
CONSOLE_SCRIPT = [str(Path(sys.executable).parent / "pagerduty-simulator")]
MODULE = [sys.executable, "-m", "pagerduty_simulator"]


def _start_cli(
    port_file: Path, extra: list[str], *, stderr: int, command: list[str] = CONSOLE_SCRIPT
) -> subprocess.Popen[bytes]:
    """The simulator's CLI on free ports (both regions), writing its ports to `port_file`."""
    argv = ["--port", "0", "--eu-port", "0", "--port-file", str(port_file), *extra]
    return subprocess.Popen([*command, *argv], stderr=stderr)


def test_cli_serves_both_regions_and_stops_on_sigterm(tmp_path: Path) -> None:
    port_file = tmp_path / "ports.json"
    process = _start_cli(port_file, ["--rate-limit", "3"], stderr=subprocess.PIPE)
    try:
        ports = wait_for_file(port_file, process)
        assert ports["pid"] == process.pid
        us = httpx.get(f"http://127.0.0.1:{ports['us']}/abilities", headers=token_headers(US_FULL))
        assert us.status_code == 200
        assert us.headers["ratelimit-limit"] == "3"
        eu = httpx.get(f"{ports['eu_url']}/abilities", headers=token_headers(EU_FULL))
        assert eu.status_code == 200
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    log = stderr.decode()
    assert "GET /abilities -> 200" in log  # requests are logged at INFO ...
    assert US_FULL not in log
    assert EU_FULL not in log


def test_cli_rejects_a_bad_seed(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("accounts: [{subdomain: x, region: mars}]")
    assert main(["--seed", str(seed), "--port", "0", "--eu-port", "0"]) == 2
    assert main(["--seed", str(tmp_path / "missing.yaml")]) == 2


def test_cli_loads_a_seed_file(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "accounts:\n"
        "  - subdomain: tiny\n"
        "    users: [{id: PTINY01, name: T, email: t@tiny.example}]\n"
        "    escalation_policies: [{id: PTINYEP, name: EP}]\n"
        "    services: [{id: PTINYS1, name: Only}]\n"
        "    api_keys: [{label: k, token: y_SIMfake_tiny_FULL1}]\n"
    )
    port_file = tmp_path / "ports.json"
    process = _start_cli(
        port_file, ["--seed", str(seed), "--quiet"], stderr=subprocess.DEVNULL, command=MODULE
    )
    try:
        ports = wait_for_file(port_file, process)
        response = httpx.get(
            f"{ports['us_url']}/services", headers=token_headers("y_SIMfake_tiny_FULL1")
        )
        assert [s["id"] for s in response.json()["services"]] == ["PTINYS1"]
        assert (
            httpx.get(f"{ports['us_url']}/services", headers=token_headers(US_FULL)).status_code
            == 401
        )
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_start_in_thread() -> None:
    handle = SimulatorServer(SimulatorConfig()).start_in_thread()
    us_url = handle.us_url
    try:
        response = httpx.get(f"{handle.us_url}/services/PCHKOUT", headers=token_headers(US_FULL))
        assert response.status_code == 200
        assert httpx.get(f"{handle.eu_url}/_simulator/health").json()["ok"] is True
    finally:
        handle.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{us_url}/services", headers=token_headers(US_FULL))


def test_load_seed_accepts_paths_and_mappings(tmp_path: Path) -> None:
    mapping = {"accounts": [{"subdomain": "m", "users": [{"name": "U", "email": "u@m.example"}]}]}
    assert load_seed(mapping).document["accounts"][0]["subdomain"] == "m"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(mapping))
    assert load_seed(path).source == str(path)
    assert load_seed(str(path)).document == load_seed(path).document


async def test_explicit_ports_are_used() -> None:
    probe = SimulatorServer(SimulatorConfig())
    async with probe:
        us_port, eu_port = probe.ports["us"], probe.ports["eu"]
    config = SimulatorConfig(port=us_port, eu_port=eu_port)
    async with SimulatorServer(config) as server:
        assert server.us_url == f"http://127.0.0.1:{us_port}"
        assert server.eu_url == f"http://127.0.0.1:{eu_port}"

"""The simulator and the operator as real processes, for the e2e tests and the local demo.

`SimulatorProcess` runs `pagerduty-simulator` on free loopback ports and offers its admin API;
`OperatorProcess` runs `pagerduty-operator run` against a kubeconfig with the endpoint overrides
pointing at the simulator, and can be killed (SIGKILL) to test crash safety. Both run as the
interpreter's modules, so the operator must be installed in the same environment (it is the
program under test, not a dependency of this package).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from pagerduty_devenv.processes import ManagedProcess, free_port


def console_script() -> list[str]:
    """The `pagerduty-operator` command of this interpreter's environment."""
    return [sys.executable, "-m", "pagerduty_operator.cli"]


def simulator_script() -> list[str]:
    """The `pagerduty-simulator` command of this interpreter's environment."""
    return [sys.executable, "-m", "pagerduty_simulator"]


class SimulatorProcess:
    """`pagerduty-simulator` on two free ports (US and EU origins)."""

    def __init__(self, work_dir: Path, *, rate_limit: int = 0, seed: Path | None = None) -> None:
        self.work_dir = work_dir
        self._port_file = work_dir / "simulator-ports.json"
        argv = [
            *simulator_script(),
            "--port",
            "0",
            "--eu-port",
            "0",
            "--rate-limit",
            str(rate_limit),
            "--port-file",
            str(self._port_file),
            "--quiet",
        ]
        if seed is not None:
            argv += ["--seed", str(seed)]
        self.process = ManagedProcess("simulator", argv, work_dir / "simulator.log")
        self.us_url = ""
        self.eu_url = ""

    def start(self, timeout: float = 30.0) -> None:
        self._port_file.unlink(missing_ok=True)
        self.process.start()
        deadline = time.monotonic() + timeout
        while not self._port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"simulator did not start:\n{self.process.log_tail()}")
            time.sleep(0.05)
        ports = json.loads(self._port_file.read_text())
        self.us_url = f"http://127.0.0.1:{ports['us']}"
        self.eu_url = f"http://127.0.0.1:{ports['eu']}"

    def stop(self) -> None:
        self.process.stop()

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the admin API (`path` below `/_simulator/`); returns the decoded JSON or None."""
        response = httpx.request(method, f"{self.us_url}/_simulator/{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def endpoint_arguments(self) -> list[str]:
        return [
            "--pagerduty-api-url-us",
            self.us_url,
            "--pagerduty-events-url-us",
            self.us_url,
            "--pagerduty-api-url-eu",
            self.eu_url,
            "--pagerduty-events-url-eu",
            self.eu_url,
            "--pagerduty-oauth-url",
            self.us_url,
        ]


class OperatorProcess:
    """`pagerduty-operator run` as a child process with its log in `work_dir`."""

    def __init__(
        self,
        work_dir: Path,
        kubeconfig: Path,
        simulator: SimulatorProcess,
        *,
        namespaces: list[str] | None = None,
        resync_seconds: float = 300.0,
        extra_args: list[str] | None = None,
        name: str = "operator",
        command: list[str] | None = None,
    ) -> None:
        """An operator process; `command` replaces this environment's `pagerduty-operator`.

        For the same program in a built image: `buildah run ... -- pagerduty-operator`. The
        command gets `KUBECONFIG` in its environment, which a container runner must pass on.
        """
        self.health_port = free_port()
        self.metrics_port = free_port()
        argv = [
            *(command or console_script()),
            "run",
            "--log-format",
            "json",
            "--resync-interval",
            str(resync_seconds),
            "--health-address",
            f"127.0.0.1:{self.health_port}",
            "--metrics-address",
            f"127.0.0.1:{self.metrics_port}",
            *simulator.endpoint_arguments(),
            *(extra_args or []),
        ]
        for namespace in namespaces or []:
            argv += ["--namespace", namespace]
        env = dict(os.environ, KUBECONFIG=str(kubeconfig), PYTHONUNBUFFERED="1")
        self.log_path = work_dir / f"{name}.log"
        self._argv, self._env, self._name = argv, env, name
        self.process = ManagedProcess(name, argv, self.log_path, env=env)

    def start(self, timeout: float = 60.0) -> None:
        self.process.start()
        self.process.wait_healthy(f"http://127.0.0.1:{self.health_port}/healthz", timeout)

    def kill(self) -> None:
        """SIGKILL the operator: no cleanup, no finalizers, as in a node crash."""
        pid = self.process.pid
        if pid is not None:
            os.killpg(pid, signal.SIGKILL)
        self.process.stop(grace=5)

    def restart(self, timeout: float = 60.0) -> None:
        self.process = ManagedProcess(self._name, self._argv, self.log_path, env=self._env)
        self.start(timeout)

    def stop(self) -> None:
        self.process.stop()

    def metrics(self) -> str:
        return httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).text

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

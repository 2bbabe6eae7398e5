"""Child processes that never outlive their owner.

Each ``ManagedProcess`` runs in its own session (so its whole process group can be signalled),
logs to a file, and is stopped with SIGTERM then SIGKILL after a grace period. Every process still
running at interpreter exit is stopped by an ``atexit`` hook; when started from the main thread,
the kernel also kills it if this interpreter dies without running that hook (SIGKILL, OOM, ...).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

_PR_SET_PDEATHSIG = 1
_running: set[ManagedProcess] = set()
_running_lock = threading.Lock()


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_group_alive(pgid: int) -> bool:
    """Whether any process of the process group ``pgid`` still exists (zombies included)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ManagedProcess:
    """One long-running child in its own process group, with its output in ``log_path``."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self._env = env
        self._cwd = cwd
        self._popen: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"ManagedProcess({self.name!r}, pid={self.pid}, log={str(self.log_path)!r})"

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    def start(self) -> None:
        if self._popen is not None:
            raise RuntimeError(f"{self.name} already started")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        in_main_thread = threading.current_thread() is threading.main_thread()
        with self.log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env,
                cwd=self._cwd,
                start_new_session=True,
                # PDEATHSIG fires when the spawning *thread* exits, so only use it from the main
                # thread; the atexit hook covers the rest.
                preexec_fn=_die_with_parent if in_main_thread else None,
            )
        with _running_lock:
            _running.add(self)

    def poll(self) -> int | None:
        """The exit code if the process has exited, else None."""
        return self._popen.poll() if self._popen else None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def wait_healthy(self, url: str, timeout: float = 60.0) -> None:
        """Wait until `url` answers 2xx; RuntimeError with the log tail if it exits or times out."""
        deadline = time.monotonic() + timeout
        while True:
            if self.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            try:
                if httpx.get(url, timeout=1).is_success:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not healthy in time:\n{self.log_tail()}")
            time.sleep(0.2)

    def _alive(self, popen: subprocess.Popen[bytes]) -> bool:
        # poll() reaps the leader, so a zombie leader does not count as alive.
        return popen.poll() is None or process_group_alive(popen.pid)

    def terminate(self) -> None:
        """Send SIGTERM to the whole process group (no-op when it is gone already)."""
        popen = self._popen
        if popen is not None and self._alive(popen):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, signal.SIGTERM)

    def wait_stopped(self, grace: float = 10.0) -> None:
        """Wait up to ``grace`` seconds for the group to exit, then SIGKILL it and reap."""
        popen = self._popen
        if popen is None:
            return
        deadline = time.monotonic() + grace
        while self._alive(popen) and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._alive(popen):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, signal.SIGKILL)
            popen.wait()
            # Grandchildren (none expected) are reaped by init; do not hang on them forever.
            deadline = time.monotonic() + grace
            while process_group_alive(popen.pid) and time.monotonic() < deadline:
                time.sleep(0.01)
        with _running_lock:
            _running.discard(self)

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds, and reap it."""
        self.terminate()
        self.wait_stopped(grace)


def stop_all(grace: float = 5.0) -> None:
    """Stop every ManagedProcess still running (the atexit hook)."""
    with _running_lock:
        remaining = list(_running)
    for process in remaining:
        process.terminate()
    for process in remaining:
        process.wait_stopped(grace=grace)


atexit.register(stop_all)

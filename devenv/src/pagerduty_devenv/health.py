"""Readiness probing: small HTTP(S) GETs and a bounded wait that notices dead components."""

from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence

from pagerduty_devenv.processes import ManagedProcess


class ComponentFailedError(RuntimeError):
    """A component exited, or a readiness condition did not hold in time."""


def http_status(url: str, context: ssl.SSLContext | None = None, timeout: float = 2.0) -> int:
    """Return the HTTP status of GET ``url`` (0 when nothing answers)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return 0


def client_context(ca_file: str, cert_file: str, key_file: str) -> ssl.SSLContext:
    """An SSL context that trusts ``ca_file`` and presents the given client certificate."""
    context = ssl.create_default_context(cafile=ca_file)
    context.load_cert_chain(cert_file, key_file)
    return context


def insecure_context() -> ssl.SSLContext:
    """An SSL context for self-signed loopback health endpoints (no data, no credentials sent)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def wait_until(
    description: str,
    condition: Callable[[], bool],
    *,
    deadline: float,
    watched: Sequence[ManagedProcess],
    interval: float = 0.1,
) -> None:
    """Poll ``condition`` until true; fail fast if a watched process exits, or at ``deadline``."""
    while True:
        for process in watched:
            code = process.poll()
            if code is not None:
                raise ComponentFailedError(
                    f"{process.name} exited with code {code} while waiting for {description}"
                )
        if condition():
            return
        if time.monotonic() >= deadline:
            raise ComponentFailedError(f"timed out waiting for {description}")
        time.sleep(interval)

"""A loopback webhook receiver and PagerDuty's v3 signature check, for delivery tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SIGNATURE_HEADER = "X-PagerDuty-Signature"


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` (`v1=<hex>[,v1=<hex>...]`) holds the HMAC-SHA256 of `body` with `secret`."""
    if not header:
        return False
    expected = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))


@dataclass(frozen=True)
class Received:
    """One POST the receiver got: its path, the raw body and the headers (lower-case names)."""

    path: str
    body: bytes
    headers: dict[str, str]

    def __repr__(self) -> str:
        return f"Received({len(self.body)} bytes)"


class Receiver:
    """A loopback HTTP server that records every POST and answers 202."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        lock = threading.Lock()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with lock:
                    received.append(
                        Received(self.path, body, {k.lower(): v for k, v in self.headers.items()})
                    )
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/pagerduty"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def events(self) -> Iterator[tuple[str, Received]]:
        """(event_type, delivery) of everything received so far."""
        for item in list(self.received):
            yield json.loads(item.body)["event"]["event_type"], item

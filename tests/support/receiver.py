"""A loopback webhook receiver, and PagerDuty's v3 signature check done independently.

PagerDuty signs each delivery with `X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the raw body
keyed with the subscription's signing secret>` (several comma-separated `v1=` values during a
secret rotation). The receiver records every POST with its raw body; nothing it holds is printed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SIGNATURE_HEADER = "x-pagerduty-signature"
SUBSCRIPTION_HEADER = "x-webhook-subscription"


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` carries `v1=` + the HMAC-SHA256 of `body` keyed with `secret`."""
    if not header or not secret:
        return False
    expected = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))


@dataclass(frozen=True)
class Delivery:
    """One POST the receiver got: path, raw body, headers (lower-case names); never printed."""

    path: str
    body: bytes = field(repr=False)
    headers: dict[str, str] = field(repr=False)

    @property
    def subscription_id(self) -> str:
        return self.headers.get(SUBSCRIPTION_HEADER, "")

    @property
    def signature(self) -> str | None:
        return self.headers.get(SIGNATURE_HEADER)


class Receiver:
    """A threaded HTTP server on 127.0.0.1 that answers 202 to every POST and records it.

    `start`/`stop`, or use it as a context manager.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Delivery] = []
        lock, received = self._lock, self._received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with lock:
                    received.append(Delivery(self.path, body, headers))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """A delivery URL on this receiver."""
        return f"{self.base_url}/pagerduty"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Receiver:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def received(self) -> list[Delivery]:
        """Everything received so far, in order."""
        with self._lock:
            return list(self._received)

    def deliveries(self, subscription_id: str) -> list[Delivery]:
        """What the subscription `subscription_id` delivered so far, in order."""
        return [d for d in self.received() if d.subscription_id == subscription_id]

    def events(self) -> Iterator[tuple[str, Delivery]]:
        """(event_type, delivery) of everything received so far."""
        for item in self.received():
            yield json.loads(item.body)["event"]["event_type"], item

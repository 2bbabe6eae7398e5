"""Plain counters of the client's traffic, for the operator to export (no Prometheus here).

A :class:`ClientMetrics` is shared by every client of a process by default
(:func:`default_metrics`); the operator reads :meth:`ClientMetrics.snapshot` from a collector
callback. Keys are method, path *template* and status, so label cardinality stays bounded.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ClientMetrics:
    """Counters: requests by (method, path template, status), retries, ambiguous writes, tokens.

    `status` is the HTTP status as a string, or the failure class (`timeout`, `connection`,
    `ambiguous` ...) when there was no response.
    """

    requests: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    ambiguous_writes: int = 0
    token_requests: Counter[str] = field(default_factory=Counter)

    def record_request(self, method: str, path: str, status: str) -> None:
        self.requests[(method, path, status)] += 1
        if status == "429":
            self.rate_limited += 1

    def record_retry(self, reason: str) -> None:
        self.retries[reason] += 1

    def record_token_request(self, outcome: str) -> None:
        self.token_requests[outcome] += 1

    def total_requests(self) -> int:
        return sum(self.requests.values())

    def snapshot(self) -> dict[str, Any]:
        """A JSON-friendly copy of every counter."""
        return {
            "requests": [
                {"method": m, "path": p, "status": s, "count": n}
                for (m, p, s), n in sorted(self.requests.items())
            ],
            "retries": dict(self.retries),
            "rate_limited": self.rate_limited,
            "ambiguous_writes": self.ambiguous_writes,
            "token_requests": dict(self.token_requests),
        }


_DEFAULT = ClientMetrics()


def default_metrics() -> ClientMetrics:
    """The process-wide counters used when a client is not given its own."""
    return _DEFAULT

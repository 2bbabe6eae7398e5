"""The request log: every API call with its route template and status, for tests and benchmarks."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any

MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class LoggedRequest:
    seq: int
    at: float
    region: str
    method: str
    route: str
    path: str
    status: int
    credential: str | None
    fault: str | None
    duration_ms: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """A bounded, sequence-numbered log of requests (the oldest entries fall off first)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=max_entries)
        self._next_seq = 1

    @property
    def last_seq(self) -> int:
        """The sequence number of the newest entry (0 when nothing was logged yet)."""
        return self._next_seq - 1

    def append(
        self,
        *,
        at: float,
        region: str,
        method: str,
        route: str,
        path: str,
        status: int,
        credential: str | None,
        fault: str | None,
        duration_ms: float,
    ) -> LoggedRequest:
        entry = LoggedRequest(
            seq=self._next_seq,
            at=at,
            region=region,
            method=method,
            route=route,
            path=path,
            status=status,
            credential=credential,
            fault=fault,
            duration_ms=round(duration_ms, 3),
        )
        self._next_seq += 1
        self._entries.append(entry)
        return entry

    def since(self, seq: int) -> list[LoggedRequest]:
        """Entries with a sequence number greater than `seq`."""
        return [entry for entry in self._entries if entry.seq > seq]

    def clear(self) -> None:
        """Forget every entry; sequence numbers keep increasing."""
        self._entries.clear()

    @staticmethod
    def counts(entries: list[LoggedRequest]) -> list[dict[str, Any]]:
        """How many requests per method, route template and status."""
        counter: Counter[tuple[str, str, int]] = Counter(
            (entry.method, entry.route, entry.status) for entry in entries
        )
        return [
            {"method": method, "route": route, "status": status, "count": count}
            for (method, route, status), count in sorted(counter.items())
        ]

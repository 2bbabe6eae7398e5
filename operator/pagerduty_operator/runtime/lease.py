"""The leader-election decisions on a `coordination.k8s.io/v1` Lease, without any I/O.

client-go's algorithm (`tools/leaderelection`, `tryAcquireOrRenew` and `release`), kept pure so
that unit tests drive it with a fake clock:

- A candidate remembers the last record it observed and *when it observed it on its own
  monotonic clock*. A lease held by someone else is valid until `leaseDurationSeconds` after that
  local observation time: clocks of different machines are never compared, only the record
  changing or not.
- A lease with an empty `holderIdentity` (released) is free at once.
- A new holder increments `leaseTransitions`; the holder renewing keeps `acquireTime`.
- Releasing writes an empty holder and a lease duration of one second (client-go's
  `ReleaseOnCancel`).

The writes themselves are optimistic (`resourceVersion` on replace, create fails when the Lease
exists), so two candidates deciding at once never both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

MICRO_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"
"""The wire format of `metav1.MicroTime` (RFC 3339 with microseconds, UTC)."""


@dataclass(frozen=True)
class LeaseRecord:
    """The election fields of a Lease's spec."""

    holder: str
    lease_duration_seconds: int
    acquire_time: datetime | None = None
    renew_time: datetime | None = None
    transitions: int = 0

    def spec(self) -> dict[str, Any]:
        """The Lease spec holding this record."""
        spec: dict[str, Any] = {
            "holderIdentity": self.holder,
            "leaseDurationSeconds": self.lease_duration_seconds,
            "leaseTransitions": self.transitions,
        }
        if self.acquire_time is not None:
            spec["acquireTime"] = format_micro_time(self.acquire_time)
        if self.renew_time is not None:
            spec["renewTime"] = format_micro_time(self.renew_time)
        return spec

    @classmethod
    def from_spec(cls, spec: dict[str, Any] | None) -> LeaseRecord:
        spec = spec or {}
        return cls(
            holder=str(spec.get("holderIdentity") or ""),
            lease_duration_seconds=int(spec.get("leaseDurationSeconds") or 0),
            acquire_time=parse_micro_time(spec.get("acquireTime")),
            renew_time=parse_micro_time(spec.get("renewTime")),
            transitions=int(spec.get("leaseTransitions") or 0),
        )


def format_micro_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(MICRO_TIME)


def parse_micro_time(value: object) -> datetime | None:
    """A MicroTime (or a plain RFC 3339 time) from the wire; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass
class ElectionState:
    """What one candidate knows: its identity and the last record it observed, and when."""

    identity: str
    lease_duration: int
    observed: LeaseRecord | None = None
    observed_at: float = 0.0
    """Local monotonic time at which `observed` was first seen (or written) as it is."""

    def is_leader(self) -> bool:
        return self.observed is not None and self.observed.holder == self.identity

    def lease_valid(self, now: float) -> bool:
        """Whether the observed record still holds at local time `now`."""
        if self.observed is None:
            return False
        return now < self.observed_at + self.observed.lease_duration_seconds

    def observe(self, record: LeaseRecord, now: float) -> None:
        """Remember `record` as read from the apiserver; the clock restarts only when it changed."""
        if record != self.observed:
            self.observed = record
            self.observed_at = now

    def written(self, record: LeaseRecord, now: float) -> None:
        """`record` was written successfully at local time `now`."""
        self.observed = record
        self.observed_at = now

    def new_record(self, wall: datetime) -> LeaseRecord:
        """The record of a candidate taking a Lease that does not exist yet."""
        return LeaseRecord(self.identity, self.lease_duration, wall, wall, 0)

    def renewal(self, wall: datetime) -> LeaseRecord | None:
        """The leader's fast-path renewal of the record it wrote last; None when not leading."""
        if not self.is_leader() or self.observed is None:
            return None
        return replace(self.observed, renew_time=wall, lease_duration_seconds=self.lease_duration)

    def claim(self, current: LeaseRecord, now: float, wall: datetime) -> LeaseRecord | None:
        """The record to write after reading `current`, or None: someone else validly holds it."""
        self.observe(current, now)
        if current.holder and current.holder != self.identity and self.lease_valid(now):
            return None
        if current.holder == self.identity:
            return LeaseRecord(
                self.identity,
                self.lease_duration,
                current.acquire_time or wall,
                wall,
                current.transitions,
            )
        return LeaseRecord(self.identity, self.lease_duration, wall, wall, current.transitions + 1)

    def release_record(self, wall: datetime) -> LeaseRecord | None:
        """The record that gives the lease up (None when not leading)."""
        if not self.is_leader() or self.observed is None:
            return None
        return LeaseRecord("", 1, wall, wall, self.observed.transitions)


def validate_timings(lease_duration: float, renew_deadline: float, retry_period: float) -> None:
    """client-go's checks: lease duration > renew deadline > retry period * 1.2, all positive."""
    if lease_duration != int(lease_duration) or lease_duration < 1:
        raise ValueError("the lease duration must be a whole number of seconds, at least 1")
    if retry_period <= 0:
        raise ValueError("the retry period must be positive")
    if lease_duration <= renew_deadline:
        raise ValueError("the lease duration must be greater than the renew deadline")
    if renew_deadline <= JITTER_FACTOR * retry_period:
        raise ValueError(
            f"the renew deadline must be greater than the retry period times {JITTER_FACTOR}"
        )


JITTER_FACTOR = 1.2

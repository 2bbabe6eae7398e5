"""Service timers on the simulator clock: acknowledgement timeout and auto-resolution.

An acknowledged incident returns to triggered `acknowledgement_timeout` seconds after its
acknowledgement; an open incident resolves `auto_resolve_timeout` seconds after it was
triggered (or reopened). Timers fire lazily: before every request the simulator answers and
right after an admin clock advance, in deadline order, so what a test sees after a jump of the
clock does not depend on real time or scheduling.
"""

from __future__ import annotations

from dataclasses import dataclass

from pagerduty_simulator.incidents import set_incident_status
from pagerduty_simulator.models import Account, Incident
from pagerduty_simulator.state import SimulatorState


@dataclass(frozen=True)
class Due:
    deadline: float
    status: str
    account: Account
    incident: Incident


def _next_due(state: SimulatorState, now: float) -> Due | None:
    found: Due | None = None
    for account in state.accounts.values():
        for incident in account.incidents.values():
            service = account.services.get(incident.service_id)
            if service is None or incident.status == "resolved":
                continue
            candidates: list[tuple[float, str]] = []
            if (
                incident.status == "acknowledged"
                and service.acknowledgement_timeout
                and incident.acknowledged_at_ts is not None
            ):
                candidates.append(
                    (incident.acknowledged_at_ts + service.acknowledgement_timeout, "triggered")
                )
            if service.auto_resolve_timeout:
                candidates.append(
                    (incident.opened_at_ts + service.auto_resolve_timeout, "resolved")
                )
            for deadline, status in candidates:
                if deadline <= now and (found is None or deadline < found.deadline):
                    found = Due(deadline, status, account, incident)
    return found


def run_due(state: SimulatorState) -> int:
    """Fire every timer that is due on the simulator clock; returns how many fired."""
    now = state.clock.time()
    fired = 0
    while (due := _next_due(state, now)) is not None:
        set_incident_status(state, due.account, due.incident, due.status)
        if due.status == "triggered":
            due.incident.acknowledged_at_ts = None
        fired += 1
    return fired

"""The one mapping from failures to a condition reason, a message and a retry decision.

Transient failures (rate limits, server errors, timeouts, a write that may have happened) are
retried with backoff, a reached product limit every 20 seconds; failures a person must fix
(credentials, scopes, invalid input) are reported and re-checked at the next resync, or sooner
when a watched Secret changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pagerduty_operator.models.reasons import Problem, Reason, SharedReason
from pagerduty_operator.pagerduty import (
    AmbiguousWriteError,
    AuthenticationError,
    InvalidInputError,
    MissingAbilityError,
    MissingScopeError,
    NotFoundError,
    PagerDutyError,
    ProductLimitError,
    TransientError,
    UnknownPriorityError,
)

TRANSIENT_RETRY_SECONDS = 10.0
AMBIGUOUS_RETRY_SECONDS = 2.0
LIMIT_RETRY_SECONDS = 20.0
"""A product limit frees up without any Kubernetes event (another resource's replacement, which
holds two places for a moment, finishes; a person deletes a subscription), so it is checked
again soon: one listing and one refused create per attempt."""


@dataclass(frozen=True)
class Failure:
    """A reconcile failure as a condition: reason, message, and when to try again (or never)."""

    reason: Reason
    message: str
    retry_after: float | None = None


@dataclass(frozen=True)
class _Row:
    """One row of the table: a reason, how to word the error, and when to retry."""

    reason: Reason
    message: Callable[[PagerDutyError], str]
    retry_after: float | None = None


# Most specific first: the first row whose type matches the error decides.
FAILURES: tuple[tuple[type[PagerDutyError], _Row], ...] = (
    (
        AmbiguousWriteError,
        _Row(
            SharedReason.WRITE_OUTCOME_UNKNOWN,
            lambda e: f"{e}; looking for the object before trying again",
            AMBIGUOUS_RETRY_SECONDS,
        ),
    ),
    (
        AuthenticationError,
        _Row(
            SharedReason.CREDENTIALS_INVALID,
            lambda e: (
                f"PagerDuty rejected the integration's credentials ({e.message}); "
                "fix the Secret the PagerDutyIntegration references"
            ),
        ),
    ),
    (
        MissingScopeError,
        _Row(
            SharedReason.MISSING_SCOPE,
            lambda e: (
                f"the credentials lack a permission for {e.method} {e.path} "
                f"({e.message}); grant the scope or use a full-access key"
            ),
        ),
    ),
    (
        MissingAbilityError,
        _Row(
            SharedReason.MISSING_ABILITY,
            lambda e: f"the PagerDuty account's plan does not allow this: {e.message}",
        ),
    ),
    (
        ProductLimitError,
        _Row(
            SharedReason.PRODUCT_LIMIT_REACHED,
            lambda e: f"PagerDuty product limit reached: {e}",
            LIMIT_RETRY_SECONDS,
        ),
    ),
    (UnknownPriorityError, _Row(SharedReason.UNKNOWN_PRIORITY, lambda e: e.message)),
    (
        InvalidInputError,
        _Row(SharedReason.INVALID_INPUT, lambda e: f"PagerDuty refused the request: {e}"),
    ),
    (
        NotFoundError,
        _Row(SharedReason.NOT_FOUND, lambda e: f"PagerDuty object not found: {e}"),
    ),
    (
        TransientError,
        _Row(SharedReason.PAGERDUTY_UNAVAILABLE, str, TRANSIENT_RETRY_SECONDS),
    ),
    (PagerDutyError, _Row(SharedReason.PAGERDUTY_ERROR, str, TRANSIENT_RETRY_SECONDS)),
)


def describe_failure(error: Exception) -> Failure:
    """Classify `error`; messages never contain secrets (client errors are redacted).

    A `Problem` already carries its reason and message; a PagerDuty error is looked up in
    `FAILURES`; anything else is a bug and is raised again.
    """
    if isinstance(error, Problem):
        return Failure(error.reason, error.message)
    if isinstance(error, PagerDutyError):
        for error_type, row in FAILURES:
            if isinstance(error, error_type):
                return Failure(row.reason, row.message(error), row.retry_after)
    raise error

"""The one mapping from failures to a condition reason, a message and a retry decision.

Transient failures (rate limits, server errors, timeouts, a write that may have happened) are
retried with backoff, a reached product limit every 20 seconds; failures a person must fix
(credentials, scopes, invalid input) are reported and re-checked at the next resync, or sooner
when a watched Secret changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from pagerduty_operator.kube import SecretProblem
from pagerduty_operator.pagerduty import (
    AmbiguousWriteError,
    AuthenticationError,
    InvalidInputError,
    MissingAbilityError,
    MissingScopeError,
    NotFoundError,
    PagerDutyError,
    ProductLimitError,
    RateLimitedError,
    ServerError,
    UnknownPriorityError,
    UnreachableError,
)
from pagerduty_operator.reconcile.clients import IntegrationUnavailable

TRANSIENT_RETRY_SECONDS = 10.0
AMBIGUOUS_RETRY_SECONDS = 2.0
LIMIT_RETRY_SECONDS = 20.0
"""A product limit frees up without any Kubernetes event (another resource's replacement, which
holds two places for a moment, finishes; a person deletes a subscription), so it is checked
again soon: one listing and one refused create per attempt."""


@dataclass(frozen=True)
class Failure:
    """A reconcile failure as a condition: reason, message, and when to try again (or never)."""

    reason: str
    message: str
    retry_after: float | None = None


def describe_failure(error: Exception) -> Failure:
    """Classify `error`; messages never contain secrets (client errors are redacted)."""
    if isinstance(error, IntegrationUnavailable):
        return Failure(error.reason, error.message)
    if isinstance(error, SecretProblem):
        return Failure(error.reason, error.message)
    if isinstance(error, AmbiguousWriteError):
        return Failure(
            "WriteOutcomeUnknown",
            f"{error}; looking for the object before trying again",
            AMBIGUOUS_RETRY_SECONDS,
        )
    if isinstance(error, AuthenticationError):
        return Failure(
            "CredentialsInvalid",
            f"PagerDuty rejected the integration's credentials ({error.message}); "
            "fix the Secret the PagerDutyIntegration references",
        )
    if isinstance(error, MissingScopeError):
        return Failure(
            "MissingScope",
            f"the credentials lack a permission for {error.method} {error.path} "
            f"({error.message}); grant the scope or use a full-access key",
        )
    if isinstance(error, MissingAbilityError):
        return Failure(
            "MissingAbility", f"the PagerDuty account's plan does not allow this: {error.message}"
        )
    if isinstance(error, ProductLimitError):
        return Failure(
            "ProductLimitReached", f"PagerDuty product limit reached: {error}", LIMIT_RETRY_SECONDS
        )
    if isinstance(error, UnknownPriorityError):
        return Failure("UnknownPriority", error.message)
    if isinstance(error, InvalidInputError):
        return Failure("InvalidInput", f"PagerDuty refused the request: {error}")
    if isinstance(error, NotFoundError):
        return Failure("NotFound", f"PagerDuty object not found: {error}")
    if isinstance(error, RateLimitedError | ServerError | UnreachableError):
        return Failure("PagerDutyUnavailable", str(error), TRANSIENT_RETRY_SECONDS)
    if isinstance(error, PagerDutyError):
        return Failure("PagerDutyError", str(error), TRANSIENT_RETRY_SECONDS)
    raise error

"""Every reason a condition can be False or Unknown for, and the one failure type that carries one.

Like external-secrets keeps its reason constants in its API package, the reasons are part of the
API: people and tools match on them, and docs/install.md's troubleshooting table explains each
one (a test iterates these enums). `SharedReason` holds the reasons any kind can report (spec,
Secrets, the integration, PagerDuty's errors); each kind adds its own enum. A new reason is a new
member here and a new row in the table, nowhere else.

`Problem` is the one exception a reconcile raises for something a person must fix: its reason is
one of these enums and its message names the resource's own field and the bad value (never a
secret). The layers below (kube, pagerduty clients) raise it too, so it lives here.
"""

from __future__ import annotations

from enum import StrEnum


class SharedReason(StrEnum):
    """Reasons every kind can report."""

    INVALID_SPEC = "InvalidSpec"
    SCOPE_NOT_ALLOWED = "ScopeNotAllowed"
    DRIFTED = "Drifted"
    NOT_FOUND = "NotFound"
    OBSERVED = "Observed"
    # The referenced Secrets.
    SECRET_NOT_FOUND = "SecretNotFound"
    SECRET_KEY_NOT_FOUND = "SecretKeyNotFound"
    SECRET_KEY_EMPTY = "SecretKeyEmpty"
    SECRET_KEY_INVALID = "SecretKeyInvalid"
    SECRET_NOT_OWNED = "SecretNotOwned"
    SECRET_OWNED_ELSEWHERE = "SecretOwnedElsewhere"
    # The PagerDutyIntegration a resource uses.
    INTEGRATION_NOT_FOUND = "IntegrationNotFound"
    INTEGRATION_INVALID = "IntegrationInvalid"
    NO_REST_CREDENTIALS = "NoRestCredentials"
    # PagerDuty's answers (`describe_failure`).
    CREDENTIALS_INVALID = "CredentialsInvalid"
    MISSING_SCOPE = "MissingScope"
    MISSING_ABILITY = "MissingAbility"
    PRODUCT_LIMIT_REACHED = "ProductLimitReached"
    UNKNOWN_PRIORITY = "UnknownPriority"
    INVALID_INPUT = "InvalidInput"
    WRITE_OUTCOME_UNKNOWN = "WriteOutcomeUnknown"
    PAGERDUTY_UNAVAILABLE = "PagerDutyUnavailable"
    PAGERDUTY_ERROR = "PagerDutyError"


class IntegrationReason(StrEnum):
    """Reasons only a PagerDutyIntegration reports."""

    MISSING_SCOPES = "MissingScopes"
    SCOPES_UNKNOWN = "ScopesUnknown"
    SERVICE_NOT_FOUND = "ServiceNotFound"
    NO_INTEGRATION_KEY = "NoIntegrationKey"


class WebhookReason(StrEnum):
    """Reasons only a PagerDutyWebhook reports."""

    ADOPT_TARGET_NOT_FOUND = "AdoptTargetNotFound"
    NOT_HELD = "NotHeld"
    NOT_RETURNED = "NotReturned"


class IncidentRuleReason(StrEnum):
    """Reasons only a PagerDutyIncidentRule reports."""

    NO_TARGET = "NoTarget"
    INACTIVE = "Inactive"
    NO_WARNINGS = "NoWarnings"


Reason = SharedReason | IntegrationReason | WebhookReason | IncidentRuleReason
REASON_ENUMS: tuple[type[StrEnum], ...] = (
    SharedReason,
    IntegrationReason,
    WebhookReason,
    IncidentRuleReason,
)


class Problem(Exception):
    """Something a person must fix: a reason from the enums above and a message naming it.

    Subclasses say where it was found (`SecretProblem`, `IntegrationUnavailable`, ...); every
    reconcile catches and reports them as this one type.
    """

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.message = message


__all__ = [
    "REASON_ENUMS",
    "IncidentRuleReason",
    "IntegrationReason",
    "Problem",
    "Reason",
    "SharedReason",
    "WebhookReason",
]

"""The async PagerDuty client: the only code of the operator that talks to PagerDuty.

Built on httpx; never imports kopf. See `docs/client.md` for auth, rate limiting, retries and
the capability probe. The names below are the public interface.
"""

from .auth import (
    OPERATOR_SCOPES,
    ApiToken,
    Credential,
    OAuthClientCredentials,
    OAuthUserToken,
    TokenSet,
    TokensRefreshedCallback,
)
from .client import PagerDutyClient
from .clock import SYSTEM_CLOCK, Clock, SystemClock
from .endpoints import Endpoints, Region
from .errors import (
    AmbiguousWriteError,
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    MalformedResponseError,
    MissingAbilityError,
    MissingScopeError,
    NotFoundError,
    PagerDutyError,
    ProductLimitError,
    RateLimitedError,
    ServerError,
    TransientError,
    UnexpectedStatusError,
    UnknownPriorityError,
    UnreachableError,
)
from .metrics import ClientMetrics, default_metrics
from .probe import CAPABILITIES, CapabilityReport, ScopeStatus
from .ratelimit import LimiterRegistry, LimiterStats, RateLimitConfig, RateLimiter, default_registry
from .redact import RedactingFilter, install_redaction, redact_text, register_secret
from .retry import RetryPolicy

__all__ = [
    "CAPABILITIES",
    "OPERATOR_SCOPES",
    "SYSTEM_CLOCK",
    "AmbiguousWriteError",
    "ApiToken",
    "AuthenticationError",
    "CapabilityReport",
    "ClientMetrics",
    "Clock",
    "ConflictError",
    "Credential",
    "Endpoints",
    "InvalidInputError",
    "LimiterRegistry",
    "LimiterStats",
    "MalformedResponseError",
    "MissingAbilityError",
    "MissingScopeError",
    "NotFoundError",
    "OAuthClientCredentials",
    "OAuthUserToken",
    "PagerDutyClient",
    "PagerDutyError",
    "ProductLimitError",
    "RateLimitConfig",
    "RateLimitedError",
    "RateLimiter",
    "RedactingFilter",
    "Region",
    "RetryPolicy",
    "ScopeStatus",
    "ServerError",
    "SystemClock",
    "TokenSet",
    "TokensRefreshedCallback",
    "TransientError",
    "UnexpectedStatusError",
    "UnknownPriorityError",
    "UnreachableError",
    "default_metrics",
    "default_registry",
    "install_redaction",
    "redact_text",
    "register_secret",
]

"""Redaction of secrets from text, headers, mappings and log records.

Everything the client writes where a person can read it (log messages, exception text, reprs)
goes through this module. Two mechanisms work together:

- **Patterns** catch secrets by shape: `Authorization` header values (`Token token=...`,
  `Bearer ...`), PagerDuty OAuth tokens (`pdus+_...`), URL user-info, and the value of any
  sensitive key (`access_token`, `refresh_token`, `client_secret`, `secret`, `routing_key`,
  `integration_key`, ...) in JSON, Python reprs and form bodies.
- **Known values**: credentials register their secret values with :func:`register_secret` when
  they are created or refreshed, and every known value is replaced wherever it appears.

:class:`RedactingFilter` applies both to log records (message, arguments and formatted
exception text); install it on the operator's log handlers with :func:`install_redaction`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "***"

# Keys whose values are secrets wherever they appear (compared case-insensitively).
SENSITIVE_KEYS: frozenset[str] = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "secret",
        "signing_secret",
        "routing_key",
        "integration_key",
        "token",
        "password",
        "api_key",
        "value",  # custom header values of webhook subscriptions
    }
)

# Keys redacted inside text patterns (`value` is too common in prose to redact by pattern).
_TEXT_KEYS = sorted(SENSITIVE_KEYS - {"value"}, key=len, reverse=True)
_KEY_ALT = "|".join(re.escape(k) for k in _TEXT_KEYS)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization header values.
    (re.compile(r"(Token\s+token=)[^\s,;'\"&]+", re.IGNORECASE), r"\1" + REDACTED),
    (re.compile(r"(Bearer\s+)[^\s,;'\"&]+", re.IGNORECASE), r"\1" + REDACTED),
    # PagerDuty OAuth access/refresh tokens (pdus+_0XBPWQQ_..., pdeu+_...).
    (re.compile(r"\bpd[a-z]{2}\+_[A-Za-z0-9_\-.~+/=]+"), REDACTED),
    # JSON or Python repr: "key": "value" / 'key': 'value'.
    (
        re.compile(r"""(["'](?:""" + _KEY_ALT + r""")["']\s*:\s*)(["'])(?:\\.|(?!\2).)*\2""", re.I),
        r"\1\2" + REDACTED + r"\2",
    ),
    # Form bodies, query strings and key=value text.
    (re.compile(r"""(\b(?:""" + _KEY_ALT + r""")=)[^\s&,;'"]+""", re.I), r"\1" + REDACTED),
    # URL user-info: https://user:password@host
    (re.compile(r"(\b[a-z][a-z0-9+.\-]*://)[^/\s:@]+:[^/\s@]+@", re.I), r"\1" + REDACTED + "@"),
)

_MIN_KNOWN_LENGTH = 6
_MAX_KNOWN = 4096
_known_lock = threading.Lock()
_known: dict[str, None] = {}
_known_snapshot: tuple[str, ...] = ()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that it is redacted wherever it appears.

    Values shorter than a few characters are ignored: redacting them would mangle ordinary text
    and they are not credentials anyway. The registry is bounded (oldest values are forgotten).
    """
    global _known_snapshot
    if not value or len(value) < _MIN_KNOWN_LENGTH:
        return
    with _known_lock:
        if value in _known:
            return
        _known[value] = None
        while len(_known) > _MAX_KNOWN:
            del _known[next(iter(_known))]
        # Longest first, so that a secret containing another is replaced whole.
        _known_snapshot = tuple(sorted(_known, key=len, reverse=True))


def redact_text(text: str) -> str:
    """Return `text` with every known secret value and every secret-shaped token replaced."""
    for known in _known_snapshot:
        if known in text:
            text = text.replace(known, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> dict[str, str]:
    """Return headers as a dict with sensitive values replaced (for debugging output)."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    result: dict[str, str] = {}
    for name, value in items:
        if name.lower() in SENSITIVE_KEYS or name.lower().startswith("x-api-key"):
            result[name] = REDACTED
        else:
            result[name] = redact_text(value)
    return result


def redact_data(data: Any) -> Any:
    """Return a deep copy of JSON-like data with the values of sensitive keys replaced."""
    if isinstance(data, Mapping):
        return {
            key: (
                REDACTED
                if isinstance(key, str) and key.lower() in SENSITIVE_KEYS and data[key] is not None
                else redact_data(data[key])
            )
            for key in data
        }
    if isinstance(data, list | tuple):
        return [redact_data(item) for item in data]
    if isinstance(data, str):
        return redact_text(data)
    return data


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from the message, its arguments and exception text.

    It never drops a record. Install it on handlers (see :func:`install_redaction`) so that records
    from every library (httpx, kopf, ...) pass through it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what we can show safely
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


def install_redaction(*targets: logging.Handler | logging.Logger) -> RedactingFilter:
    """Attach one :class:`RedactingFilter` to each given handler or logger and return it.

    Without arguments it is attached to every handler of the root logger.
    """
    redacting = RedactingFilter()
    chosen: Iterable[logging.Handler | logging.Logger] = targets or logging.getLogger().handlers
    for target in chosen:
        if not any(isinstance(f, RedactingFilter) for f in target.filters):
            target.addFilter(redacting)
    return redacting

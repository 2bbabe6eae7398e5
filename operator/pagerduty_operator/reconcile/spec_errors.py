"""Human messages for specs the models refuse (CRD admission normally catches these first)."""

from __future__ import annotations

from pydantic import ValidationError


def describe_validation_error(error: ValidationError, limit: int = 5) -> str:
    """Field paths and messages, never the input values (a header value may be a secret)."""
    parts = []
    for item in error.errors(include_input=False, include_url=False)[:limit]:
        where = ".".join(str(p) for p in item["loc"]) or "spec"
        parts.append(f"spec.{where}: {item['msg']}")
    more = error.error_count() - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "invalid spec: " + "; ".join(parts)

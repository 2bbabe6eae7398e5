"""Generators for identifiers and secrets shaped like PagerDuty's."""

from __future__ import annotations

import secrets
import string
import uuid

_UPPER_ALNUM = string.ascii_uppercase + string.digits
_URLSAFE = string.ascii_letters + string.digits


def pd_id() -> str:
    """A 7-character PagerDuty object id such as `PSWK4Q7`."""
    return "P" + "".join(secrets.choice(_UPPER_ALNUM) for _ in range(6))


def rule_id() -> str:
    """An 8-hex-digit event orchestration rule id such as `1c26698b`."""
    return secrets.token_hex(4)


def uuid_str() -> str:
    """A random UUID (event orchestration and orchestration integration ids, webhook ids)."""
    return str(uuid.uuid4())


def integration_key() -> str:
    """A 32-character Events API v2 integration key (routing key)."""
    return secrets.token_hex(16)


def orchestration_routing_key() -> str:
    """A 32-character orchestration routing key; these always start with `R`."""
    return "R" + "".join(secrets.choice(_UPPER_ALNUM) for _ in range(31))


def webhook_secret() -> str:
    """A strong signing secret for a webhook subscription."""
    return "".join(secrets.choice(_URLSAFE) for _ in range(64))


def version_tag() -> str:
    """An opaque version string like the ones on event orchestration paths."""
    return "".join(secrets.choice(_URLSAFE) for _ in range(32))


def _two() -> str:
    return secrets.choice(_UPPER_ALNUM) + secrets.choice(_UPPER_ALNUM)


def access_token(region: str) -> str:
    """An OAuth access token in PagerDuty's `pdus+_0XXXXXX_<uuid>` shape."""
    return f"pd{region}+_0SIM{_two()}_{uuid.uuid4()}"


def refresh_token(region: str) -> str:
    """An OAuth refresh token in PagerDuty's `pdus+_1XXXXXX_<uuid>` shape."""
    return f"pd{region}+_1SIM{_two()}_{uuid.uuid4()}"


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def event_id() -> str:
    """A 26-character ULID-like id, as on webhook v3 events (`01BRB6ZP4M6T8ZG4X6BP63ZB9O`)."""
    return "01" + "".join(secrets.choice(_CROCKFORD) for _ in range(24))

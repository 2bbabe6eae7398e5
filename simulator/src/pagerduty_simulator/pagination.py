"""PagerDuty's classic offset pagination: `limit`, `offset`, `more`, `total`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pagerduty_simulator.errors import invalid_input

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_WINDOW = 10000

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    limit: int
    offset: int
    total: bool


def parse_bool(value: str, name: str) -> bool:
    """A query-string boolean as PagerDuty accepts it (`1/true/0/false`)."""
    lowered = value.strip().lower()
    if lowered in {"1", "true"}:
        return True
    if lowered in {"0", "false"}:
        return False
    raise invalid_input(f"{name} must be a boolean")


def _parse_int(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_input(f"{name} must be an integer") from None
    if value < 0:
        raise invalid_input(f"{name} must not be negative")
    return value


def parse_page(query: Mapping[str, str]) -> PageRequest:
    """Read `limit`/`offset`/`total`; a limit above 100 is clamped, a window past 10000 is 400."""
    limit = _parse_int(query, "limit", DEFAULT_LIMIT)
    if limit == 0:
        limit = DEFAULT_LIMIT
    limit = min(limit, MAX_LIMIT)
    offset = _parse_int(query, "offset", 0)
    if offset + limit > MAX_WINDOW:
        raise invalid_input(f"Offset plus limit must be less than or equal to {MAX_WINDOW}")
    total_raw = query.get("total")
    total = parse_bool(total_raw, "total") if total_raw else False
    return PageRequest(limit=limit, offset=offset, total=total)


def paginate(items: Sequence[T], page: PageRequest) -> tuple[list[T], dict[str, Any]]:
    """One page of `items` and the pagination fields that go next to it."""
    chunk = list(items[page.offset : page.offset + page.limit])
    meta: dict[str, Any] = {
        "limit": page.limit,
        "offset": page.offset,
        "more": page.offset + len(chunk) < len(items),
        "total": len(items) if page.total else None,
    }
    return chunk, meta

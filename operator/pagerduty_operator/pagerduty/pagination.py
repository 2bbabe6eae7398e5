"""Iterators over PagerDuty's paginated lists.

- Classic offset pagination (most endpoints): `limit` (at most 100) and `offset`; each page says
  `more`. :func:`iter_offset` asks for 100 per page, the fewest calls PagerDuty allows.
- Cursor pagination (audit records, automation actions, ...): `limit` and `cursor`; each page
  gives `next_cursor` (null at the end). :func:`iter_cursor`.

Both stop on an empty page even if the server claims there is more, so a confused server can
never make them loop forever.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

from .errors import MalformedResponseError
from .transport import Query, QueryValue

MAX_LIMIT = 100


class JsonGetter(Protocol):
    """What the iterators need from a client."""

    async def get_json(
        self,
        path: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Query | None = None,
    ) -> Any: ...


def _page_items(page: Any, key: str, path: str) -> list[Any]:
    items = page.get(key) if isinstance(page, Mapping) else None
    if not isinstance(items, list):
        raise MalformedResponseError(f"page without a {key!r} list", method="GET", path=path)
    return items


async def iter_offset(
    api: JsonGetter,
    path: str,
    key: str,
    *,
    path_params: Mapping[str, str] | None = None,
    params: Query | None = None,
    limit: int = MAX_LIMIT,
) -> AsyncIterator[Any]:
    """Yield every item of an offset-paginated list, `limit` per request."""
    offset = 0
    while True:
        query: dict[str, QueryValue] = {**(params or {}), "limit": limit, "offset": offset}
        page = await api.get_json(path, path_params=path_params, params=query)
        items = _page_items(page, key, path)
        for item in items:
            yield item
        if not items or not page.get("more"):
            return
        offset += len(items)


async def iter_cursor(
    api: JsonGetter,
    path: str,
    key: str,
    *,
    path_params: Mapping[str, str] | None = None,
    params: Query | None = None,
    limit: int = MAX_LIMIT,
) -> AsyncIterator[Any]:
    """Yield every item of a cursor-paginated list, `limit` per request."""
    cursor: str | None = None
    while True:
        query: dict[str, QueryValue] = {**(params or {}), "limit": limit}
        if cursor:
            query["cursor"] = cursor
        page = await api.get_json(path, path_params=path_params, params=query)
        items = _page_items(page, key, path)
        for item in items:
            yield item
        next_cursor = page.get("next_cursor")
        if not items or not isinstance(next_cursor, str) or not next_cursor:
            return
        cursor = next_cursor

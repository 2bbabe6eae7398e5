"""Priorities: the account's list, cached, and name-to-id resolution.

Rules name priorities (`P1`); orchestration actions need their ids. The list rarely changes, so
it is cached for `ttl` seconds and fetched by one request at a time even when many reconciles ask
at once. An unknown name refreshes the cache once (if it is older than `miss_refresh_after`) and
then raises :class:`~pagerduty_operator.pagerduty.errors.UnknownPriorityError` listing the valid
names.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, ConfigDict

from ..clock import SYSTEM_CLOCK, Clock
from ..errors import UnknownPriorityError
from ..pagination import iter_offset
from .base import JsonApi, parse

PRIORITIES_PATH = "/priorities"


class Priority(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    description: str | None = None
    summary: str | None = None


class Priorities:
    """`/priorities` (scope `priorities.read`), cached per client."""

    def __init__(
        self,
        api: JsonApi,
        *,
        ttl: float = 600.0,
        miss_refresh_after: float = 30.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._api = api
        self._ttl = ttl
        self._miss_refresh_after = miss_refresh_after
        self._clock = clock
        self._cache: list[Priority] | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    def invalidate(self) -> None:
        self._cache = None

    def _fresh(self, max_age: float) -> bool:
        return self._cache is not None and self._clock.monotonic() - self._fetched_at < max_age

    async def list(self, *, max_age: float | None = None) -> list[Priority]:
        """The account's priorities, from the cache when it is younger than `max_age`."""
        age = self._ttl if max_age is None else max_age
        if self._fresh(age) and self._cache is not None:
            return self._cache
        async with self._lock:
            if not self._fresh(age) or self._cache is None:
                self.fetches += 1
                items = [
                    parse(Priority, item, method="GET", path=PRIORITIES_PATH)
                    async for item in iter_offset(self._api, PRIORITIES_PATH, "priorities")
                ]
                self._cache = items
                self._fetched_at = self._clock.monotonic()
            return self._cache

    async def resolve(self, name_or_id: str) -> str:
        """The id of the priority with this name (exact, else case-insensitive) or this id."""
        for attempt in range(2):
            max_age = None if attempt == 0 else self._miss_refresh_after
            priorities = await self.list(max_age=max_age)
            found = _match(priorities, name_or_id)
            if found is not None:
                return found
        raise UnknownPriorityError(
            name_or_id, [p.name for p in priorities], method="GET", path=PRIORITIES_PATH
        )


def _match(priorities: list[Priority], wanted: str) -> str | None:
    for priority in priorities:
        if priority.name == wanted or priority.id == wanted:
            return priority.id
    folded = [p for p in priorities if p.name.casefold() == wanted.casefold()]
    return folded[0].id if len(folded) == 1 else None

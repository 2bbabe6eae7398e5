"""`GET /users/me`: the user behind a user-level token or a user OAuth token.

With an account-level API token PagerDuty answers 400 with a non-standard body (a string
`error`); :meth:`Users.me` then raises
:class:`~pagerduty_operator.pagerduty.errors.InvalidInputError`, and :meth:`Users.me_or_none`
returns `None`, which tells the token is account-level.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ..errors import InvalidInputError
from .base import JsonApi, parse, unwrap

ME_PATH = "/users/me"


class User(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    name: str | None = None
    email: str | None = None
    role: str | None = None
    type: str | None = None


class Users:
    def __init__(self, api: JsonApi) -> None:
        self._api = api

    async def me(self) -> User:
        data = await self._api.get_json(ME_PATH)
        return parse(
            User, unwrap(data, "user", method="GET", path=ME_PATH), method="GET", path=ME_PATH
        )

    async def me_or_none(self) -> User | None:
        """The user, or `None` for an account-level token."""
        try:
            return await self.me()
        except InvalidInputError:
            return None

"""Account abilities (plan features): the list, and a yes/no test of one ability.

`GET /abilities/{name}` answers 204 when the account has the ability and 402 when it does not.
"""

from __future__ import annotations

from ..errors import MalformedResponseError, MissingAbilityError
from .base import JsonApi, unwrap

ABILITIES_PATH = "/abilities"
ABILITY_PATH = "/abilities/{id}"


class Abilities:
    """`/abilities` (scope `abilities.read`)."""

    def __init__(self, api: JsonApi) -> None:
        self._api = api

    async def list(self) -> list[str]:
        data = await self._api.get_json(ABILITIES_PATH)
        items = unwrap(data, "abilities", method="GET", path=ABILITIES_PATH)
        if not isinstance(items, list):
            raise MalformedResponseError(
                "abilities is not a list", method="GET", path=ABILITIES_PATH
            )
        return [str(item) for item in items]

    async def has(self, ability: str) -> bool:
        """True on 204, False on 402; any other failure raises."""
        try:
            await self._api.request("GET", ABILITY_PATH, path_params={"id": ability})
        except MissingAbilityError:
            return False
        return True

"""What every resource module needs: the client's JSON calls and safe model parsing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ..errors import MalformedResponseError
from ..transport import Query

M = TypeVar("M", bound=BaseModel)


class JsonApi(Protocol):
    """The subset of :class:`~pagerduty_operator.pagerduty.client.PagerDutyClient` resources use."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Query | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> httpx.Response: ...

    async def get_json(
        self,
        path: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Query | None = None,
    ) -> Any: ...

    async def send_json(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Query | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any: ...


class PagerDutyObject(BaseModel):
    """An object as PagerDuty returns it: unknown fields ignored, `null` means the default.

    PagerDuty answers with full objects, defaults and nulls included ("any non-required field
    may be null"): `null` for a field that has a default (a list, a boolean) means that default,
    so a `null` list or flag the operator never sent neither fails the parse nor looks like drift.
    """

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        defaulted = {
            name
            for name, field in cls.model_fields.items()
            if not field.is_required() and field.get_default(call_default_factory=True) is not None
        }
        return {k: v for k, v in data.items() if not (v is None and k in defaulted)}


def unwrap(data: Any, key: str, *, method: str, path: str) -> Any:
    """The value under PagerDuty's wrapper key (`{"service": {...}}` -> `{...}`)."""
    if not isinstance(data, Mapping) or key not in data:
        raise MalformedResponseError(f"response without {key!r}", method=method, path=path)
    return data[key]


def parse(model: type[M], data: Any, *, method: str, path: str) -> M:
    """Validate `data` as `model`; on failure name the fields, never the (maybe secret) values."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in err["loc"]) or "<root>" for err in exc.errors()})
        raise MalformedResponseError(
            f"unexpected {model.__name__} shape (fields: {', '.join(fields[:10])})",
            method=method,
            path=path,
        ) from None

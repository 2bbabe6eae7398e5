"""Webhook subscriptions (v3): list by filter, get, create, update, delete, enable, ping.

PagerDuty returns the signing secret only in the create response
(`delivery_method.secret`); it and custom header values are :class:`pydantic.SecretStr`, so reprs
and logs show `**********`. The delivery method (URL, custom headers) cannot be updated in place;
:class:`WebhookSubscriptionUpdate` therefore has no such fields.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from ..errors import NotFoundError
from ..pagination import iter_offset
from ..transport import QueryValue
from .base import JsonApi, PagerDutyObject, parse, unwrap

FilterType = Literal["account", "service", "team"]
FilterReferenceType = Literal["account_reference", "service_reference", "team_reference"]

LIST_PATH = "/webhook_subscriptions"
ITEM_PATH = "/webhook_subscriptions/{id}"
ENABLE_PATH = "/webhook_subscriptions/{id}/enable"
PING_PATH = "/webhook_subscriptions/{id}/ping"


class WebhookFilter(BaseModel):
    """What a subscription listens to: the whole account, one service or one team."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: FilterReferenceType
    id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _account_has_no_id(cls, data: Any) -> Any:
        """An account filter is the credential's account, whatever `id` comes with it.

        Null, absent or the account's id: the same filter (so never drift).
        """
        if isinstance(data, dict) and data.get("type") == "account_reference":
            return {k: v for k, v in data.items() if k != "id"}
        return data

    @classmethod
    def account(cls) -> WebhookFilter:
        return cls(type="account_reference")

    @classmethod
    def service(cls, service_id: str) -> WebhookFilter:
        return cls(type="service_reference", id=service_id)

    @classmethod
    def team(cls, team_id: str) -> WebhookFilter:
        return cls(type="team_reference", id=team_id)

    @property
    def kind(self) -> FilterType:
        """The `filter_type` query value that lists subscriptions with this filter."""
        kinds: dict[str, FilterType] = {
            "account_reference": "account",
            "service_reference": "service",
            "team_reference": "team",
        }
        return kinds[self.type]

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type}
        if self.id is not None:
            body["id"] = self.id
        return body


class CustomHeader(PagerDutyObject):
    """A header PagerDuty adds to each delivery. GET responses show `-- redacted --` values."""

    name: str
    value: SecretStr


class DeliveryMethod(PagerDutyObject):
    id: str | None = None
    type: str = "http_delivery_method"
    url: str
    custom_headers: list[CustomHeader] = Field(default_factory=list)
    secret: SecretStr | None = None
    temporarily_disabled: bool | None = None


class WebhookSubscription(PagerDutyObject):
    """A v3 webhook subscription as PagerDuty returns it.

    Fields PagerDuty fills in that the operator never sends (`oauth_client`, `type`, the delivery
    method's `id`, `secret`, `temporarily_disabled`) are never compared; `null` lists and flags
    mean their defaults.
    """

    id: str
    type: str = "webhook_subscription"
    active: bool = True
    description: str | None = None
    events: list[str] = Field(default_factory=list)
    filter: WebhookFilter
    delivery_method: DeliveryMethod
    oauth_client: dict[str, Any] | None = None

    @property
    def url(self) -> str:
        return self.delivery_method.url

    @property
    def signing_secret(self) -> SecretStr | None:
        """The signing secret, present only in the result of `WebhookSubscriptions.create`."""
        return self.delivery_method.secret


class NewWebhookSubscription(BaseModel):
    """What :meth:`WebhookSubscriptions.create` sends."""

    url: str
    events: list[str] = Field(min_length=1)
    filter: WebhookFilter
    description: str | None = None
    active: bool = True
    custom_headers: list[CustomHeader] = Field(default_factory=list)

    def to_body(self) -> dict[str, Any]:
        delivery: dict[str, Any] = {"type": "http_delivery_method", "url": self.url}
        if self.custom_headers:
            delivery["custom_headers"] = [
                {"name": h.name, "value": h.value.get_secret_value()} for h in self.custom_headers
            ]
        body: dict[str, Any] = {
            "type": "webhook_subscription",
            "delivery_method": delivery,
            "events": list(self.events),
            "filter": self.filter.to_body(),
            "active": self.active,
        }
        if self.description is not None:
            body["description"] = self.description
        return {"webhook_subscription": body}


class WebhookSubscriptionUpdate(BaseModel):
    """The fields PagerDuty can change in place; only the ones set are sent."""

    description: str | None = None
    events: list[str] | None = Field(default=None, min_length=1)
    filter: WebhookFilter | None = None
    active: bool | None = None

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.description is not None:
            body["description"] = self.description
        if self.events is not None:
            body["events"] = list(self.events)
        if self.filter is not None:
            body["filter"] = self.filter.to_body()
        if self.active is not None:
            body["active"] = self.active
        return {"webhook_subscription": body}


class WebhookSubscriptions:
    """`/webhook_subscriptions` (scopes `webhook_subscriptions.read` / `.write`)."""

    def __init__(self, api: JsonApi) -> None:
        self._api = api

    async def iterate(
        self, filter_type: FilterType | None = None, filter_id: str | None = None
    ) -> AsyncIterator[WebhookSubscription]:
        """Every subscription matching the filter, 100 per request."""
        params: dict[str, QueryValue] = {}
        if filter_type is not None:
            params["filter_type"] = filter_type
        if filter_id is not None:
            params["filter_id"] = filter_id
        async for item in iter_offset(self._api, LIST_PATH, "webhook_subscriptions", params=params):
            yield parse(WebhookSubscription, item, method="GET", path=LIST_PATH)

    async def list(
        self, filter_type: FilterType | None = None, filter_id: str | None = None
    ) -> list[WebhookSubscription]:
        """All subscriptions matching the filter (one call per 100)."""
        return [s async for s in self.iterate(filter_type, filter_id)]

    async def check_read(self) -> None:
        """One cheap call proving this credential may still list subscriptions (`limit=1`)."""
        await self._api.get_json(LIST_PATH, params={"limit": 1})

    async def get(self, subscription_id: str) -> WebhookSubscription:
        data = await self._api.get_json(ITEM_PATH, path_params={"id": subscription_id})
        return self._one(data, "GET", ITEM_PATH)

    async def create(self, new: NewWebhookSubscription) -> WebhookSubscription:
        """Create a subscription; the result carries the signing secret (only time it is shown).

        Never repeated blindly: a failure that may have created it raises
        :class:`~pagerduty_operator.pagerduty.errors.AmbiguousWriteError`.
        """
        data = await self._api.send_json("POST", LIST_PATH, json=new.to_body())
        return self._one(data, "POST", LIST_PATH)

    async def update(
        self, subscription_id: str, change: WebhookSubscriptionUpdate
    ) -> WebhookSubscription:
        data = await self._api.send_json(
            "PUT", ITEM_PATH, path_params={"id": subscription_id}, json=change.to_body()
        )
        return self._one(data, "PUT", ITEM_PATH)

    async def delete(self, subscription_id: str, *, missing_ok: bool = False) -> bool:
        """Delete; returns False when it was already gone and `missing_ok` is set."""
        try:
            await self._api.request("DELETE", ITEM_PATH, path_params={"id": subscription_id})
        except NotFoundError:
            if missing_ok:
                return False
            raise
        return True

    async def enable(self, subscription_id: str) -> WebhookSubscription:
        """Re-enable a temporarily disabled subscription (safe to repeat)."""
        data = await self._api.send_json(
            "POST", ENABLE_PATH, path_params={"id": subscription_id}, idempotent=True
        )
        return self._one(data, "POST", ENABLE_PATH)

    async def ping(self, subscription_id: str) -> None:
        """Ask PagerDuty to deliver a `pagey.ping` event (202 Accepted)."""
        await self._api.request("POST", PING_PATH, path_params={"id": subscription_id})

    @staticmethod
    def _one(data: Any, method: str, path: str) -> WebhookSubscription:
        body = unwrap(data, "webhook_subscription", method=method, path=path)
        return parse(WebhookSubscription, body, method=method, path=path)

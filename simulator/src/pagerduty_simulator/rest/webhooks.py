"""`/webhook_subscriptions`: list, create, get, update, delete, enable, ping.

Faithful details: the signing secret appears only in the create response; custom header values
read back as `-- redacted --`; `delivery_method` cannot change on PUT (it is ignored); at most
`webhook_limit_per_filter` subscriptions per service or team (code 2019); identical creates make
distinct subscriptions; 404s have an empty body.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from pagerduty_simulator import ids
from pagerduty_simulator.errors import (
    invalid_input,
    json_response,
    product_limit,
    webhook_not_found,
)
from pagerduty_simulator.event_types import WEBHOOK_EVENT_TYPES
from pagerduty_simulator.incidents import ping
from pagerduty_simulator.models import JSON, Account, CustomHeader, WebhookSubscription
from pagerduty_simulator.pagination import paginate, parse_page
from pagerduty_simulator.rest.context import Endpoint, RestContext

READ = "webhook_subscriptions.read"
WRITE = "webhook_subscriptions.write"
REDACTED = "-- redacted --"
FILTER_TYPES = {"account_reference", "service_reference", "team_reference"}
QUERY_FILTER_TYPES = {
    "account": "account_reference",
    "service": "service_reference",
    "team": "team_reference",
}


def render(subscription: WebhookSubscription, *, with_secret: bool = False) -> JSON:
    """The subscription as PagerDuty shows it (secret only when just created)."""
    filter_obj: JSON = {"type": subscription.filter_type}
    if subscription.filter_id is not None:
        filter_obj = {"id": subscription.filter_id, "type": subscription.filter_type}
    return {
        "id": subscription.id,
        "type": "webhook_subscription",
        "active": subscription.active,
        "delivery_method": {
            "id": subscription.delivery_method_id,
            "secret": subscription.secret if with_secret else None,
            "temporarily_disabled": subscription.temporarily_disabled,
            "type": "http_delivery_method",
            "url": subscription.url,
            "custom_headers": [
                {"name": header.name, "value": REDACTED} for header in subscription.custom_headers
            ],
        },
        "description": subscription.description,
        "events": list(subscription.events),
        "filter": filter_obj,
        "oauth_client": None,
    }


def _events(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(e, str) for e in raw):
        raise invalid_input("events must be a non-empty array of event type names")
    if len(set(raw)) != len(raw):
        raise invalid_input("events must not contain duplicates")
    unknown = sorted(set(raw) - WEBHOOK_EVENT_TYPES)
    if unknown:
        raise invalid_input(f"Unknown event types: {', '.join(unknown)}")
    return list(raw)


def _filter(raw: Any, account: Account) -> tuple[str, str | None]:
    if not isinstance(raw, dict) or raw.get("type") not in FILTER_TYPES:
        raise invalid_input(
            "filter.type must be one of account_reference, service_reference, team_reference"
        )
    kind = str(raw["type"])
    if kind == "account_reference":
        return kind, None
    filter_id = raw.get("id")
    if not isinstance(filter_id, str) or not filter_id:
        raise invalid_input("filter.id is required for service and team filters")
    known = account.services if kind == "service_reference" else account.teams
    if filter_id not in known:
        raise invalid_input(f"filter.id {filter_id} does not name a {kind.split('_')[0]}")
    return kind, filter_id


def _url(raw: Any) -> str:
    if not isinstance(raw, str):
        raise invalid_input("delivery_method.url is required")
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise invalid_input("delivery_method.url must be an http or https URL")
    return raw


def _headers(raw: Any) -> list[CustomHeader]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise invalid_input("delivery_method.custom_headers must be an array")
    headers: list[CustomHeader] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, dict):
            raise invalid_input("each custom header needs a name and a value")
        name, value = item.get("name"), item.get("value")
        if not isinstance(name, str) or not name or not isinstance(value, str):
            raise invalid_input("each custom header needs a name and a value")
        if name.lower() in seen:
            raise invalid_input("All header names must be unique within a webhook subscription")
        seen.add(name.lower())
        headers.append(CustomHeader(name=name, value=value))
    return headers


def _check_limit(
    ctx: RestContext, kind: str, filter_id: str | None, ignore: str | None = None
) -> None:
    if filter_id is None:
        return
    limit = ctx.state.config.webhook_limit_per_filter
    count = sum(
        1
        for sub in ctx.account.webhooks.values()
        if sub.filter_type == kind and sub.filter_id == filter_id and sub.id != ignore
    )
    if count >= limit:
        raise product_limit("Subscription Limit Exceeded")


def _oauth_client(raw: dict[str, Any]) -> None:
    if raw.get("oauth_client_id") is not None:
        raise invalid_input("oauth_client_id does not name an OAuth client of this account")


def _body_object(body: dict[str, Any]) -> dict[str, Any]:
    inner = body.get("webhook_subscription")
    if not isinstance(inner, dict):
        raise invalid_input("webhook_subscription is required")
    return inner


def _find(ctx: RestContext) -> WebhookSubscription:
    subscription = ctx.account.webhooks.get(ctx.param("id"))
    if subscription is None:
        raise webhook_not_found()
    return subscription


async def list_subscriptions(ctx: RestContext) -> web.StreamResponse:
    page = parse_page(ctx.query)
    filter_type = ctx.query.get("filter_type")
    filter_id = ctx.query.get("filter_id")
    items = list(ctx.account.webhooks.values())
    if filter_type is not None:
        kind = QUERY_FILTER_TYPES.get(filter_type)
        if kind is None:
            raise invalid_input("filter_type must be one of account, service, team")
        if kind != "account_reference" and not filter_id:
            raise invalid_input("filter_id is required when filter_type is service or team")
        items = [
            sub
            for sub in items
            if sub.filter_type == kind
            and (kind == "account_reference" or sub.filter_id == filter_id)
        ]
    chunk, meta = paginate(items, page)
    return json_response({"webhook_subscriptions": [render(sub) for sub in chunk], **meta})


async def create_subscription(ctx: RestContext) -> web.StreamResponse:
    raw = _body_object(await ctx.json_object())
    if raw.get("type", "webhook_subscription") != "webhook_subscription":
        raise invalid_input("type must be webhook_subscription")
    method = raw.get("delivery_method")
    if not isinstance(method, dict):
        raise invalid_input("delivery_method is required")
    if method.get("type", "http_delivery_method") != "http_delivery_method":
        raise invalid_input("delivery_method.type must be http_delivery_method")
    url = _url(method.get("url"))
    headers = _headers(method.get("custom_headers"))
    events = _events(raw.get("events"))
    kind, filter_id = _filter(raw.get("filter"), ctx.account)
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise invalid_input("description must be a string")
    active = raw.get("active", True)
    if not isinstance(active, bool):
        raise invalid_input("active must be a boolean")
    _oauth_client(raw)
    _check_limit(ctx, kind, filter_id)
    subscription = WebhookSubscription(
        id=ctx.state.new_id(),
        delivery_method_id=ctx.state.new_id(),
        url=url,
        custom_headers=headers,
        secret=ids.webhook_secret(),
        description=description,
        events=events,
        filter_type=kind,
        filter_id=filter_id,
        active=active,
        created_at=ctx.state.clock.iso(),
    )
    ctx.account.webhooks[subscription.id] = subscription
    return json_response({"webhook_subscription": render(subscription, with_secret=True)})


async def get_subscription(ctx: RestContext) -> web.StreamResponse:
    return json_response({"webhook_subscription": render(_find(ctx))})


async def update_subscription(ctx: RestContext) -> web.StreamResponse:
    subscription = _find(ctx)
    raw = _body_object(await ctx.json_object())
    events = _events(raw["events"]) if "events" in raw else subscription.events
    kind, filter_id = subscription.filter_type, subscription.filter_id
    if "filter" in raw:
        kind, filter_id = _filter(raw["filter"], ctx.account)
        _check_limit(ctx, kind, filter_id, ignore=subscription.id)
    description = raw.get("description", subscription.description)
    if not isinstance(description, str):
        raise invalid_input("description must be a string")
    active = raw.get("active", subscription.active)
    if not isinstance(active, bool):
        raise invalid_input("active must be a boolean")
    _oauth_client(raw)
    # PagerDuty does not support updating delivery_method: it is ignored here.
    subscription.events = events
    subscription.filter_type, subscription.filter_id = kind, filter_id
    subscription.description = description
    subscription.active = active
    return json_response({"webhook_subscription": render(subscription)})


async def delete_subscription(ctx: RestContext) -> web.StreamResponse:
    subscription = _find(ctx)
    del ctx.account.webhooks[subscription.id]
    return web.Response(status=204)


async def enable_subscription(ctx: RestContext) -> web.StreamResponse:
    subscription = _find(ctx)
    subscription.temporarily_disabled = False
    subscription.consecutive_drops = 0
    return json_response({"webhook_subscription": render(subscription)})


async def ping_subscription(ctx: RestContext) -> web.StreamResponse:
    subscription = _find(ctx)
    ping(ctx.state, ctx.account, subscription)
    return web.Response(status=202)


ENDPOINTS = [
    Endpoint("GET", "/webhook_subscriptions", READ, list_subscriptions),
    Endpoint("POST", "/webhook_subscriptions", WRITE, create_subscription),
    Endpoint("GET", "/webhook_subscriptions/{id}", READ, get_subscription),
    Endpoint("PUT", "/webhook_subscriptions/{id}", WRITE, update_subscription),
    Endpoint("DELETE", "/webhook_subscriptions/{id}", WRITE, delete_subscription),
    Endpoint("POST", "/webhook_subscriptions/{id}/enable", WRITE, enable_subscription),
    Endpoint("POST", "/webhook_subscriptions/{id}/ping", WRITE, ping_subscription),
]

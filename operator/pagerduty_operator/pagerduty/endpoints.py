"""Base URLs of PagerDuty's APIs per region, with overrides for tests and proxies.

PagerDuty serves the REST API and the Events API from regional hosts, and OAuth from one identity
host for both regions (the region is chosen by the `as_account-<region>.<subdomain>` scope).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Region = Literal["us", "eu"]

REST_URLS: dict[Region, str] = {
    "us": "https://api.pagerduty.com",
    "eu": "https://api.eu.pagerduty.com",
}
EVENTS_URLS: dict[Region, str] = {
    "us": "https://events.pagerduty.com",
    "eu": "https://events.eu.pagerduty.com",
}
IDENTITY_URL = "https://identity.pagerduty.com"

OAUTH_TOKEN_PATH = "/oauth/token"
EVENTS_ENQUEUE_PATH = "/v2/enqueue"
CHANGE_EVENTS_PATH = "/v2/change/enqueue"


def _strip(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise ValueError("a PagerDuty endpoint must be an http(s) URL")
    return url.rstrip("/")


@dataclass(frozen=True)
class Endpoints:
    """Where the client sends REST calls, Events API events and OAuth token requests."""

    region: Region
    rest_url: str
    events_url: str
    identity_url: str

    @classmethod
    def for_region(
        cls,
        region: Region = "us",
        *,
        rest_url: str | None = None,
        events_url: str | None = None,
        identity_url: str | None = None,
    ) -> Endpoints:
        """PagerDuty's hosts for `region`, each replaceable by an override."""
        if region not in REST_URLS:
            raise ValueError(f"unknown PagerDuty region {region!r} (expected 'us' or 'eu')")
        return cls(
            region=region,
            rest_url=_strip(rest_url or REST_URLS[region]),
            events_url=_strip(events_url or EVENTS_URLS[region]),
            identity_url=_strip(identity_url or IDENTITY_URL),
        )

    @classmethod
    def single_host(cls, base_url: str, region: Region = "us") -> Endpoints:
        """All three APIs behind one base URL (the simulator, or a proxy that routes by path)."""
        base = _strip(base_url)
        return cls(region=region, rest_url=base, events_url=base, identity_url=base)

    @property
    def oauth_token_url(self) -> str:
        return self.identity_url + OAUTH_TOKEN_PATH

    @property
    def events_enqueue_url(self) -> str:
        return self.events_url + EVENTS_ENQUEUE_PATH

    @property
    def change_events_url(self) -> str:
        return self.events_url + CHANGE_EVENTS_PATH

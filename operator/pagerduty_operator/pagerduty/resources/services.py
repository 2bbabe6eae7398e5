"""Services (get, with their integrations) and service integrations (create, get).

PagerDuty has no endpoint that lists a service's integrations; `GET /services/{id}` with
`include[]=integrations` returns them as full objects. An Events API v2 integration carries its
routing key in `integration_key` (not in the OpenAPI schema, but returned by the API); it is a
:class:`pydantic.SecretStr` here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from pydantic import Field, SecretStr

from ..pagination import iter_offset
from ..transport import QueryValue
from .base import JsonApi, PagerDutyObject, parse, unwrap

SERVICES_PATH = "/services"
SERVICE_PATH = "/services/{id}"
INTEGRATIONS_PATH = "/services/{id}/integrations"
INTEGRATION_PATH = "/services/{id}/integrations/{integration_id}"

EVENTS_API_V2 = "events_api_v2_inbound_integration"


class Reference(PagerDutyObject):
    """A PagerDuty reference object (`{id, type, summary, ...}`)."""

    id: str
    type: str | None = None
    summary: str | None = None
    html_url: str | None = None


class Integration(PagerDutyObject):
    """A service integration; references (without `include[]`) parse too."""

    id: str
    type: str | None = None
    name: str | None = None
    summary: str | None = None
    service: Reference | None = None
    vendor: Reference | None = None
    created_at: str | None = None
    integration_key: SecretStr | None = None

    @property
    def routing_key(self) -> SecretStr | None:
        """The Events API v2 routing key (same as `integration_key`)."""
        return self.integration_key


class Service(PagerDutyObject):
    """A service; `null` teams or integrations are empty lists."""

    id: str
    name: str | None = None
    summary: str | None = None
    description: str | None = None
    status: str | None = None
    html_url: str | None = None
    escalation_policy: Reference | None = None
    teams: list[Reference] = Field(default_factory=list)
    integrations: list[Integration] = Field(default_factory=list)


class Services:
    """`/services` (scopes `services.read` / `.write`)."""

    def __init__(self, api: JsonApi) -> None:
        self._api = api

    async def get(self, service_id: str, *, include_integrations: bool = True) -> Service:
        """One service; with `include_integrations` its integrations are full objects."""
        params: dict[str, QueryValue] = {}
        if include_integrations:
            params["include[]"] = ["integrations"]
        data = await self._api.get_json(SERVICE_PATH, path_params={"id": service_id}, params=params)
        body = unwrap(data, "service", method="GET", path=SERVICE_PATH)
        return parse(Service, body, method="GET", path=SERVICE_PATH)

    async def iterate(self, *, query: str | None = None) -> AsyncIterator[Service]:
        """Every service (optionally filtered by name), 100 per request."""
        params: dict[str, QueryValue] = {"query": query} if query else {}
        async for item in iter_offset(self._api, SERVICES_PATH, "services", params=params):
            yield parse(Service, item, method="GET", path=SERVICES_PATH)


class ServiceIntegrations:
    """`/services/{id}/integrations` (create: `services.write`, get: `services.read`)."""

    def __init__(self, api: JsonApi) -> None:
        self._api = api

    async def create(
        self, service_id: str, name: str, *, integration_type: str = EVENTS_API_V2
    ) -> Integration:
        """Create an integration (201). Not repeated blindly: see AmbiguousWriteError."""
        body: dict[str, Any] = {
            "integration": {
                "type": integration_type,
                "name": name,
                "service": {"id": service_id, "type": "service_reference"},
            }
        }
        data = await self._api.send_json(
            "POST", INTEGRATIONS_PATH, path_params={"id": service_id}, json=body
        )
        return self._one(data, "POST", INTEGRATIONS_PATH)

    async def get(self, service_id: str, integration_id: str) -> Integration:
        data = await self._api.get_json(
            INTEGRATION_PATH, path_params={"id": service_id, "integration_id": integration_id}
        )
        return self._one(data, "GET", INTEGRATION_PATH)

    @staticmethod
    def _one(data: Any, method: str, path: str) -> Integration:
        body = unwrap(data, "integration", method=method, path=path)
        return parse(Integration, body, method=method, path=path)

"""Event Orchestration paths: get/put of service, global, router (and unrouted) paths.

Paths are plain dicts (TypedDicts) so that rules the operator does not own travel back to
PagerDuty exactly as they came: nothing is dropped, renamed or defaulted. A PUT replaces the whole
path ("omitted rules and rule details are deleted"), so callers read, modify and write back;
only the writable parts (`sets`, `catch_all`) are sent. PUT responses may carry `warnings`
(plan-gated features; `null` or absent when there are none), returned in :class:`PathUpdate`.
Reads return the full action object (every key the path type supports, unset ones `null`, `false`
or `[]`): comparisons must normalise it (`reconcile.rule_desired.normalized_actions`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict, cast

from ..errors import MalformedResponseError
from ..pagination import iter_offset
from .base import JsonApi, unwrap

PathKind = Literal["service", "global", "router", "unrouted"]

PATH_TEMPLATES: dict[PathKind, str] = {
    "service": "/event_orchestrations/services/{id}",
    "global": "/event_orchestrations/{id}/global",
    "router": "/event_orchestrations/{id}/router",
    "unrouted": "/event_orchestrations/{id}/unrouted",
}
ACTIVE_PATH = "/event_orchestrations/services/{id}/active"
ORCHESTRATIONS_PATH = "/event_orchestrations"


class RuleCondition(TypedDict):
    expression: str


class OrchestrationRule(TypedDict, total=False):
    id: str
    label: str
    conditions: list[RuleCondition]
    actions: dict[str, Any]
    disabled: bool


class OrchestrationSet(TypedDict):
    id: str
    rules: list[OrchestrationRule]


class OrchestrationPath(TypedDict, total=False):
    """`orchestration_path`: read-only fields come back from GET; PUT sends sets and catch_all."""

    type: str
    parent: dict[str, Any]
    self: str
    sets: list[OrchestrationSet]
    catch_all: dict[str, Any]
    created_at: str
    created_by: dict[str, Any] | None
    updated_at: str
    updated_by: dict[str, Any] | None
    version: str | None


class OrchestrationWarning(TypedDict, total=False):
    message: str
    rule_id: str
    feature: str
    feature_type: str
    warning_type: str


@dataclass(frozen=True)
class PathUpdate:
    """The path as PagerDuty stored it, and the warnings it returned with the PUT."""

    path: OrchestrationPath
    warnings: list[OrchestrationWarning] = field(default_factory=list)


def _as_path(data: Any, method: str, path: str) -> OrchestrationPath:
    body = unwrap(data, "orchestration_path", method=method, path=path)
    if not isinstance(body, dict) or not isinstance(body.get("sets", []), list):
        raise MalformedResponseError("orchestration_path is not a path", method=method, path=path)
    return cast(OrchestrationPath, body)


def _warnings(data: Any) -> list[OrchestrationWarning]:
    """A PUT answer's `warnings`: an array, or `null`/absent when there are none.

    PagerDuty's Go client decodes the answer as a map of paths, so "none" is `null` (or absent),
    never `[]`; all three (and anything else that is not an array) mean no warnings here.
    """
    warnings = data.get("warnings") if isinstance(data, dict) else None
    if not isinstance(warnings, list):
        return []
    return [cast(OrchestrationWarning, w) for w in warnings if isinstance(w, dict)]


class EventOrchestrations:
    """`/event_orchestrations/...` (scopes `event_orchestrations.*`; service paths `services.*`)."""

    def __init__(self, api: JsonApi) -> None:
        self._api = api

    async def get_path(self, kind: PathKind, parent_id: str) -> OrchestrationPath:
        """A service path (`parent_id` = service id) or a global/router/unrouted path."""
        template = PATH_TEMPLATES[kind]
        data = await self._api.get_json(template, path_params={"id": parent_id})
        return _as_path(data, "GET", template)

    async def put_path(self, kind: PathKind, parent_id: str, path: OrchestrationPath) -> PathUpdate:
        """Replace the whole path with `path`'s sets and catch-all (idempotent)."""
        template = PATH_TEMPLATES[kind]
        writable: dict[str, Any] = {"sets": path.get("sets", [])}
        if "catch_all" in path:
            writable["catch_all"] = path["catch_all"]
        data = await self._api.send_json(
            "PUT", template, path_params={"id": parent_id}, json={"orchestration_path": writable}
        )
        return PathUpdate(path=_as_path(data, "PUT", template), warnings=_warnings(data))

    async def get_service_path(self, service_id: str) -> OrchestrationPath:
        return await self.get_path("service", service_id)

    async def put_service_path(self, service_id: str, path: OrchestrationPath) -> PathUpdate:
        return await self.put_path("service", service_id, path)

    async def get_global_path(self, orchestration_id: str) -> OrchestrationPath:
        return await self.get_path("global", orchestration_id)

    async def put_global_path(self, orchestration_id: str, path: OrchestrationPath) -> PathUpdate:
        return await self.put_path("global", orchestration_id, path)

    async def get_router_path(self, orchestration_id: str) -> OrchestrationPath:
        return await self.get_path("router", orchestration_id)

    async def put_router_path(self, orchestration_id: str, path: OrchestrationPath) -> PathUpdate:
        return await self.put_path("router", orchestration_id, path)

    async def get_service_active(self, service_id: str) -> bool:
        """Whether the service evaluates its orchestration (vs. a legacy ruleset)."""
        data = await self._api.get_json(ACTIVE_PATH, path_params={"id": service_id})
        return self._active(data, "GET")

    async def set_service_active(self, service_id: str, active: bool) -> bool:
        data = await self._api.send_json(
            "PUT", ACTIVE_PATH, path_params={"id": service_id}, json={"active": active}
        )
        return self._active(data, "PUT")

    async def iterate(self) -> AsyncIterator[dict[str, Any]]:
        """Every global orchestration (raw objects), 100 per request."""
        async for item in iter_offset(self._api, ORCHESTRATIONS_PATH, "orchestrations"):
            yield cast(dict[str, Any], item)

    @staticmethod
    def _active(data: Any, method: str) -> bool:
        value = unwrap(data, "active", method=method, path=ACTIVE_PATH)
        if not isinstance(value, bool):
            raise MalformedResponseError(
                "'active' is not a boolean", method=method, path=ACTIVE_PATH
            )
        return value

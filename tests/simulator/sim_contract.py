"""Validating simulator traffic against PagerDuty's official OpenAPI documents (openapi-core)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from openapi_core import OpenAPI
from openapi_core.configurations import Config
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

REPO_ROOT = Path(__file__).resolve().parents[2]
REST_HOST = "https://api.pagerduty.com"
EVENTS_HOST = "https://events.pagerduty.com"


class UndeclaredFields:
    """Finds response fields that no schema declares (openapi-core allows them silently).

    openapi-core's own "forbid additional properties" policy cannot see through `allOf`, so this
    walker merges the properties of `allOf`/`anyOf`/`oneOf` branches itself. Objects whose schema
    declares no properties (free-form) are not inspected.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.templates = [
            (re.compile("^" + re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(t)) + "$"), t)
            for t in sorted(document["paths"], key=lambda t: (t.count("{"), t))
        ]

    def resolve(self, schema: Any) -> dict[str, Any]:
        while isinstance(schema, dict) and "$ref" in schema:
            node: Any = self.document
            for part in schema["$ref"][2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                node = node[int(part)] if isinstance(node, list) else node[part]
            schema = node
        return schema if isinstance(schema, dict) else {}

    def branches(self, schema: Any) -> list[dict[str, Any]]:
        """The schema and every allOf/anyOf/oneOf branch below it, resolved."""
        resolved = self.resolve(schema)
        found = [resolved]
        for key in ("allOf", "anyOf", "oneOf"):
            for branch in resolved.get(key, []):
                found.extend(self.branches(branch))
        return found

    def check(self, schemas: list[Any], value: Any, where: str, out: list[str]) -> None:
        parts = [branch for schema in schemas for branch in self.branches(schema)]
        if isinstance(value, dict):
            declared: dict[str, list[Any]] = {}
            for branch in parts:
                for name, sub in branch.get("properties", {}).items():
                    declared.setdefault(name, []).append(sub)
            if not declared:
                return
            for name, item in value.items():
                if name in declared:
                    self.check(declared[name], item, f"{where}/{name}", out)
                else:
                    out.append(f"{where}/{name}".lstrip("/"))
        elif isinstance(value, list):
            items = [branch["items"] for branch in parts if "items" in branch]
            if items:
                for index, item in enumerate(value):
                    self.check(items, item, f"{where}/{index}", out)

    def response_schema(self, method: str, path: str, status: int) -> Any:
        for pattern, template in self.templates:
            if pattern.match(path):
                operation = self.document["paths"][template].get(method.lower(), {})
                response = self.resolve(operation.get("responses", {}).get(str(status), {}))
                media = response.get("content", {}).get("application/json", {})
                return media.get("schema")
        return None

    def find(self, method: str, path: str, status: int, body: Any) -> list[str]:
        schema = self.response_schema(method, path, status)
        out: list[str] = []
        if schema is not None:
            self.check([schema], body, "", out)
        return out


def spec_dir() -> Path:
    """`<repo>/../shared/pagerduty-api`, or `PDO_PAGERDUTY_API_DIR`."""
    override = os.environ.get("PDO_PAGERDUTY_API_DIR")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "pagerduty-api"


def load_document(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def load_spec(document: dict[str, Any]) -> OpenAPI:
    # The REST document fails strict spec validation (a non-integer default), so skip that step.
    return OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))


@dataclass
class SpecRequest:
    """openapi-core's Request protocol for one recorded httpx request."""

    host_url: str
    path: str
    method: str
    parameters: RequestParameters
    content_type: str
    body: bytes | None


@dataclass
class SpecResponse:
    """openapi-core's Response protocol for one recorded httpx response."""

    status_code: int
    content_type: str
    headers: Headers
    data: bytes | None


def to_spec_request(request: httpx.Request, host: str) -> SpecRequest:
    content = request.content
    return SpecRequest(
        host_url=host,
        path=request.url.path,
        method=request.method.lower(),
        parameters=RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
            path={},
        ),
        content_type=request.headers.get("Content-Type", ""),
        body=content or None,
    )


def to_spec_response(response: httpx.Response) -> SpecResponse:
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return SpecResponse(
        status_code=response.status_code,
        content_type=content_type,
        headers=Headers(list(response.headers.items())),
        data=response.content or None,
    )


def _schema_errors(error: BaseException) -> list[str]:
    found: list[str] = []
    for nested in getattr(error, "schema_errors", None) or []:
        location = "/".join(str(p) for p in getattr(nested, "absolute_path", []))
        found.append(f"at '{location}': {getattr(nested, 'message', nested)}")
        for context in getattr(nested, "context", None) or []:
            where = "/".join(str(p) for p in getattr(context, "absolute_path", []))
            found.append(f"  at '{where}': {getattr(context, 'message', context)}")
    return found


def describe(error: BaseException) -> list[str]:
    """One line per schema error behind `error` (location and message, never whole values)."""
    details: list[str] = []
    cause: BaseException | None = error
    while cause is not None:
        details.extend(_schema_errors(cause))
        cause = cause.__cause__
    if not details:
        details.append(str(error))
    return [f"{error.__class__.__name__}: {detail.strip()}" for detail in dict.fromkeys(details)]


@dataclass(frozen=True)
class Violation:
    api: str
    method: str
    path: str
    status: int
    phase: str
    message: str

    def __str__(self) -> str:
        where = f"{self.method} {self.path} -> {self.status}"
        return f"[{self.api}] {where} ({self.phase}): {self.message}"


@dataclass
class ContractRecorder:
    """Sends requests and records every request/response that the specs reject."""

    rest: OpenAPI
    events: OpenAPI
    undeclared: UndeclaredFields
    violations: list[Violation] = field(default_factory=list)
    exchanges: list[tuple[str, str, str, int]] = field(default_factory=list)

    async def call(
        self, client: httpx.AsyncClient, method: str, path: str, *, api: str = "rest", **kwargs: Any
    ) -> httpx.Response:
        response = await client.request(method, path, **kwargs)
        self.check(response, api)
        return response

    def check(self, response: httpx.Response, api: str) -> None:
        spec = self.rest if api == "rest" else self.events
        host = REST_HOST if api == "rest" else EVENTS_HOST
        request = to_spec_request(response.request, host)
        self.exchanges.append((api, request.method.upper(), request.path, response.status_code))
        for phase, errors in (
            ("request", spec.iter_request_errors(request)),
            ("response", spec.iter_response_errors(request, to_spec_response(response))),
        ):
            for error in errors:
                for detail in describe(error):
                    self.violations.append(
                        Violation(
                            api,
                            request.method.upper(),
                            request.path,
                            response.status_code,
                            phase,
                            detail,
                        )
                    )
        if api == "rest" and response.content:
            try:
                body = response.json()
            except ValueError:
                return
            for location in self.undeclared.find(
                request.method, request.path, response.status_code, body
            ):
                self.violations.append(
                    Violation(
                        api,
                        request.method.upper(),
                        request.path,
                        response.status_code,
                        "undeclared",
                        f"undeclared field '{location}'",
                    )
                )

"""Validating simulator traffic against PagerDuty's official OpenAPI documents (openapi-core).

The documents and the adaptation of httpx traffic to openapi-core live in `support.pagerduty_spec`;
this module adds what only the simulator's contract test needs: a recorder of violations and a
check for response fields that no schema declares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from openapi_core import OpenAPI

from support.pagerduty_spec import (
    EVENTS_HOST,
    REST_HOST,
    describe,
    to_spec_request,
    to_spec_response,
)


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
        method, status = request.method.upper(), response.status_code
        self.exchanges.append((api, method, request.path, status))

        def violation(phase: str, message: str) -> None:
            self.violations.append(Violation(api, method, request.path, status, phase, message))

        for phase, errors in (
            ("request", spec.iter_request_errors(request)),
            ("response", spec.iter_response_errors(request, to_spec_response(response))),
        ):
            for error in errors:
                for detail in describe(error):
                    violation(phase, detail)
        if api == "rest" and response.content:
            try:
                body = response.json()
            except ValueError:
                return
            for location in self.undeclared.find(request.method, request.path, status, body):
                violation("undeclared", f"undeclared field '{location}'")

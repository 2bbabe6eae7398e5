"""PagerDuty's official OpenAPI documents, and recorded httpx traffic in openapi-core's terms.

The documents are read from `<repo>/../shared/pagerduty-api` (or `PDO_PAGERDUTY_API_DIR`), never
copied into this repository. `to_spec_request`/`to_spec_response` adapt one httpx exchange to
openapi-core's Request and Response protocols; `schema_messages` and `describe` turn a validation
error into one line per schema error (location and message, never whole values).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
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


def spec_dir() -> Path:
    """`<repo>/../shared/pagerduty-api`, or `PDO_PAGERDUTY_API_DIR`."""
    override = os.environ.get("PDO_PAGERDUTY_API_DIR")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "pagerduty-api"


def rest_spec_path() -> Path:
    """The REST API v2 document."""
    return spec_dir() / "REST" / "openapiv3.json"


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


def to_spec_request(request: httpx.Request, host: str = REST_HOST) -> SpecRequest:
    """The request as sent to `host` (the official API's origin, which the documents declare)."""
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
        body=request.content or None,
    )


def to_spec_response(response: httpx.Response) -> SpecResponse:
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return SpecResponse(
        status_code=response.status_code,
        content_type=content_type,
        headers=Headers(list(response.headers.items())),
        data=response.content or None,
    )


def _location(node: Any) -> str:
    return "/".join(str(p) for p in getattr(node, "absolute_path", []))


def schema_messages(error: BaseException, *, with_context: bool = False) -> list[str]:
    """`at '<location>': <message>` per schema error behind `error` and its causes.

    With `with_context`, each is followed by the errors of its branches (`oneOf`/`anyOf`),
    indented. An error without schema errors gives its own text.
    """
    found: list[str] = []
    cause: BaseException | None = error
    while cause is not None:
        for nested in getattr(cause, "schema_errors", None) or []:
            found.append(f"at '{_location(nested)}': {getattr(nested, 'message', nested)}")
            if with_context:
                for context in getattr(nested, "context", None) or []:
                    found.append(
                        f"  at '{_location(context)}': {getattr(context, 'message', context)}"
                    )
        cause = cause.__cause__
    return found or [str(error)]


def describe(error: BaseException) -> list[str]:
    """One line per schema error behind `error`, with branch details, named by the error's class."""
    details = schema_messages(error, with_context=True)
    return [f"{error.__class__.__name__}: {detail.strip()}" for detail in dict.fromkeys(details)]

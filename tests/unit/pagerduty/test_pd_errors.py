"""Error bodies of every known shape become the right typed error, without secrets."""

from __future__ import annotations

import httpx
import pytest

from pagerduty_operator.pagerduty import errors as e
from pagerduty_operator.pagerduty.redact import register_secret


def _response(
    status: int, content: bytes, content_type: str = "application/json"
) -> httpx.Response:
    return httpx.Response(status, content=content, headers={"content-type": content_type})


def _error(status: int, content: bytes, content_type: str = "application/json") -> e.PagerDutyError:
    return e.error_from_response(
        _response(status, content, content_type), method="GET", path="/services/{id}"
    )


def test_standard_body() -> None:
    err = _error(
        400,
        b'{"error": {"message": "Invalid Input Provided", "code": 2001,'
        b' "errors": ["Events must be unique", "URL is invalid"]}}',
    )
    assert isinstance(err, e.InvalidInputError)
    assert (err.status, err.code, err.message) == (400, 2001, "Invalid Input Provided")
    assert err.errors == ("Events must be unique", "URL is invalid")
    assert err.method == "GET"
    assert err.path == "/services/{id}"
    assert "URL is invalid" in str(err)
    assert "/services/{id}" in str(err)


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, 2001, e.InvalidInputError),
        (422, None, e.InvalidInputError),
        (400, 2019, e.ProductLimitError),
        (401, 2006, e.AuthenticationError),
        (402, 2014, e.MissingAbilityError),
        (403, 2010, e.MissingScopeError),
        (404, 2100, e.NotFoundError),
        (409, None, e.ConflictError),
        (429, 2020, e.RateLimitedError),
        (500, 2000, e.ServerError),
        (503, None, e.ServerError),
        (405, None, e.UnexpectedStatusError),
        (413, None, e.UnexpectedStatusError),
    ],
)
def test_status_and_code_pick_the_class(status: int, code: int | None, cls: type) -> None:
    body = b'{"error": {"message": "m"' + (f', "code": {code}'.encode() if code else b"") + b"}}"
    err = _error(status, body)
    assert type(err) is cls
    assert err.status == status
    assert err.code == code


def test_product_limit_by_code_whatever_the_status() -> None:
    err = _error(403, b'{"error": {"message": "Subscription Limit Exceeded", "code": 2019}}')
    assert isinstance(err, e.ProductLimitError)


def test_empty_body_uses_the_reason_phrase() -> None:
    err = _error(404, b"", "")
    assert isinstance(err, e.NotFoundError)
    assert err.code is None
    assert err.message == "Not Found"


def test_html_error_page_is_not_copied_into_the_message() -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1><p>nginx secret-internal-host</p></body></html>"
    err = _error(502, page, "text/html; charset=utf-8")
    assert isinstance(err, e.ServerError)
    assert "nginx" not in str(err)
    assert "<html>" not in str(err)
    assert "text/html" in err.message


def test_string_error_of_users_me() -> None:
    body = (
        b'{"error": "Because this request was made using an account-level access token, we were'
        b" unable to determine the user's identity. Please use a user-level token.\"}"
    )
    err = _error(400, body)
    assert isinstance(err, e.InvalidInputError)
    assert err.message.startswith("Because this request was made using an account-level")


def test_oauth_error_description() -> None:
    err = _error(401, b'{"error": "invalid_client", "error_description": "Client unknown"}')
    assert isinstance(err, e.AuthenticationError)
    assert err.message == "Client unknown"


def test_top_level_message_and_v3_errors_map() -> None:
    body = b'{"message": "Not Found", "code": 2100, "errors": {"name": ["is too long"]}}'
    err = _error(404, body)
    assert err.code == 2100
    assert err.errors == ("name: is too long",)


@pytest.mark.parametrize(
    "content",
    [b"[1, 2]", b"null", b'"text"', b"\xff\xfe\x00", b'{"error": 5}', b'{"error": {"code": "x"}}'],
)
def test_malformed_bodies_never_crash(content: bytes) -> None:
    err = _error(500, content)
    assert isinstance(err, e.ServerError)
    assert err.message


def test_messages_and_reprs_are_redacted() -> None:
    secret = "echoed-token-a81c9f2e"
    register_secret(secret)
    body = (
        b'{"error": {"message": "bad token ' + secret.encode() + b'", "code": 2006,'
        b' "errors": ["Token token=abcdef123456 rejected"]}}'
    )
    err = _error(401, body)
    for text in (str(err), repr(err), err.message, *err.errors):
        assert secret not in text
        assert "abcdef123456" not in text


def test_ambiguous_and_rate_limited_carry_their_extras() -> None:
    amb = e.AmbiguousWriteError(cause="read_timeout", method="POST", path="/webhook_subscriptions")
    assert amb.cause == "read_timeout"
    assert "may have happened" in str(amb)
    assert "HTTP" not in str(amb)
    limited = e.error_from_response(
        _response(429, b""), method="GET", path="/services", retry_after=20.0
    )
    assert isinstance(limited, e.RateLimitedError)
    assert limited.retry_after == 20.0


def test_unknown_priority_lists_the_valid_names() -> None:
    err = e.UnknownPriorityError("P9", ["P1", "P2"])
    assert isinstance(err, e.NotFoundError)
    assert err.valid_names == ("P1", "P2")
    assert "P1, P2" in str(err)

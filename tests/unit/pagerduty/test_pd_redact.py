"""Redaction of secrets by shape and by known value, in text, data and log records."""

from __future__ import annotations

import logging

import pytest

from pagerduty_operator.pagerduty.redact import (
    REDACTED,
    RedactingFilter,
    install_redaction,
    redact_data,
    redact_headers,
    redact_text,
    register_secret,
)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Token token=y_abc123SECRET", "y_abc123SECRET"),
        ("authorization: Bearer pdus+_0XBPWQQ_dfd3c718", "pdus+_0XBPWQQ_dfd3c718"),
        ("got pdus+_1XBPWQQ_abc-def.ghi in body", "pdus+_1XBPWQQ_abc-def.ghi"),
        ('{"access_token": "opaque-value-1"}', "opaque-value-1"),
        ("{'refresh_token': 'opaque-value-2'}", "opaque-value-2"),
        ('{"secret":"whsec-value-3","x":1}', "whsec-value-3"),
        ('{"integration_key": "cafe0000000000000000000000000001"}', "cafe000000000000000000000"),
        ("grant_type=client_credentials&client_secret=s3cr3t-value&x=1", "s3cr3t-value"),
        ("routing_key=R022XIJR9M266DX570EVE6EXP1AFBN6D", "R022XIJR9M266DX570EVE6EXP1AFBN6D"),
        ("https://user:hunter2pass@hooks.example/x", "hunter2pass"),
    ],
)
def test_patterns(text: str, secret: str) -> None:
    redacted = redact_text(text)
    assert secret not in redacted
    assert REDACTED in redacted


def test_known_values_are_redacted_anywhere() -> None:
    register_secret("zq-known-secret-value-99")
    assert redact_text("prefix zq-known-secret-value-99 suffix") == f"prefix {REDACTED} suffix"


def test_short_values_are_not_registered() -> None:
    register_secret("ab")
    assert redact_text("a b ab abc") == "a b ab abc"


def test_plain_text_is_untouched() -> None:
    text = "GET /webhook_subscriptions/{id} -> 404 in 3.1 ms (attempt 1)"
    assert redact_text(text) == text


def test_headers_and_data() -> None:
    headers = redact_headers({"Authorization": "Token token=abc", "Accept": "application/json"})
    assert headers == {"Authorization": REDACTED, "Accept": "application/json"}
    data = redact_data(
        {
            "delivery_method": {
                "url": "https://x.example",
                "secret": "whsec-1",
                "custom_headers": [{"name": "X-Key", "value": "hdr-secret"}],
            },
            "integration_key": "abc",
        }
    )
    assert data["delivery_method"]["secret"] == REDACTED
    assert data["delivery_method"]["custom_headers"][0] == {"name": "X-Key", "value": REDACTED}
    assert data["delivery_method"]["url"] == "https://x.example"
    assert data["integration_key"] == REDACTED


def test_filter_redacts_message_args_and_exception(caplog: pytest.LogCaptureFixture) -> None:
    register_secret("filter-secret-4242")
    logger = logging.getLogger("test.redact.filter")
    filt = RedactingFilter()
    logger.addFilter(filt)
    try:
        with caplog.at_level(logging.DEBUG, logger="test.redact.filter"):
            logger.info("token %s", "filter-secret-4242")
            try:
                raise ValueError("boom filter-secret-4242")
            except ValueError:
                logger.exception("failed with Bearer abc.def")
    finally:
        logger.removeFilter(filt)
    assert "filter-secret-4242" not in caplog.text
    assert "abc.def" not in caplog.text
    assert "token ***" in caplog.text
    assert "ValueError: boom ***" in caplog.text


def test_install_redaction_is_idempotent() -> None:
    handler = logging.NullHandler()
    install_redaction(handler)
    install_redaction(handler)
    assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1

"""kopf's session to the apiserver: bounded pool sized for the watch streams, same credentials."""

from __future__ import annotations

import aiohttp
import kopf

from pagerduty_operator.runtime.kopf_session import (
    SPARE_STREAMS,
    WATCHED_KINDS,
    WORKING_CONNECTIONS,
    bounded_session,
    connection_limit,
)


def test_limit_leaves_room_for_every_watch_stream() -> None:
    assert connection_limit(()) == WORKING_CONNECTIONS + WATCHED_KINDS + SPARE_STREAMS
    three = connection_limit(("a", "b", "c"))
    assert three == WORKING_CONNECTIONS + 3 * WATCHED_KINDS + SPARE_STREAMS


def test_namespace_patterns_keep_kopfs_unlimited_pool() -> None:
    assert connection_limit(("team-*",)) is None
    assert connection_limit(("a", "!b")) is None


async def test_session_carries_the_credentials_and_the_limit() -> None:
    info = kopf.ConnectionInfo(
        server="https://127.0.0.1:6443",
        scheme="Bearer",
        token="fake-unit-test-token",
        default_namespace="ns",
        insecure=True,
    )
    context = bounded_session(info, 40)
    try:
        assert isinstance(context, kopf.AiohttpSession)
        assert context.server == info.server
        assert context.default_namespace == "ns"
        session = context.aiohttp_session
        assert isinstance(session.connector, aiohttp.TCPConnector)
        assert session.connector.limit == 40
        assert session.headers["Authorization"] == "Bearer fake-unit-test-token"
    finally:
        await context.aiohttp_session.close()

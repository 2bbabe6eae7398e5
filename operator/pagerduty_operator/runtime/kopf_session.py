"""kopf's own connection to the apiserver (watches, patches, events), with a bounded pool.

kopf's built-in aiohttp session has no connection limit. When many objects need a patch at
the same moment (a restart with a thousand resources, a burst of creations) it opens one TLS
connection per request and keeps them all pooled: about 300 KB of memory each, measured with
1000 concurrent requests (+294 MiB; +12 MiB with a limit of 32), plus a TLS handshake each on
both sides. The login handler builds the same session (credentials, CA, proxy, headers) with a
limit: working connections plus one per watch stream (each watched kind in each namespace holds
one for as long as it watches).
"""

from __future__ import annotations

import aiohttp
import kopf

WORKING_CONNECTIONS = 32
WATCHED_KINDS = 4
"""PagerDutyIntegration, PagerDutyWebhook, PagerDutyIncidentRule and Secret."""
SPARE_STREAMS = 8
"""Peering and namespace watches, and streams still closing while new ones open."""

GLOB_CHARACTERS = frozenset("*?[]!")


def connection_limit(namespaces: tuple[str, ...]) -> int | None:
    """The pool size for these namespaces (empty: cluster-wide); None means no limit.

    Namespace patterns (globs) can match any number of namespaces, each with its own watch
    streams, so they keep kopf's unlimited pool rather than risk starving a watch.
    """
    if any(GLOB_CHARACTERS & set(namespace) for namespace in namespaces):
        return None
    return WORKING_CONNECTIONS + WATCHED_KINDS * max(1, len(namespaces)) + SPARE_STREAMS


def bounded_session(info: kopf.ConnectionInfo, limit: int) -> kopf.AiohttpSession:
    """An aiohttp session equivalent to kopf's own for `info`, with at most `limit` connections.

    Call it inside the running event loop (an async login handler); kopf closes the session
    when it drops these credentials.
    """
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, ssl=info.as_ssl_context()),
        headers=info.as_http_headers(),
        proxy=info.proxy_url,
        trust_env=info.trust_env,
    )
    return kopf.AiohttpSession(
        server=info.server,
        default_namespace=info.default_namespace,
        priority=info.priority,
        expiration=info.expiration,
        aiohttp_session=session,
    )

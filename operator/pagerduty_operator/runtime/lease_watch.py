"""Wake a standby the moment the Lease changes hands: a watch on that one Lease.

A standby polls the Lease every retry period (2 s by default), so after a graceful stop (the
leader releases the lease: empty holder) it would lead up to a whole retry period later. While
standing by, a thread keeps a watch open on the Lease (`fieldSelector=metadata.name=<lease>`,
which RBAC authorizes against the Lease's name: the chart grants `watch` on that name only) and
completes the standby's wake-up future when the holder differs from the one it last saw: a
release, or a new leader. Renewals (the same holder) wake nobody, so the standby still reads the
Lease once per retry period, as before, and detects an expired lease (a killed leader writes
nothing) by polling.

The watch is an optimisation only: when it is refused (RBAC without `watch`, 403) it stops for
good and says so once; other errors are retried after a retry period. The thread is a daemon and
its watch requests end on the server within `timeoutSeconds`, so it never holds a process that
exits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
from typing import Any
from urllib.parse import quote

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

logger = logging.getLogger(__name__)


def holder_of(event: dict[str, Any]) -> str | None:
    """The holder named by a watch event's Lease; None for an event without a Lease (ERROR)."""
    if event.get("type") not in ("ADDED", "MODIFIED", "DELETED"):
        return None
    lease = event.get("object")
    if not isinstance(lease, dict):
        return None
    if event["type"] == "DELETED":
        return ""
    spec = lease.get("spec") or {}
    return str(spec.get("holderIdentity") or "")


class LeaseWatch:
    """A thread watching one Lease; `changed(since)` completes on a hand-over after `since`."""

    def __init__(
        self, api: client.ApiClient, namespace: str, name: str, retry_period: float
    ) -> None:
        self._api = api
        self.namespace = namespace
        self.name = name
        self._retry_period = retry_period
        self._window = min(max(1, math.ceil(retry_period * 5)), 60)
        """Seconds each watch request stays open (the server ends it: `timeoutSeconds`)."""
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiter: asyncio.Future[None] | None = None
        self.hand_overs = 0
        """Hand-overs seen so far: a standby notes it before reading the Lease, then waits for
        more, so a hand-over between its read and its wait is never missed."""
        self._thread: threading.Thread | None = None
        self.refused = False
        """The apiserver refused the watch (403): the standby only polls."""

    def start(self) -> None:
        """Start watching (call in the event loop that awaits `changed()`)."""
        self._loop = asyncio.get_running_loop()
        self._stopped.clear()
        self._thread = threading.Thread(target=self._run, name="lease watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching; the thread ends when its request does (at most one watch window)."""
        self._stopped.set()

    def changed(self, since: int) -> asyncio.Future[None]:
        """A future completed once more than `since` hand-overs were seen (maybe already)."""
        assert self._loop is not None, "start() first"
        waiter: asyncio.Future[None] = self._loop.create_future()
        with self._lock:
            if self.hand_overs > since:
                waiter.set_result(None)
            else:
                self._waiter = waiter
        return waiter

    def _wake(self) -> None:
        with self._lock:
            self.hand_overs += 1
            waiter, self._waiter = self._waiter, None
        if waiter is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(_complete, waiter)

    def _run(self) -> None:
        holder: str | None = None
        resource_version = ""
        while not self._stopped.is_set():
            try:
                holder, resource_version = self._watch_once(holder, resource_version)
            except ApiException as error:
                if error.status == 403:
                    self.refused = True
                    logger.info(
                        "Lease %s: watching it is not allowed (RBAC: no `watch` on leases); "
                        "a standby notices a released lease by polling instead.",
                        self.name,
                    )
                    return
                resource_version = ""  # 410 Gone and the like: start from the current state
                self._stopped.wait(self._retry_period)
            except (HTTPError, OSError, ValueError):
                resource_version = ""
                self._stopped.wait(self._retry_period)

    def _watch_once(self, holder: str | None, resource_version: str) -> tuple[str | None, str]:
        """One watch request; returns the last holder and resourceVersion it saw."""
        query = [
            ("fieldSelector", f"metadata.name={self.name}"),
            ("watch", "true"),
            ("timeoutSeconds", str(self._window)),
        ]
        if resource_version:
            query.append(("resourceVersion", resource_version))
        path = f"/apis/coordination.k8s.io/v1/namespaces/{quote(self.namespace, safe='')}/leases"
        method, url, headers, body, post = self._api.param_serialize(
            method="GET",
            resource_path=path,
            query_params=query,
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        response = self._api.call_api(
            method, url, headers, body, post, _request_timeout=(5, self._window + 5)
        )
        stream = response.response
        if response.status >= 400:
            response.read()  # type: ignore[no-untyped-call]
            raise ApiException(status=response.status, reason=response.reason)
        exhausted = False
        try:
            buffer = b""
            for chunk in stream.stream(1024, decode_content=True):
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    holder, resource_version = self._on_line(line, holder, resource_version)
                if self._stopped.is_set():
                    break
            else:
                exhausted = True
        finally:
            if not exhausted:  # a half-read stream must not go back to the pool
                stream.close()
            stream.release_conn()
        return holder, resource_version

    def _on_line(
        self, line: bytes, holder: str | None, resource_version: str
    ) -> tuple[str | None, str]:
        if not line.strip():
            return holder, resource_version
        event = json.loads(line)
        if event.get("type") == "ERROR":  # e.g. 410 Gone: too old a resourceVersion
            raise ApiException(status=int((event.get("object") or {}).get("code") or 500))
        seen = holder_of(event)
        metadata = (event.get("object") or {}).get("metadata") or {}
        resource_version = str(metadata.get("resourceVersion") or resource_version)
        if seen is None:
            return holder, resource_version
        if seen != holder and (holder is not None or seen == ""):
            self._wake()
        return seen, resource_version


def _complete(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)

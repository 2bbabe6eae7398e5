"""Count status writes per custom resource by watching the apiserver, for hot-loop checks.

A background thread per plural watches one namespace and counts, per object, the events whose
`status` differs from the last one seen: every status write of the operator changes the status
(at least `lastSyncTime`), so this counts writes, not wall-clock time.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from support.kube import GROUP, VERSION

Key = tuple[str, str]


class StatusWrites:
    """Per (plural, name): how many times the status changed since the watch began."""

    def __init__(self, api: client.ApiClient, namespace: str, plurals: list[str]) -> None:
        self._custom = client.CustomObjectsApi(api)
        self._namespace = namespace
        self._lock = threading.Lock()
        self._last: dict[Key, Any] = {}
        self._writes: Counter[Key] = Counter()
        self._stop = threading.Event()
        self._plurals = plurals
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """List each plural (the baseline), then watch from that list's resourceVersion."""
        for plural in self._plurals:
            listing = self._custom.list_namespaced_custom_object(
                GROUP, VERSION, self._namespace, plural
            )
            assert isinstance(listing, dict)
            for obj in listing["items"]:
                self._record(plural, obj)
            version = str(listing["metadata"]["resourceVersion"])
            thread = threading.Thread(target=self._watch, args=(plural, version), daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def counts(self) -> Counter[Key]:
        with self._lock:
            return Counter(self._writes)

    def _watch(self, plural: str, version: str) -> None:
        while not self._stop.is_set():
            watcher = watch.Watch()  # type: ignore[no-untyped-call]
            try:
                for event in watcher.stream(  # type: ignore[no-untyped-call]
                    self._custom.list_namespaced_custom_object,
                    GROUP,
                    VERSION,
                    self._namespace,
                    plural,
                    resource_version=version,
                    timeout_seconds=2,
                ):
                    obj = event["object"]
                    version = obj["metadata"]["resourceVersion"]
                    self._record(plural, obj)
                    if self._stop.is_set():
                        break
            except ApiException as error:
                if error.status == 410:  # too old: continue from "now"
                    version = ""
                    continue
                raise
            except HTTPError:
                continue
            finally:
                watcher.stop()  # type: ignore[no-untyped-call]

    def _record(self, plural: str, obj: dict[str, Any]) -> None:
        key = (plural, str(obj["metadata"]["name"]))
        status = obj.get("status")
        with self._lock:
            if key in self._last and self._last[key] != status:
                self._writes[key] += 1
            self._last[key] = status

"""The benchmark's side of Kubernetes: create objects fast, watch them become Ready, count requests.

`create_all` posts objects from a thread pool (so creating is not what the benchmark measures);
`ReadyTracker` follows custom resources with watches and records when each one became Ready
for its current generation; `apiserver_requests` reads `apiserver_request_total` from the
kube-apiserver's /metrics with the admin credentials.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from bench.workload import GROUP, VERSION

Key = tuple[str, str]
"""(plural, name) of a custom resource."""

PLURALS = {
    "PagerDutyIntegration": "pagerdutyintegrations",
    "PagerDutyWebhook": "pagerdutywebhooks",
    "PagerDutyIncidentRule": "pagerdutyincidentrules",
}


def key_of(obj: Mapping[str, Any]) -> Key:
    return PLURALS[str(obj["kind"])], str(obj["metadata"]["name"])


def create_all(api: client.ApiClient, objects: list[dict[str, Any]], workers: int = 8) -> float:
    """Create every object (Secrets and our custom resources) concurrently; returns seconds."""
    core = client.CoreV1Api(api)
    custom = client.CustomObjectsApi(api)

    def create(obj: dict[str, Any]) -> None:
        namespace = obj["metadata"]["namespace"]
        if obj["kind"] == "Secret":
            secret = client.V1Secret.from_dict(obj)
            if secret is None:  # pragma: no cover - from_dict returns None only for None
                raise ValueError("empty Secret")
            core.create_namespaced_secret(namespace, secret, _preload_content=False)
        else:
            custom.create_namespaced_custom_object(
                GROUP, VERSION, namespace, PLURALS[obj["kind"]], obj, _preload_content=False
            )

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(create, objects))
    return time.monotonic() - started


def is_ready(obj: Mapping[str, Any]) -> bool:
    """Ready=True for the object's current generation."""
    status = obj.get("status") or {}
    if status.get("observedGeneration") != obj["metadata"].get("generation"):
        return False
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )


class ReadyTracker:
    """Watches custom resources of one namespace and remembers which are Ready, and since when."""

    def __init__(self, api: client.ApiClient, namespace: str, plurals: Iterable[str]) -> None:
        self._custom = client.CustomObjectsApi(api)
        self._namespace = namespace
        self._lock = threading.Condition()
        self._ready: dict[Key, float] = {}  # key -> when it (last) became Ready
        self._seen: dict[Key, Mapping[str, Any]] = {}
        self._stop = threading.Event()
        self.lists = 0
        self._threads = [
            threading.Thread(target=self._follow, args=(p,), daemon=True, name=f"watch-{p}")
            for p in plurals
        ]
        for thread in self._threads:
            thread.start()

    def _observe(self, plural: str, obj: Mapping[str, Any], deleted: bool = False) -> None:
        key = (plural, str(obj["metadata"]["name"]))
        with self._lock:
            if deleted:
                self._ready.pop(key, None)
                self._seen.pop(key, None)
            else:
                self._seen[key] = obj
                if not is_ready(obj):
                    self._ready.pop(key, None)
                elif key not in self._ready:
                    self._ready[key] = time.monotonic()
            self._lock.notify_all()

    def _follow(self, plural: str) -> None:
        resource_version = ""
        while not self._stop.is_set():
            try:
                if not resource_version:
                    listing = cast(
                        dict[str, Any],
                        self._custom.list_namespaced_custom_object(
                            GROUP, VERSION, self._namespace, plural
                        ),
                    )
                    self.lists += 1
                    for item in listing.get("items", []):
                        self._observe(plural, item)
                    resource_version = listing["metadata"]["resourceVersion"]
                stream = watch.Watch().stream(  # type: ignore[no-untyped-call]
                    self._custom.list_namespaced_custom_object,
                    GROUP,
                    VERSION,
                    self._namespace,
                    plural,
                    resource_version=resource_version,
                    timeout_seconds=5,
                )
                for event in stream:
                    if event["type"] == "ERROR":
                        resource_version = ""
                        break
                    obj = event["object"]
                    resource_version = obj["metadata"]["resourceVersion"]
                    self._observe(plural, obj, deleted=event["type"] == "DELETED")
            except ApiException as error:
                resource_version = ""
                if error.status != 410:
                    time.sleep(0.5)
            except Exception:  # a dropped stream: list again
                resource_version = ""
                time.sleep(0.5)

    def object(self, key: Key) -> Mapping[str, Any] | None:
        with self._lock:
            return self._seen.get(key)

    def not_ready(self, keys: Iterable[Key]) -> list[Key]:
        with self._lock:
            return [k for k in keys if k not in self._ready]

    def wait_all_ready(self, keys: Iterable[Key], timeout: float) -> float | None:
        """Block until every key is Ready at once; the monotonic time it happened, or None."""
        wanted = list(keys)
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                missing = [k for k in wanted if k not in self._ready]
                if not missing:
                    return max((self._ready[k] for k in wanted), default=time.monotonic())
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._lock.wait(min(left, 1.0))

    def reasons(self, keys: Iterable[Key]) -> Counter[str]:
        """Why the given objects are not Ready: their Ready reason (or NotReconciled)."""
        found: Counter[str] = Counter()
        with self._lock:
            for key in keys:
                if key in self._ready:
                    continue
                obj = self._seen.get(key) or {}
                reason = "NotReconciled"
                for condition in (obj.get("status") or {}).get("conditions") or []:
                    if condition.get("type") == "Ready":
                        reason = str(condition.get("reason"))
                found[reason] += 1
        return found

    def stop(self) -> None:
        self._stop.set()


_SAMPLE = re.compile(r"^apiserver_request_total\{(?P<labels>[^}]*)\} (?P<value>\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def apiserver_requests(api: client.ApiClient) -> Counter[str]:
    """`apiserver_request_total` summed by "VERB resource[/subresource]" (all codes)."""
    request = api.param_serialize("GET", "/metrics", auth_settings=["BearerToken"])
    response = api.call_api(*request)
    response.read()  # type: ignore[no-untyped-call]
    text = (response.data or b"").decode()
    totals: Counter[str] = Counter()
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match is None:
            continue
        labels = dict(_LABEL.findall(match.group("labels")))
        resource = labels.get("resource", "")
        if labels.get("subresource"):
            resource = f"{resource}/{labels['subresource']}"
        totals[f"{labels.get('verb', '')} {resource}"] += int(float(match.group("value")))
    return totals


OPERATOR_RESOURCES = (
    "pagerdutywebhooks",
    "pagerdutyincidentrules",
    "pagerdutyintegrations",
    "secrets",
    "events",
)


def request_delta(before: Counter[str], after: Counter[str]) -> dict[str, int]:
    """Requests between two readings on the resources the operator uses (no WATCH streams)."""
    delta: dict[str, int] = {}
    for key, value in after.items():
        verb, _, resource = key.partition(" ")
        if verb == "WATCH" or resource.split("/")[0] not in OPERATOR_RESOURCES:
            continue
        change = value - before.get(key, 0)
        if change > 0:
            delta[key] = change
    return dict(sorted(delta.items()))

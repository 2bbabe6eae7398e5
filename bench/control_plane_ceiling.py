"""Benchmark 7: how many webhooks per second the control plane alone can take, with no operator.

For each of N PagerDutyWebhooks the benchmark itself makes the kube-apiserver requests an
operator needs to bring one to Ready, from a pool of client threads and with one watch open on
the kind (as an operator has), in two variants:

- `minimum`: the create, the finalizer patch, the signing Secret's create and the status patch
  (4 requests): what any operator that stores the signing secret and reports status must do;
- `operator`: the create and what pagerduty-operator does per new webhook (7 requests): the
  above plus kopf's bookkeeping patch (an annotation), the Secret read before the create and a
  `Created` Event.

Reported: objects per second, and kube-apiserver plus etcd CPU per object, from which the
ceiling on this machine follows: CPUs / (their CPU per object), as if nothing else (no operator,
no client) used a cycle. If that is below the convergence target, the target is a machine limit.
"""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from kubernetes import client, watch
from urllib3.exceptions import ProtocolError

from bench.report import BenchResult, Target
from bench.stack import Cluster, cpu_seconds
from bench.workload import GROUP, VERSION, Workload

PLURAL = "pagerdutywebhooks"
FINALIZER = f"{GROUP}/finalizer"
TARGET_OBJECTS_PER_SECOND = 50.0


def _request(
    api: client.ApiClient, method: str, path: str, body: Any = None, patch: bool = False
) -> dict[str, Any]:
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/merge-patch+json" if patch else "application/json"
    request = api.param_serialize(
        method=method,
        resource_path=path,
        header_params=headers,
        body=body,
        auth_settings=["BearerToken"],
    )
    response = api.call_api(*request)
    data = response.read()  # type: ignore[no-untyped-call]
    if response.status >= 300 and not (method == "GET" and response.status == 404):
        raise RuntimeError(f"{method} {path}: {response.status}")
    answer: dict[str, Any] = json.loads(data) if data else {}
    return answer


def _status(generation: int, subscription_id: str) -> dict[str, Any]:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    conditions = [
        {
            "type": kind,
            "status": "True",
            "reason": reason,
            "message": message,
            "lastTransitionTime": now,
            "observedGeneration": generation,
        }
        for kind, reason, message in (
            ("Ready", "Ready", "the webhook subscription matches the spec"),
            ("Synced", "Synced", f"subscription {subscription_id} matches the spec"),
            ("SigningSecretAvailable", "Stored", "the signing secret is in its Secret"),
        )
    ]
    return {
        "observedGeneration": generation,
        "conditions": conditions,
        "subscriptionId": subscription_id,
        "lastSyncTime": now,
    }


def _one_webhook(api: client.ApiClient, obj: dict[str, Any], full: bool) -> int:
    """The requests for one webhook; returns how many were made."""
    namespace, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
    base = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}"
    created = _request(api, "POST", base, obj)
    uid, generation = created["metadata"]["uid"], created["metadata"].get("generation", 1)
    _request(api, "PATCH", f"{base}/{name}", {"metadata": {"finalizers": [FINALIZER]}}, True)
    ref = obj["spec"]["signingSecretRef"]
    secrets = f"/api/v1/namespaces/{namespace}/secrets"
    requests = 4
    if full:
        _request(api, "GET", f"{secrets}/{ref['name']}")
        requests += 1
    subscription_id = f"P{uid[:6].upper()}"
    _request(
        api,
        "POST",
        secrets,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": ref["name"],
                "annotations": {f"{GROUP}/subscription-id": subscription_id},
                "ownerReferences": [
                    {
                        "apiVersion": f"{GROUP}/{VERSION}",
                        "kind": obj["kind"],
                        "name": name,
                        "uid": uid,
                        "controller": True,
                    }
                ],
            },
            "type": "Opaque",
            "stringData": {ref.get("key", "secret"): os.urandom(24).hex()},
        },
    )
    _request(
        api,
        "PATCH",
        f"{base}/{name}/status",
        {"status": _status(generation, subscription_id)},
        True,
    )
    if full:
        handled = json.dumps({"spec": obj["spec"]}, separators=(",", ":"))
        annotations = {f"{GROUP}/last-handled-configuration": handled}
        _request(api, "PATCH", f"{base}/{name}", {"metadata": {"annotations": annotations}}, True)
        _request(
            api,
            "POST",
            f"/api/v1/namespaces/{namespace}/events",
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"generateName": f"{name}.", "namespace": namespace},
                "involvedObject": {
                    "apiVersion": f"{GROUP}/{VERSION}",
                    "kind": obj["kind"],
                    "name": name,
                    "namespace": namespace,
                    "uid": uid,
                },
                "reason": "Created",
                "message": f"created webhook subscription {subscription_id}",
                "type": "Normal",
                "source": {"component": "pagerduty-operator"},
            },
        )
        requests += 2
    return requests


def _watch(api: client.ApiClient, namespace: str, stop: threading.Event) -> None:
    """One watch on the kind, as the operator keeps open (its events cost apiserver CPU)."""
    custom = client.CustomObjectsApi(api)
    listed = cast(
        dict[str, Any], custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL)
    )
    stream = watch.Watch()  # type: ignore[no-untyped-call]
    try:
        for _ in stream.stream(  # type: ignore[no-untyped-call]
            custom.list_namespaced_custom_object,
            GROUP,
            VERSION,
            namespace,
            PLURAL,
            resource_version=listed["metadata"]["resourceVersion"],
            timeout_seconds=900,
        ):
            if stop.is_set():
                break
    except (ProtocolError, OSError):
        pass  # the control plane stopped under it


def measure_ceiling(cluster: Cluster, webhooks: int, workers: int = 16) -> BenchResult:
    """Run both variants, each in its own namespace, and report the ceiling they imply."""
    result = BenchResult("7 control-plane ceiling")
    cpus = os.cpu_count() or 1
    for variant, full in (("minimum", False), ("operator", True)):
        namespace = f"bench-ceiling-{variant}"
        api = cluster.kube
        client.CoreV1Api(api).create_namespace(
            client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace))
        )
        objects = Workload(namespace, webhooks, 0).webhook_objects()
        stop = threading.Event()
        watcher = threading.Thread(target=_watch, args=(api, namespace, stop), daemon=True)
        watcher.start()
        pids = cluster.component_pids()
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        load = os.getloadavg()[0]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            requests = sum(
                pool.map(_one_webhook, [api] * len(objects), objects, [full] * len(objects))
            )
        seconds = time.monotonic() - started
        used = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
        stop.set()  # the watch ends at its next event (the daemon thread is left otherwise)
        per_object_ms = 1000 * sum(used.values()) / len(objects)
        ceiling = cpus * 1000 / per_object_ms if per_object_ms else 0.0
        split = ", ".join(f"{n} {1000 * s / len(objects):.1f} ms" for n, s in used.items())
        result.row(
            f"{variant}: achieved",
            len(objects) / seconds,
            "objects/s",
            note=f"{requests / len(objects):.0f} requests per object from {workers} threads, "
            f"no operator; load average {load:.1f} before",
        )
        result.row(
            f"{variant}: kube-apiserver + etcd CPU",
            per_object_ms,
            "ms/object",
            note=split,
        )
        result.row(
            f"{variant}: ceiling on {cpus} CPUs",
            ceiling,
            "objects/s",
            Target(">=", TARGET_OBJECTS_PER_SECOND),
            note="CPUs / control-plane CPU per object: nothing else running",
        )
        result.details[variant] = {
            "objects": len(objects),
            "requests": requests,
            "seconds": round(seconds, 2),
            "cpu_seconds": {n: round(s, 2) for n, s in used.items()},
            "load_average_before": round(load, 2),
        }
    return result

"""The test cluster as the resilience tests see it: custom resources, Secrets, conditions, waits.

Reads and writes go through the `kubernetes` client (one request each, no kubectl start-up per
object), so hundreds of objects can be created quickly. Secret values never reach messages.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from kubernetes import client
from kubernetes.client.exceptions import ApiException

T = TypeVar("T")
JSON = dict[str, Any]
GROUP = "pagerduty.ops.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
INTEGRATIONS = "pagerdutyintegrations"
WEBHOOKS = "pagerdutywebhooks"
RULES = "pagerdutyincidentrules"
PLURALS = {
    "PagerDutyIntegration": INTEGRATIONS,
    "PagerDutyWebhook": WEBHOOKS,
    "PagerDutyIncidentRule": RULES,
}


class TimedOut(AssertionError):
    """A bounded wait ended without the expected state."""


def wait_for(
    check: Callable[[], T | None],
    *,
    what: str,
    timeout: float,
    interval: float = 0.5,
    describe: Callable[[], str] | None = None,
) -> T:
    """Poll `check` until it returns something truthy (returned); fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f"; last seen: {describe()}" if describe is not None else ""
            raise TimedOut(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(interval)


def conditions_of(obj: Mapping[str, Any] | None) -> dict[str, JSON]:
    if not obj:
        return {}
    return {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}


def condition(obj: Mapping[str, Any] | None, type_: str = "Ready") -> JSON | None:
    """The condition, only if written for the object's current generation."""
    if not obj:
        return None
    if (obj.get("status") or {}).get("observedGeneration") != obj["metadata"].get("generation"):
        return None
    return conditions_of(obj).get(type_)


def is_ready(obj: Mapping[str, Any] | None) -> bool:
    found = condition(obj)
    return found is not None and found["status"] == "True"


def describe(obj: Mapping[str, Any] | None) -> str:
    """Conditions of a resource, for failure messages (status never holds secrets)."""
    if not obj:
        return "(absent)"
    status = obj.get("status") or {}
    parts = [
        f"{c['type']}={c['status']}/{c.get('reason')}: {str(c.get('message', ''))[:160]}"
        for c in status.get("conditions") or []
    ]
    meta = obj["metadata"]
    parts.append(f"gen={meta.get('generation')} observed={status.get('observedGeneration')}")
    return f"{obj.get('kind')} {meta.get('namespace')}/{meta.get('name')}: " + "; ".join(parts)


def decoded(data: Mapping[str, str | bytes] | None) -> dict[str, str]:
    """A Secret's `data`, base64-decoded."""
    return {k: base64.b64decode(v).decode() for k, v in (data or {}).items()}


def owner_key(obj: Mapping[str, Any]) -> tuple[str, str]:
    return str(obj["metadata"]["namespace"]), str(obj["metadata"]["name"])


class Kube:
    """Custom resources and Secrets of the test cluster."""

    def __init__(self, api: client.ApiClient) -> None:
        self.custom = client.CustomObjectsApi(api)
        self.core = client.CoreV1Api(api)

    # --- custom resources ----------------------------------------------------------------------

    def create(self, document: JSON) -> JSON:
        namespace = document["metadata"]["namespace"]
        plural = PLURALS[document["kind"]]
        created = self.custom.create_namespaced_custom_object(
            GROUP, VERSION, namespace, plural, document
        )
        assert isinstance(created, dict)
        return created

    def create_all(self, documents: list[JSON]) -> None:
        for document in documents:
            self.create(document)

    def get(self, plural: str, namespace: str, name: str) -> JSON | None:
        try:
            obj = self.custom.get_namespaced_custom_object(GROUP, VERSION, namespace, plural, name)
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        assert isinstance(obj, dict)
        return obj

    def list_objects(self, plural: str, namespace: str) -> list[JSON]:
        listing = self.custom.list_namespaced_custom_object(GROUP, VERSION, namespace, plural)
        assert isinstance(listing, dict)
        return list(listing.get("items", []))

    def list_all(self, plural: str, namespaces: list[str]) -> list[JSON]:
        return [obj for namespace in namespaces for obj in self.list_objects(plural, namespace)]

    def patch_spec(self, plural: str, namespace: str, name: str, spec: JSON) -> None:
        self.custom.patch_namespaced_custom_object(
            GROUP, VERSION, namespace, plural, name, {"spec": spec}
        )

    def delete(self, plural: str, namespace: str, name: str) -> None:
        try:
            self.custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, plural, name)
        except ApiException as error:
            if error.status != 404:
                raise

    def drop_finalizers(self, plural: str, namespace: str, name: str) -> None:
        """Last-resort cleanup: let a stuck object go without its finalizer."""
        try:
            self.custom.patch_namespaced_custom_object(
                GROUP, VERSION, namespace, plural, name, {"metadata": {"finalizers": None}}
            )
        except ApiException as error:
            if error.status != 404:
                raise

    # --- Secrets -------------------------------------------------------------------------------

    def secret(self, namespace: str, name: str) -> client.V1Secret | None:
        try:
            secret: client.V1Secret = self.core.read_namespaced_secret(name, namespace)
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        return secret

    def secret_data(self, namespace: str, name: str) -> dict[str, str] | None:
        secret = self.secret(namespace, name)
        return None if secret is None else decoded(secret.data)

    def put_secret(self, namespace: str, name: str, data: Mapping[str, str]) -> None:
        """Create or replace an Opaque Secret with `data`."""
        body = client.V1Secret(
            metadata=client.V1ObjectMeta(name=name, namespace=namespace),
            type="Opaque",
            string_data=dict(data),
        )
        try:
            self.core.create_namespaced_secret(namespace, body)
        except ApiException as error:
            if error.status != 409:
                raise
            self.core.replace_namespaced_secret(name, namespace, body)

    def delete_secret(self, namespace: str, name: str) -> None:
        self.core.delete_namespaced_secret(name, namespace)

    # --- waiting -------------------------------------------------------------------------------

    def wait_condition(
        self,
        plural: str,
        namespace: str,
        name: str,
        status: str,
        reason: str | None = None,
        *,
        type_: str = "Ready",
        timeout: float = 60.0,
    ) -> JSON:
        def check() -> JSON | None:
            obj = self.get(plural, namespace, name)
            found = condition(obj, type_)
            if found is None or found["status"] != status:
                return None
            if reason is not None and found["reason"] != reason:
                return None
            return obj

        return wait_for(
            check,
            what=f"{plural} {namespace}/{name} {type_}={status}" + (f"/{reason}" if reason else ""),
            timeout=timeout,
            describe=lambda: describe(self.get(plural, namespace, name)),
        )

    def wait_all_ready(self, namespaces: list[str], *, timeout: float) -> None:
        """Every custom resource of `namespaces` is Ready for its current generation."""

        def not_ready() -> list[JSON]:
            return [
                obj
                for plural in (INTEGRATIONS, WEBHOOKS, RULES)
                for obj in self.list_all(plural, namespaces)
                if not is_ready(obj)
            ]

        wait_for(
            lambda: not not_ready(),
            what="every custom resource to be Ready",
            timeout=timeout,
            interval=1.0,
            describe=lambda: (
                f"{len(not_ready())} not Ready, e.g. "
                + " | ".join(describe(o) for o in not_ready()[:4])
            ),
        )

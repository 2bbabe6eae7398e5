"""The test cluster as the resilience tests see it: custom resources, Secrets, conditions, waits.

Reads and writes go through the `kubernetes` client (one request each, no kubectl start-up per
object), so hundreds of objects can be created quickly. Secret values never reach messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from support.kube import (
    GROUP,
    INTEGRATIONS,
    JSON,
    PLURALS,
    RULES,
    VERSION,
    WEBHOOKS,
    ClusterObjects,
    condition_matches,
)
from support.waiting import wait_for

POLL_SECONDS = 0.5
"""How often this suite's waits look again (it waits on hundreds of objects at once)."""


def is_ready(obj: Mapping[str, Any] | None) -> bool:
    return condition_matches(obj, "Ready", "True")


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


def owner_key(obj: Mapping[str, Any]) -> tuple[str, str]:
    return str(obj["metadata"]["namespace"]), str(obj["metadata"]["name"])


class Kube(ClusterObjects):
    """Custom resources and Secrets of the test cluster (writes through the API client too)."""

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
            return obj if condition_matches(obj, type_, status, reason) else None

        return wait_for(
            check,
            what=f"{plural} {namespace}/{name} {type_}={status}" + (f"/{reason}" if reason else ""),
            timeout=timeout,
            interval=POLL_SECONDS,
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

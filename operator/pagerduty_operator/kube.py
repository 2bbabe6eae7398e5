"""Kubernetes access for the reconcilers: Secrets, owned Secrets, custom objects and status.

Everything goes through the synchronous `kubernetes` client run in `asyncio.to_thread`, so nothing
blocks the event loop. Secret values are returned to callers but never logged or put in errors.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from pagerduty_operator.runtime.config import GROUP

VERSION = "v1alpha1"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "pagerduty-operator"


class SecretProblem(Exception):
    """A referenced Secret or key cannot be used; the message names it (never its value)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class OwnerRef:
    """The custom resource that owns an object the operator creates (for garbage collection)."""

    api_version: str
    kind: str
    name: str
    uid: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "name": self.name,
            "uid": self.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }


@dataclass(frozen=True)
class SecretData:
    """A Secret's decoded data, its resourceVersion and annotations."""

    name: str
    data: Mapping[str, str]
    resource_version: str
    annotations: Mapping[str, str]
    owner_uids: frozenset[str]


def _decode(name: str, raw: Mapping[str, bytes | str] | None) -> dict[str, str]:
    decoded: dict[str, str] = {}
    for key, value in (raw or {}).items():
        try:
            decoded[key] = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise SecretProblem(
                "SecretKeyInvalid", f"key {key!r} of Secret {name!r} is not valid UTF-8 text"
            ) from None
    return decoded


class Kube:
    """Async facade over the Kubernetes API for one operator process."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self._core = client.CoreV1Api(api_client)
        self._custom = client.CustomObjectsApi(api_client)

    async def read_secret(self, namespace: str, name: str) -> SecretData | None:
        """The Secret's decoded data, or None when it does not exist."""
        try:
            secret = await asyncio.to_thread(self._core.read_namespaced_secret, name, namespace)
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        meta = secret.metadata or client.V1ObjectMeta()
        return SecretData(
            name=name,
            data=_decode(name, secret.data),
            resource_version=meta.resource_version or "",
            annotations=dict(meta.annotations or {}),
            owner_uids=frozenset(ref.uid for ref in (meta.owner_references or [])),
        )

    async def read_secret_value(self, namespace: str, name: str, key: str) -> tuple[str, str]:
        """One key of a Secret and the Secret's resourceVersion; `SecretProblem` when unusable."""
        secret = await self.read_secret(namespace, name)
        if secret is None:
            raise SecretProblem(
                "SecretNotFound", f"Secret {name!r} does not exist in {namespace!r}"
            )
        if key not in secret.data:
            raise SecretProblem("SecretKeyNotFound", f"Secret {name!r} has no key {key!r}")
        if not secret.data[key].strip():
            raise SecretProblem("SecretKeyEmpty", f"key {key!r} of Secret {name!r} is empty")
        return secret.data[key].strip(), secret.resource_version

    async def write_owned_secret(
        self,
        namespace: str,
        name: str,
        data: Mapping[str, str],
        owner: OwnerRef,
        annotations: Mapping[str, str] | None = None,
    ) -> None:
        """Create or update a Secret owned by `owner`, keeping keys it does not set.

        A Secret that exists and is owned by another object is refused (`SecretProblem`), so the
        operator never overwrites a Secret a person or another resource manages.
        """
        body: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": {MANAGED_BY_LABEL: MANAGED_BY},
                "annotations": dict(annotations or {}),
                "ownerReferences": [owner.as_dict()],
            },
            "type": "Opaque",
            "stringData": dict(data),
        }
        # Create first: the Secret is usually new (a webhook's first signing secret), so this
        # saves a read; only when it exists (409) is it read, checked and patched.
        new_secret = client.V1Secret.from_dict(body)
        if new_secret is None:  # pragma: no cover - from_dict returns None only for None
            raise ValueError("empty Secret body")
        try:
            await asyncio.to_thread(self._core.create_namespaced_secret, namespace, new_secret)
            return
        except ApiException as error:
            if error.status != 409:
                raise
            existing = await self.read_secret(namespace, name)
            if existing is None:  # pragma: no cover - deleted between the two calls
                raise
        if existing.owner_uids and owner.uid not in existing.owner_uids:
            raise SecretProblem(
                "SecretOwnedElsewhere",
                f"Secret {name!r} already exists and belongs to another object; "
                "choose another name in signingSecretRef",
            )
        await asyncio.to_thread(self._core.patch_namespaced_secret, name, namespace, body)

    async def update_secret_data(self, namespace: str, name: str, data: Mapping[str, str]) -> None:
        """Write keys into an existing Secret, e.g. refreshed OAuth tokens into the user's."""
        await asyncio.to_thread(
            self._core.patch_namespaced_secret, name, namespace, {"stringData": dict(data)}
        )

    async def get_object(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        """A custom object of our group, or None when it does not exist."""
        try:
            obj = await asyncio.to_thread(
                self._custom.get_namespaced_custom_object, GROUP, VERSION, namespace, plural, name
            )
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        return dict(obj) if isinstance(obj, dict) else None

    async def list_objects(self, plural: str, namespace: str) -> list[dict[str, Any]]:
        """Every custom object of our group and `plural` in `namespace`."""
        listing = await asyncio.to_thread(
            self._custom.list_namespaced_custom_object, GROUP, VERSION, namespace, plural
        )
        items = listing.get("items", []) if isinstance(listing, dict) else []
        return [dict(item) for item in items if isinstance(item, dict)]

    async def patch_status(
        self, plural: str, namespace: str, name: str, status: Mapping[str, Any]
    ) -> None:
        """Merge-patch the status subresource (the caller sends whole lists, e.g. conditions)."""
        try:
            await asyncio.to_thread(
                self._custom.patch_namespaced_custom_object_status,
                GROUP,
                VERSION,
                namespace,
                plural,
                name,
                {"status": dict(status)},
            )
        except ApiException as error:
            if error.status != 404:  # the object is gone: nothing to report on
                raise

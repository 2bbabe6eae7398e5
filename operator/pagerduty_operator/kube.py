"""Kubernetes access for the reconcilers: Secrets, owned Secrets, custom objects and status.

Everything goes through the synchronous `kubernetes` client run in `asyncio.to_thread`, so nothing
blocks the event loop. Secret values are returned to callers but never logged or put in errors.

Only the client's `ApiClient` is used (authentication, TLS, token refresh, errors as
`ApiException`), with plain JSON bodies: the generated `CoreV1Api` module alone costs about
70 MiB of memory (every core model class is imported with it), for the three Secret calls the
operator makes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from pagerduty_operator.models.identity import GROUP, MANAGED_BY, MANAGED_BY_LABEL, VERSION
from pagerduty_operator.models.reasons import Problem, SharedReason

STRATEGIC_MERGE = "application/strategic-merge-patch+json"
MERGE_PATCH = "application/merge-patch+json"


class SecretProblem(Problem):
    """A referenced Secret or key cannot be used; the message names it (never its value)."""


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
    labels: Mapping[str, str] = field(default_factory=dict)

    def check_writable_by(self, owner: OwnerRef, ref_field: str) -> None:
        """Refuse (`SecretProblem`) a Secret this owner may not write.

        The operator writes only Secrets that the resource owns: ones it created (they carry the
        resource's ownerReference) or ones a person handed over with the label
        ``app.kubernetes.io/managed-by: pagerduty-operator`` and no owner. Taking over any other
        Secret would make it garbage when the resource is deleted, for example the Secret that
        holds the PagerDuty API key.
        """
        if owner.uid in self.owner_uids:
            return
        if self.owner_uids:
            raise SecretProblem(
                SharedReason.SECRET_OWNED_ELSEWHERE,
                f"Secret {self.name!r} exists and belongs to another object; "
                f"choose another name in {ref_field}",
            )
        if self.labels.get(MANAGED_BY_LABEL) != MANAGED_BY:
            raise SecretProblem(
                SharedReason.SECRET_NOT_OWNED,
                f"Secret {self.name!r} exists and was not created by the operator, which writes "
                f"only Secrets it owns (deleting this {owner.kind} deletes them); choose another "
                f"name in {ref_field}, or label the Secret {MANAGED_BY_LABEL}={MANAGED_BY} to hand "
                "it over",
            )


def _decode(name: str, raw: Mapping[str, bytes | str] | None) -> dict[str, str]:
    decoded: dict[str, str] = {}
    for key, value in (raw or {}).items():
        try:
            decoded[key] = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise SecretProblem(
                SharedReason.SECRET_KEY_INVALID,
                f"key {key!r} of Secret {name!r} is not valid UTF-8 text",
            ) from None
    return decoded


class Kube:
    """Async facade over the Kubernetes API for one operator process."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self._api = api_client

    def _call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        """One request (blocking: run it in a thread); the decoded JSON answer.

        Raises `ApiException` (with `.status`) for any answer but 2xx.
        """
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        request = self._api.param_serialize(
            method=method,
            resource_path=path,
            header_params=headers,
            body=dict(body) if body is not None else None,
            auth_settings=["BearerToken"],
        )
        response = self._api.call_api(*request)
        response.read()  # type: ignore[no-untyped-call]
        answer = self._api.response_deserialize(response, {"2XX": "object"}).data
        return dict(answer) if isinstance(answer, dict) else {}

    async def _request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        return await asyncio.to_thread(self._call, method, path, body, content_type)

    async def read_secret(self, namespace: str, name: str) -> SecretData | None:
        """The Secret's decoded data, or None when it does not exist."""
        try:
            secret = await self._request("GET", _secret_path(namespace, name))
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        meta = secret.get("metadata") or {}
        return SecretData(
            name=name,
            data=_decode(name, secret.get("data")),
            resource_version=str(meta.get("resourceVersion") or ""),
            annotations=dict(meta.get("annotations") or {}),
            owner_uids=frozenset(str(ref.get("uid")) for ref in meta.get("ownerReferences") or []),
            labels=dict(meta.get("labels") or {}),
        )

    async def read_secret_value(self, namespace: str, name: str, key: str) -> tuple[str, str]:
        """One key of a Secret and the Secret's resourceVersion; `SecretProblem` when unusable."""
        secret = await self.read_secret(namespace, name)
        if secret is None:
            raise SecretProblem(
                SharedReason.SECRET_NOT_FOUND, f"Secret {name!r} does not exist in {namespace!r}"
            )
        if key not in secret.data:
            raise SecretProblem(
                SharedReason.SECRET_KEY_NOT_FOUND, f"Secret {name!r} has no key {key!r}"
            )
        if not secret.data[key].strip():
            raise SecretProblem(
                SharedReason.SECRET_KEY_EMPTY, f"key {key!r} of Secret {name!r} is empty"
            )
        return secret.data[key].strip(), secret.resource_version

    async def write_owned_secret(
        self,
        namespace: str,
        name: str,
        data: Mapping[str, str],
        owner: OwnerRef,
        annotations: Mapping[str, str] | None = None,
        ref_field: str = "the spec",
    ) -> None:
        """Create or update a Secret owned by `owner`, keeping keys it does not set.

        A Secret that exists and that `owner` may not write (see `SecretData.check_writable_by`)
        is refused with a `SecretProblem` naming `ref_field`, so the operator never overwrites or
        takes over a Secret a person or another resource manages.
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
        try:
            await self._request("POST", _secret_path(namespace), body)
            return
        except ApiException as error:
            if error.status != 409:
                raise
            existing = await self.read_secret(namespace, name)
            if existing is None:  # pragma: no cover - deleted between the two calls
                raise
        existing.check_writable_by(owner, ref_field)
        await self._request("PATCH", _secret_path(namespace, name), body, STRATEGIC_MERGE)

    async def update_secret_data(self, namespace: str, name: str, data: Mapping[str, str]) -> None:
        """Write keys into an existing Secret, e.g. refreshed OAuth tokens into the user's."""
        await self._request(
            "PATCH", _secret_path(namespace, name), {"stringData": dict(data)}, STRATEGIC_MERGE
        )

    async def get_object(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        """A custom object of our group, or None when it does not exist."""
        try:
            return await self._request("GET", _object_path(namespace, plural, name))
        except ApiException as error:
            if error.status == 404:
                return None
            raise

    async def list_objects(self, plural: str, namespace: str) -> list[dict[str, Any]]:
        """Every custom object of our group and `plural` in `namespace`."""
        listing = await self._request("GET", _object_path(namespace, plural))
        return [dict(item) for item in listing.get("items") or [] if isinstance(item, dict)]

    async def patch_status(
        self, plural: str, namespace: str, name: str, status: Mapping[str, Any]
    ) -> None:
        """Merge-patch the status subresource (the caller sends whole lists, e.g. conditions)."""
        path = _object_path(namespace, plural, name) + "/status"
        try:
            await self._request("PATCH", path, {"status": dict(status)}, MERGE_PATCH)
        except ApiException as error:
            if error.status != 404:  # the object is gone: nothing to report on
                raise


def _secret_path(namespace: str, name: str | None = None) -> str:
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/secrets"
    return f"{path}/{quote(name, safe='')}" if name is not None else path


def _object_path(namespace: str, plural: str, name: str | None = None) -> str:
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{quote(namespace, safe='')}/{plural}"
    return f"{path}/{quote(name, safe='')}" if name is not None else path

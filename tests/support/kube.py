"""The operator's custom resources and Secrets in the test cluster, read through the API client.

Names of the API group and plurals, conditions written for an object's current generation, and
`ClusterObjects`: one request per read (no kubectl start-up per object). The suites extend it with
their own writes. Secret values never reach messages or reprs.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from pagerduty_operator.models import INCIDENT_RULE, INTEGRATION, KINDS, WEBHOOK
from pagerduty_operator.models.identity import API_VERSION, GROUP, VERSION

__all__ = ["API_VERSION", "GROUP", "VERSION"]

JSON = dict[str, Any]
INTEGRATIONS = INTEGRATION.plural
WEBHOOKS = WEBHOOK.plural
RULES = INCIDENT_RULE.plural
PLURALS = {kind.kind: kind.plural for kind in KINDS}


def decoded(data: Mapping[str, str | bytes] | None) -> dict[str, str]:
    """A Secret's `data`, base64-decoded."""
    return {k: base64.b64decode(v).decode() for k, v in (data or {}).items()}


def conditions_of(obj: Mapping[str, Any] | None) -> dict[str, JSON]:
    """The object's status conditions by type (whatever generation they were written for)."""
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


def condition_matches(
    obj: Mapping[str, Any] | None, type_: str, status: str, reason: str | None = None
) -> bool:
    """The condition is as expected and was written for the current generation."""
    found = condition(obj, type_)
    return (
        found is not None
        and found["status"] == status
        and (reason is None or found["reason"] == reason)
    )


class ClusterObjects:
    """Reads of the operator's custom resources and of Secrets; deleting a Secret."""

    def __init__(self, api: client.ApiClient) -> None:
        self.custom = client.CustomObjectsApi(api)
        self.core = client.CoreV1Api(api)

    def get(self, plural: str, namespace: str, name: str) -> JSON | None:
        """The object, or None when there is none."""
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

    def secret(self, namespace: str, name: str) -> client.V1Secret | None:
        """The Secret, or None when there is none."""
        try:
            secret: client.V1Secret = self.core.read_namespaced_secret(name, namespace)
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        return secret

    def secret_data(self, namespace: str, name: str) -> dict[str, str] | None:
        """The Secret's data, decoded; None when there is no such Secret."""
        secret = self.secret(namespace, name)
        return None if secret is None else decoded(secret.data)

    def delete_secret(self, namespace: str, name: str) -> None:
        self.core.delete_namespaced_secret(name, namespace)

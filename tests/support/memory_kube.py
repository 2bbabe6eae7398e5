"""An in-memory Kubernetes behind the operator's real `Kube` facade, for millisecond tests.

Only the transport is replaced (`Kube._request`): Secrets and the operator's custom objects live
in dicts and are served for the paths the facade calls (GET, list, create with 409 on a
conflict, strategic-merge and merge patches), so `Kube`'s own logic (decoding, ownership checks,
create-then-patch) runs as in the operator. It is no apiserver: no admission, no watch, no
garbage collection; tests/e2e/test_kube_facade.py checks the facade against the real one.
"""

from __future__ import annotations

import base64
import copy
import itertools
from collections.abc import Mapping
from typing import Any

from kubernetes.client.exceptions import ApiException

from pagerduty_operator.kube import Kube

JSON = dict[str, Any]


def _merge(into: JSON, patch: Mapping[str, Any]) -> None:
    for key, value in patch.items():
        if value is None:
            into.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


class MemoryKube(Kube):
    """Secrets and custom objects by (namespace, name), served to the real facade."""

    def __init__(self) -> None:
        super().__init__(api_client=None)  # type: ignore[arg-type]
        self.secrets: dict[tuple[str, str], JSON] = {}
        self.objects: dict[tuple[str, str, str], JSON] = {}
        self._versions = itertools.count(1)

    # What tests set up and read.

    def put_secret(self, namespace: str, name: str, data: Mapping[str, str], **meta: Any) -> None:
        self.secrets[(namespace, name)] = {
            "metadata": {"name": name, "namespace": namespace, **meta},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
        }
        self._bump(self.secrets[(namespace, name)])

    def secret_data(self, namespace: str, name: str) -> dict[str, str]:
        raw = self.secrets[(namespace, name)].get("data") or {}
        return {k: base64.b64decode(v).decode() for k, v in raw.items()}

    def put_object(self, plural: str, body: JSON) -> JSON:
        meta = body["metadata"]
        meta.setdefault("uid", f"uid-{meta['name']}")
        meta.setdefault("generation", 1)
        self.objects[(plural, meta["namespace"], meta["name"])] = copy.deepcopy(body)
        return copy.deepcopy(body)

    def status_of(self, plural: str, namespace: str, name: str) -> JSON:
        return copy.deepcopy(self.objects[(plural, namespace, name)].get("status") or {})

    # The transport.

    def _bump(self, obj: JSON) -> None:
        obj["metadata"]["resourceVersion"] = str(next(self._versions))

    async def _request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        content_type: str = "application/json",
    ) -> JSON:
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "v1"]:
            return self._secrets(method, parts[3], parts[5] if len(parts) > 5 else None, body)
        namespace, plural = parts[4], parts[5]  # /apis/{group}/{version}/namespaces/{ns}/...
        name = parts[6] if len(parts) > 6 else None
        return self._objects(method, plural, namespace, name, parts[7:], body)

    def _secrets(
        self, method: str, namespace: str, name: str | None, body: Mapping[str, Any] | None
    ) -> JSON:
        if method == "POST" and body is not None:
            name = body["metadata"]["name"]
            if (namespace, str(name)) in self.secrets:
                raise ApiException(status=409, reason="AlreadyExists")
            self.secrets[(namespace, str(name))] = {"metadata": dict(body["metadata"]), "data": {}}
            self._write_data(self.secrets[(namespace, str(name))], body)
            return copy.deepcopy(self.secrets[(namespace, str(name))])
        stored = self.secrets.get((namespace, str(name)))
        if stored is None:
            raise ApiException(status=404, reason="NotFound")
        if method == "PATCH" and body is not None:
            _merge(stored["metadata"], {k: v for k, v in body.get("metadata", {}).items()})
            self._write_data(stored, body)
        return copy.deepcopy(stored)

    def _write_data(self, stored: JSON, body: Mapping[str, Any]) -> None:
        for key, value in (body.get("stringData") or {}).items():
            stored["data"][key] = base64.b64encode(str(value).encode()).decode()
        self._bump(stored)

    def _objects(
        self,
        method: str,
        plural: str,
        namespace: str,
        name: str | None,
        sub: list[str],
        body: Mapping[str, Any] | None,
    ) -> JSON:
        if name is None:
            items = [
                copy.deepcopy(o)
                for (p, ns, _), o in sorted(self.objects.items())
                if (p, ns) == (plural, namespace)
            ]
            return {"items": items}
        stored = self.objects.get((plural, namespace, name))
        if stored is None:
            raise ApiException(status=404, reason="NotFound")
        if method == "PATCH" and sub == ["status"] and body is not None:
            stored.setdefault("status", {})
            _merge(stored["status"], body.get("status") or {})
            self._bump(stored)
        return copy.deepcopy(stored)

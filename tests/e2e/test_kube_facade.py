"""`Kube.write_owned_secret` on the real apiserver: it refuses Secrets it does not own."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from kubernetes import client

from pagerduty_operator.kube import Kube, OwnerRef, SecretProblem


def _owner(api: client.ApiClient, namespace: str, name: str) -> OwnerRef:
    """A real owner object: a Secret owned by an object that does not exist is garbage-collected."""
    created = client.CoreV1Api(api).create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name))
    )
    assert created.metadata is not None
    assert created.metadata.uid is not None
    return OwnerRef("v1", "ConfigMap", name, created.metadata.uid)


def _persons_secret(
    api: client.ApiClient, namespace: str, name: str, labels: dict[str, str] | None = None
) -> None:
    """A Secret made by a person: no owner, one key `keep`."""
    meta = client.V1ObjectMeta(name=name, labels=labels)
    client.CoreV1Api(api).create_namespaced_secret(
        namespace, client.V1Secret(metadata=meta, string_data={"keep": "me"})
    )


def _data(api: client.ApiClient, namespace: str, name: str) -> dict[str, str]:
    secret = client.CoreV1Api(api).read_namespaced_secret(name, namespace)
    return {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}


async def test_creates_then_updates_its_own_secret(
    k8s_api: client.ApiClient, namespace: str
) -> None:
    kube = Kube(k8s_api)
    owner = _owner(k8s_api, namespace, "hook")
    await kube.write_owned_secret(
        namespace, "signing", {"signingSecret": "one"}, owner, annotations={"a": "1"}
    )
    created = await kube.read_secret(namespace, "signing")
    assert created is not None
    assert created.data == {"signingSecret": "one"}
    assert created.owner_uids == {owner.uid}
    assert created.annotations["a"] == "1"

    client.CoreV1Api(k8s_api).patch_namespaced_secret(
        "signing", namespace, {"stringData": {"note": "added by a person"}}
    )
    await kube.write_owned_secret(
        namespace, "signing", {"signingSecret": "two"}, owner, annotations={"a": "2"}
    )
    assert _data(k8s_api, namespace, "signing") == {
        "signingSecret": "two",
        "note": "added by a person",
    }
    updated = await kube.read_secret(namespace, "signing")
    assert updated is not None
    assert updated.annotations["a"] == "2"


async def test_refuses_a_secret_owned_by_another_object(
    k8s_api: client.ApiClient, namespace: str
) -> None:
    kube = Kube(k8s_api)
    owner = _owner(k8s_api, namespace, "hook")
    other = _owner(k8s_api, namespace, "other")
    await kube.write_owned_secret(namespace, "taken", {"signingSecret": "theirs"}, other)
    with pytest.raises(SecretProblem) as caught:
        await kube.write_owned_secret(namespace, "taken", {"signingSecret": "mine"}, owner)
    assert caught.value.reason == "SecretOwnedElsewhere"
    assert "mine" not in str(caught.value)
    assert _data(k8s_api, namespace, "taken") == {"signingSecret": "theirs"}


async def test_refuses_a_secret_nobody_handed_over(
    k8s_api: client.ApiClient, namespace: str
) -> None:
    # For example the Secret with the PagerDuty API key: owning it would garbage-collect it
    # with the resource.
    _persons_secret(k8s_api, namespace, "api-key")
    kube = Kube(k8s_api)
    owner = _owner(k8s_api, namespace, "hook")
    with pytest.raises(SecretProblem) as caught:
        await kube.write_owned_secret(
            namespace, "api-key", {"signingSecret": "new"}, owner, ref_field="signingSecretRef"
        )
    assert caught.value.reason == "SecretNotOwned"
    assert "signingSecretRef" in caught.value.message
    assert "app.kubernetes.io/managed-by=pagerduty-operator" in caught.value.message
    assert "new" not in str(caught.value)
    assert _data(k8s_api, namespace, "api-key") == {"keep": "me"}
    secret = await kube.read_secret(namespace, "api-key")
    assert secret is not None
    assert secret.owner_uids == frozenset()


async def test_takes_over_a_secret_handed_over_by_label(
    k8s_api: client.ApiClient, namespace: str
) -> None:
    _persons_secret(
        k8s_api,
        namespace,
        "handed-over",
        labels={"app.kubernetes.io/managed-by": "pagerduty-operator"},
    )
    kube = Kube(k8s_api)
    owner = _owner(k8s_api, namespace, "hook")
    await kube.write_owned_secret(namespace, "handed-over", {"signingSecret": "new"}, owner)
    assert _data(k8s_api, namespace, "handed-over") == {"keep": "me", "signingSecret": "new"}
    secret = await kube.read_secret(namespace, "handed-over")
    assert secret is not None
    assert secret.owner_uids == {owner.uid}


async def test_reads_and_updates_secrets(k8s_api: client.ApiClient, namespace: str) -> None:
    kube = Kube(k8s_api)
    assert await kube.read_secret(namespace, "absent") is None
    client.CoreV1Api(k8s_api).create_namespaced_secret(
        namespace,
        client.V1Secret(metadata=client.V1ObjectMeta(name="tokens"), string_data={"a": "1"}),
    )
    await kube.update_secret_data(namespace, "tokens", {"b": "2"})
    assert _data(k8s_api, namespace, "tokens") == {"a": "1", "b": "2"}
    value, version = await kube.read_secret_value(namespace, "tokens", "b")
    assert value == "2"
    assert version
    with pytest.raises(SecretProblem) as caught:
        await kube.read_secret_value(namespace, "tokens", "c")
    assert caught.value.reason == "SecretKeyNotFound"


async def test_custom_objects_and_their_status(
    k8s_api: client.ApiClient, namespace: str, crds: list[str]
) -> None:
    kube = Kube(k8s_api)
    plural = "pagerdutyintegrations"
    assert await kube.get_object(plural, namespace, "absent") is None
    assert await kube.list_objects(plural, namespace) == []
    credentials = {"apiKey": {"secretKeyRef": {"name": "k", "key": "token"}}}
    body: dict[str, Any] = {
        "apiVersion": "pagerduty.ops.dev/v1alpha1",
        "kind": "PagerDutyIntegration",
        "metadata": {"name": "acme"},
        "spec": {"credentials": credentials},
    }
    client.CustomObjectsApi(k8s_api).create_namespaced_custom_object(
        "pagerduty.ops.dev", "v1alpha1", namespace, plural, body
    )
    await kube.patch_status(plural, namespace, "acme", {"observedGeneration": 1})
    found = await kube.get_object(plural, namespace, "acme")
    assert found is not None
    assert found["spec"]["credentials"] == credentials
    assert found["status"]["observedGeneration"] == 1
    assert [o["metadata"]["name"] for o in await kube.list_objects(plural, namespace)] == ["acme"]
    await kube.patch_status(plural, namespace, "gone", {"observedGeneration": 1})  # no error

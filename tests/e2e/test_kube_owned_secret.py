"""`Kube.write_owned_secret` against the real apiserver: create, update in place, refuse others'."""

from __future__ import annotations

import base64

import pytest
from kubernetes import client

from pagerduty_operator.kube import Kube, OwnerRef, SecretProblem

OWNER = OwnerRef("pagerduty.ops.dev/v1alpha1", "PagerDutyWebhook", "hook", "uid-of-the-hook")
OTHER = OwnerRef("pagerduty.ops.dev/v1alpha1", "PagerDutyWebhook", "other", "uid-of-another")


def _data(api: client.ApiClient, namespace: str, name: str) -> dict[str, str]:
    secret = client.CoreV1Api(api).read_namespaced_secret(name, namespace)
    return {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}


async def test_creates_then_updates_its_own_secret(
    k8s_api: client.ApiClient, namespace: str
) -> None:
    kube = Kube(k8s_api)
    await kube.write_owned_secret(
        namespace, "signing", {"signingSecret": "one"}, OWNER, annotations={"a": "1"}
    )
    created = await kube.read_secret(namespace, "signing")
    assert created is not None
    assert created.data == {"signingSecret": "one"}
    assert created.owner_uids == {OWNER.uid}
    assert created.annotations["a"] == "1"

    client.CoreV1Api(k8s_api).patch_namespaced_secret(
        "signing", namespace, {"stringData": {"note": "added by a person"}}
    )
    await kube.write_owned_secret(
        namespace, "signing", {"signingSecret": "two"}, OWNER, annotations={"a": "2"}
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
    await kube.write_owned_secret(namespace, "taken", {"signingSecret": "theirs"}, OTHER)
    with pytest.raises(SecretProblem) as caught:
        await kube.write_owned_secret(namespace, "taken", {"signingSecret": "mine"}, OWNER)
    assert caught.value.reason == "SecretOwnedElsewhere"
    assert "mine" not in str(caught.value)
    assert _data(k8s_api, namespace, "taken") == {"signingSecret": "theirs"}


async def test_takes_over_a_secret_without_owner(k8s_api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(k8s_api)
    core.create_namespaced_secret(
        namespace,
        client.V1Secret(metadata=client.V1ObjectMeta(name="unowned"), string_data={"keep": "me"}),
    )
    kube = Kube(k8s_api)
    await kube.write_owned_secret(namespace, "unowned", {"signingSecret": "new"}, OWNER)
    assert _data(k8s_api, namespace, "unowned") == {"keep": "me", "signingSecret": "new"}
    secret = await kube.read_secret(namespace, "unowned")
    assert secret is not None
    assert secret.owner_uids == {OWNER.uid}

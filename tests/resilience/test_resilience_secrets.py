"""Referenced Secrets deleted and restored, credentials revoked and restored.

Conditions must say what is wrong (`Ready=False` with the reason a person can act on) while it
is wrong, and recover on their own once it is fixed: through the operator's Secret watch and the
integration kicking its dependents, not through a restart or a resync (the resync interval here
is far longer than the test).
"""

from __future__ import annotations

import pytest
from resilience_kube import POLL_SECONDS
from resilience_world import API_KEY_SECRET, INTEGRATION, World, WorldFactory

from support.kube import INTEGRATIONS, RULES, WEBHOOKS, condition
from support.waiting import wait_for

HEADER_SECRET = "receiver-auth"
HEADER_VALUE = "header-value-for-the-receiver"
BAD_TOKEN = "y_SIMfake_revoked_0000000000"
WAIT = 60.0


def _base(world: World) -> str:
    """An integration, a webhook with a header from a Secret, a plain webhook and a rule."""
    namespace = world.namespaces[0]
    service = world.account.services[0]
    world.install_integration(namespace)
    world.kube.put_secret(namespace, HEADER_SECRET, {"value": HEADER_VALUE})
    header = {
        "name": "X-Receiver-Auth",
        "valueFrom": {"secretKeyRef": {"name": HEADER_SECRET, "key": "value"}},
    }
    world.kube.create_all(
        [
            world.webhook(namespace, "with-header", ("service", service), customHeaders=[header]),
            world.webhook(namespace, "plain", ("account", None)),
            world.rule(namespace, "rule", service, order=1, actions={"severity": "error"}),
        ]
    )
    world.wait_all_ready(WAIT)
    return namespace


def _reason(world: World, plural: str, name: str) -> str | None:
    found = condition(world.kube.get(plural, world.namespaces[0], name))
    return None if found is None else f"{found['status']}/{found['reason']}"


def _ids(world: World) -> dict[str, str]:
    return {k[1]: v["id"] for k, v in world.one_subscription_per_webhook().items()}


@pytest.mark.timeout(300)
def test_deleted_secrets_are_reported_and_recovered(make_world: WorldFactory) -> None:
    world = make_world(services=1, teams=1)
    namespace = _base(world)
    kube = world.kube
    ids = _ids(world)

    # The integration's API key Secret disappears: the integration says so, and a webhook
    # created meanwhile says why it cannot be made.
    kube.delete_secret(namespace, API_KEY_SECRET)
    kube.wait_condition(INTEGRATIONS, namespace, INTEGRATION, "False", "SecretNotFound")
    kube.create(world.webhook(namespace, "meanwhile", ("account", None)))
    kube.wait_condition(WEBHOOKS, namespace, "meanwhile", "False", "SecretNotFound")
    kube.put_secret(namespace, API_KEY_SECRET, {"token": world.account.token})
    kube.wait_condition(INTEGRATIONS, namespace, INTEGRATION, "True", timeout=WAIT)
    kube.wait_condition(WEBHOOKS, namespace, "meanwhile", "True", timeout=WAIT)

    # A header Secret disappears: its webhook says so; restored unchanged, the same
    # subscription is kept (nothing to replace).
    kube.delete_secret(namespace, HEADER_SECRET)
    kube.wait_condition(WEBHOOKS, namespace, "with-header", "False", "SecretNotFound")
    kube.put_secret(namespace, HEADER_SECRET, {"value": HEADER_VALUE})
    kube.wait_condition(WEBHOOKS, namespace, "with-header", "True", timeout=WAIT)

    # The owned signing Secret disappears: the webhook gets a new subscription and secret.
    signing = world.kube.get(WEBHOOKS, namespace, "plain")
    assert signing is not None
    kube.delete_secret(namespace, signing["spec"]["signingSecretRef"]["name"])
    world.kube.wait_condition(WEBHOOKS, namespace, "plain", "True", timeout=WAIT)

    def replaced() -> bool:
        obj = kube.get(WEBHOOKS, namespace, "plain")
        return obj is not None and (obj.get("status") or {}).get("subscriptionId") != ids["plain"]

    wait_for(
        replaced,
        what="a new subscription for the lost signing secret",
        timeout=WAIT,
        interval=POLL_SECONDS,
    )
    after = _ids(world)
    assert after["with-header"] == ids["with-header"]
    assert after["plain"] != ids["plain"]
    assert _reason(world, RULES, "rule") == "True/Ready"
    assert world.signing_secrets_verify_deliveries(world.one_subscription_per_webhook()) == 3
    header_values = {
        d.headers.get("x-receiver-auth") for d in world.receiver.deliveries(after["with-header"])
    }
    assert header_values == {HEADER_VALUE}


@pytest.mark.timeout(300)
def test_revoked_credentials_are_reported_and_recovered(make_world: WorldFactory) -> None:
    world = make_world(services=1, teams=1)
    namespace = _base(world)
    kube = world.kube
    ids = _ids(world)

    kube.put_secret(namespace, API_KEY_SECRET, {"token": BAD_TOKEN})
    kube.wait_condition(INTEGRATIONS, namespace, INTEGRATION, "False", "CredentialsInvalid")
    kube.create(world.webhook(namespace, "meanwhile", ("account", None)))
    kube.patch_spec(RULES, namespace, "rule", {"actions": {"severity": "critical"}})
    kube.wait_condition(WEBHOOKS, namespace, "meanwhile", "False", "CredentialsInvalid")
    kube.wait_condition(RULES, namespace, "rule", "False", "CredentialsInvalid")

    # Restored. Recovery goes through the integration kicking its users (their last failure
    # is not retried: a person had to fix it); the first create after it hits a 503, which
    # must be retried like any transient failure, well before the (long) resync.
    seq = world.sim.last_seq()
    world.sim.add_faults({"method": "POST", "path": "/webhook_subscriptions", "status": 503})
    kube.put_secret(namespace, API_KEY_SECRET, {"token": world.account.token})
    kube.wait_condition(INTEGRATIONS, namespace, INTEGRATION, "True", timeout=WAIT)
    world.wait_all_ready(WAIT)
    assert [r["status"] for r in world.sim.requests(seq) if r.get("fault")] == [503]
    after = _ids(world)
    assert {k: v for k, v in after.items() if k in ids} == ids
    rules = world.one_rule_per_incident_rule()
    assert rules[(namespace, "rule")].rule["actions"]["severity"] == "critical"
    assert world.signing_secrets_verify_deliveries(world.one_subscription_per_webhook()) == 3

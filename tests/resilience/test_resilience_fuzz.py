"""Generated specs pushed through the real apiserver: the operator survives whatever is admitted.

Hypothesis draws specs of all three kinds from the CRDs' schemas (bounded, derandomized), with
references that mostly point at things that exist (the integration `pd`, the account's services
and teams, a header Secret) and sometimes at nothing. Each is created for real; the apiserver
refuses some (CEL rules, schema). For everything admitted: the operator process stays up and
logs no traceback, every object gets a `Ready` condition for its generation, and over a quiet
window afterwards it neither writes statuses nor calls PagerDuty in a loop (counts, not times).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from resilience_kube import describe
from resilience_watch import StatusWrites
from resilience_world import API_KEY_SECRET, INTEGRATION, World, WorldFactory, tracebacks

from support.crd_specs import APISERVER_EXAMPLES, Overrides, mostly, sometimes, spec_strategy
from support.kube import API_VERSION, GROUP, INTEGRATIONS, RULES, WEBHOOKS, condition
from support.waiting import wait_for

EXAMPLES_PER_KIND = 30
READY_SECONDS = 120.0
WINDOW_SECONDS = 20.0
"""The quiet window: long enough for two retries of the shortest transient delay (10 s)."""
MAX_STATUS_WRITES_IN_WINDOW = 2
MAX_STATUS_WRITES_IN_ALL = 8
"""From creation to the end of the window (about a minute): a few retries, never a loop."""
MAX_REQUESTS_PER_OBJECT_IN_WINDOW = 3
HEADER_SECRET = "hdr"
KINDS = {
    INTEGRATIONS: ("PagerDutyIntegration", "int"),
    WEBHOOKS: ("PagerDutyWebhook", "wh"),
    RULES: ("PagerDutyIncidentRule", "rule"),
}


def _overrides(world: World, plural: str) -> Overrides:
    crd = f"{plural}.{GROUP}"
    services = list(world.account.services)
    teams = list(world.account.teams)
    secret_names = [HEADER_SECRET, API_KEY_SECRET, "absent-secret"]
    common: Overrides = {
        "integrationRef.name": st.sampled_from([INTEGRATION] * 4 + ["absent-integration"])
    }
    if plural == WEBHOOKS:
        header_ref = "customHeaders[].valueFrom.secretKeyRef"
        scope = st.one_of(
            st.just({"type": "account"}),
            st.builds(lambda i: {"type": "service", "id": i}, st.sampled_from(services)),
            st.builds(lambda i: {"type": "team", "id": i}, st.sampled_from(teams)),
        )
        return {
            **common,
            "url": mostly(
                st.from_regex(r"https://hooks\.example/[a-z0-9/._-]{0,20}", fullmatch=True),
                crd,
                "url",
            ),
            "scope": mostly(scope, crd, "scope"),
            f"{header_ref}.name": sometimes(secret_names, crd, f"{header_ref}.name"),
            f"{header_ref}.key": sometimes(["value", "token"], crd, f"{header_ref}.key"),
            "signingSecretRef.name": sometimes(
                ["signing-a", "signing-b"], crd, "signingSecretRef.name", weight=1
            ),
            # Keys a Secret refuses: once a 422 on every signing-secret write, the reconcile
            # failing with a traceback and recreating the subscription; now refused at admission.
            "signingSecretRef.key": sometimes(
                ["signingSecret", ".", "..hidden"], crd, "signingSecretRef.key", weight=1
            ),
            "adoptId": sometimes(["PNOSUCH"], crd, "adoptId", weight=1),
        }
    if plural == RULES:
        return {
            **common,
            "actions.priority": sometimes(["P1", "P2", "P9"], crd, "actions.priority"),
            "actions.routeTo": sometimes(["start"], crd, "actions.routeTo", weight=1),
        }
    api_key = {"secretKeyRef": {"name": API_KEY_SECRET, "key": "token"}}
    return {
        "credentials": mostly(st.just({"apiKey": api_key}), crd, "credentials", weight=2),
        "serviceId": sometimes(services, crd, "serviceId"),
        "eventsIntegration.serviceId": sometimes(services, crd, "eventsIntegration.serviceId"),
    }


def _specs(world: World, plural: str) -> st.SearchStrategy[dict[str, Any]]:
    specs = spec_strategy(f"{plural}.{GROUP}", _overrides(world, plural))
    if plural != RULES:
        return specs
    # `target` is optional, and without it the rule can only say NoTarget (the integration
    # has no serviceId): give most rules one of the account's service paths.
    targets = st.sampled_from([{"service": {"id": s}} for s in world.account.services])
    return st.builds(
        lambda spec, target, keep: {"target": target, **spec} if keep else spec,
        specs,
        targets,
        st.sampled_from([True, True, True, False]),
    )


def _push(
    world: World, plural: str, admitted: list[tuple[str, str]], refused: Counter[str]
) -> None:
    """Create one object per generated spec; remember what the apiserver admitted."""
    kind, short = KINDS[plural]
    namespace = world.namespaces[0]

    @settings(APISERVER_EXAMPLES, max_examples=EXAMPLES_PER_KIND)
    @given(spec=_specs(world, plural))
    def push(spec: dict[str, Any]) -> None:
        name = f"fz-{short}-{len(admitted) + sum(refused.values())}"
        document = {
            "apiVersion": API_VERSION,
            "kind": kind,
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
        }
        try:
            world.kube.create(document)
        except ApiException as error:
            if error.status not in (400, 422):
                raise
            refused[plural] += 1
            return
        admitted.append((plural, name))

    for spec in _explicit(plural):
        push = example(spec=spec)(push)
    push()


def _explicit(plural: str) -> list[dict[str, Any]]:
    """Specs that once broke the operator, always tried besides the generated ones."""
    if plural != WEBHOOKS:
        return []
    return [  # keys a Secret refuses (once a 422 on every signing-secret write; now admission's)
        {
            "integrationRef": {"name": INTEGRATION},
            "url": f"https://hooks.example/{key.strip('.') or 'dot'}",
            "scope": {"type": "account"},
            "signingSecretRef": {"name": f"key-{index}-signing", "key": key},
        }
        for index, key in enumerate([".", "..", "..hidden"])
    ]


def test_generated_specs_never_crash_loop_or_silence_the_operator(
    make_world: WorldFactory, k8s_api: client.ApiClient
) -> None:
    world = make_world(services=2, teams=1)
    namespace = world.namespaces[0]
    world.install_integration(namespace)
    world.kube.put_secret(namespace, HEADER_SECRET, {"value": "fuzz-header-value"})
    world.kube.wait_condition(INTEGRATIONS, namespace, INTEGRATION, "True")
    writes = StatusWrites(k8s_api, namespace, list(KINDS))
    writes.start()
    try:
        admitted: list[tuple[str, str]] = []
        refused: Counter[str] = Counter()
        for plural in KINDS:
            _push(world, plural, admitted, refused)
        kinds_admitted = Counter(plural for plural, _ in admitted)
        assert all(kinds_admitted[p] for p in KINDS), f"admitted {kinds_admitted}"
        assert sum(refused.values()) > 0, "nothing was refused: CEL rules went untested"

        def without_condition() -> list[str]:
            return [
                describe(obj) if obj else f"{plural}/{name}: absent"
                for plural, name in admitted
                if condition(obj := world.kube.get(plural, namespace, name)) is None
            ]

        wait_for(
            lambda: not without_condition(),
            what="a Ready condition on every admitted object",
            timeout=READY_SECONDS,
            interval=1.0,
            describe=lambda: " | ".join(without_condition()[:4]),
        )
        assert world.operator.process.poll() is None, "the operator exited"

        reasons = Counter(
            f"{p}:{(condition(world.kube.get(p, namespace, n)) or {}).get('reason')}"
            for p, n in admitted
        )
        print(f"admitted {kinds_admitted}, refused {refused}, Ready reasons {reasons}")
        print(f"most status writes so far: {writes.counts().most_common(3)}")
        seq, before = world.sim.last_seq(), writes.counts()
        time.sleep(WINDOW_SECONDS)
        after = writes.counts()
        requests = world.sim.requests(seq)  # every request: this test is the only client
    finally:
        writes.stop()

    assert world.operator.process.poll() is None, "the operator exited"
    assert not tracebacks(world.operator_log()), tracebacks(world.operator_log())[:3]
    busy = {key: after[key] - before[key] for key in after if after[key] - before[key]}
    looping = {k: v for k, v in busy.items() if v > MAX_STATUS_WRITES_IN_WINDOW}
    assert not looping, f"status writes in {WINDOW_SECONDS:.0f}s: {looping}"
    many = {k: v for k, v in after.items() if v > MAX_STATUS_WRITES_IN_ALL}
    assert not many, f"status writes since creation: {many}"
    by_route = Counter(f"{r['method']} {r['route']} {r['status']}" for r in requests)
    assert len(requests) <= MAX_REQUESTS_PER_OBJECT_IN_WINDOW * len(admitted), (
        f"{len(requests)} PagerDuty requests in {WINDOW_SECONDS:.0f}s for {len(admitted)} "
        f"objects: {by_route.most_common(8)}"
    )
    assert not world.leaked_secrets()

"""Session fixtures of the operator's end-to-end tests: one simulator, one shared operator.

The shared operator watches the namespaces `pdo-*` with a short resync interval; each test gets a
`tenant` there. Crash tests use `isolated_tenant`: a namespace `pdk-*` watched by a second
operator process (`crash_operator`) that they may kill and restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client
from operator_harness import (
    ISOLATED_PREFIX,
    RESYNC_SECONDS,
    SHARED_PREFIX,
    Cluster,
    SecretLedger,
    Sim,
    Tenant,
    cleanup_tenant,
    new_tenant,
)

from pagerduty_devenv import ControlPlane, Kubectl
from pagerduty_devenv.stack import OperatorProcess, SimulatorProcess
from support.waiting import CONVERGE_SECONDS


@pytest.fixture(scope="session")
def secret_ledger() -> SecretLedger:
    return SecretLedger()


@pytest.fixture(scope="session")
def stack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("operator-stack")


@pytest.fixture(scope="session")
def sim(stack_dir: Path, secret_ledger: SecretLedger) -> Iterator[Sim]:
    process = SimulatorProcess(stack_dir)
    process.start()
    try:
        # Deliveries retry quickly so that none lingers across tests.
        process.admin("PUT", "config", json={"delivery_retry_delays": [0.2]})
        simulator = Sim(process, secret_ledger)
        simulator.state()  # the seeded credentials go into the ledger
        yield simulator
    finally:
        process.stop()


@pytest.fixture(scope="session")
def cluster(kubectl: Kubectl, k8s_api: client.ApiClient) -> Cluster:
    return Cluster(kubectl, k8s_api)


def _operator_watching(
    control_plane: ControlPlane, sim: Sim, stack_dir: Path, prefix: str, name: str
) -> Iterator[OperatorProcess]:
    """An operator process watching the namespaces `<prefix>*`, stopped when the session ends."""
    operator = OperatorProcess(
        stack_dir,
        control_plane.kubeconfig,
        sim.process,
        namespaces=[f"{prefix}*"],
        resync_seconds=RESYNC_SECONDS,
        name=name,
    )
    operator.start()
    yield operator
    operator.stop()


@pytest.fixture(scope="session")
def shared_operator(
    control_plane: ControlPlane, crds: list[str], sim: Sim, stack_dir: Path
) -> Iterator[OperatorProcess]:
    yield from _operator_watching(control_plane, sim, stack_dir, SHARED_PREFIX, "operator-shared")


@pytest.fixture
def tenant(
    shared_operator: OperatorProcess,
    cluster: Cluster,
    sim: Sim,
    secret_ledger: SecretLedger,
    request: pytest.FixtureRequest,
) -> Iterator[Tenant]:
    """A namespace the shared operator watches, with an API key, a service and a team."""
    tenant = new_tenant(cluster, sim, secret_ledger, SHARED_PREFIX, request.node.name)
    yield tenant
    sim.clear_faults()
    cleanup_tenant(cluster, tenant, CONVERGE_SECONDS)


@pytest.fixture(scope="session")
def crash_operator(
    control_plane: ControlPlane, crds: list[str], sim: Sim, stack_dir: Path
) -> Iterator[OperatorProcess]:
    """The operator of the `pdk-*` namespaces, which crash tests kill and restart."""
    yield from _operator_watching(control_plane, sim, stack_dir, ISOLATED_PREFIX, "operator-crash")


@pytest.fixture
def isolated_tenant(
    crash_operator: OperatorProcess,
    cluster: Cluster,
    sim: Sim,
    secret_ledger: SecretLedger,
    request: pytest.FixtureRequest,
) -> Iterator[tuple[Tenant, OperatorProcess]]:
    """A namespace watched by an operator that is not the shared one: kill and restart it.

    That operator watches no other test's resources (every test cleans up before the next).
    """
    if crash_operator.process.poll() is not None:
        crash_operator.restart()
    tenant = new_tenant(cluster, sim, secret_ledger, ISOLATED_PREFIX, request.node.name)
    yield tenant, crash_operator
    sim.clear_faults()
    if crash_operator.process.poll() is not None:
        crash_operator.restart()
    cleanup_tenant(cluster, tenant, CONVERGE_SECONDS)

"""Fixtures of the resilience suite: one simulator per session, one operator per test.

Every test gets its own namespaces (`rs-*`), its own simulator account and an operator process
that watches only those namespaces, so it may kill, restart or starve that operator without
touching anybody else. Teardown deletes the test's custom resources with its operator still up
(finalizers run), then stops the operator and deletes the namespaces.

The operators this suite starts (over twenty in the kill test) keep their Python bytecode in a
cache of the session's temporary directory, even when the environment says not to write any
(`PYTHONDONTWRITEBYTECODE`): recompiling kopf and the kubernetes client at every start would
double the cost of each restart. Nothing is written into the source tree or the venv.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from kubernetes import client
from resilience_kube import Kube
from resilience_pd import Sim
from resilience_world import World, WorldFactory

from pagerduty_devenv import ControlPlane
from pagerduty_devenv.stack import OperatorProcess, SimulatorProcess
from support.kube import PLURALS
from support.receiver import Receiver

CLEANUP_SECONDS = 90.0


@pytest.fixture(scope="session")
def resilience_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("resilience")


@pytest.fixture(scope="session")
def resilience_sim(resilience_dir: Path) -> Iterator[Sim]:
    """The simulator of this suite (rate limit off; deliveries retried quickly)."""
    process = SimulatorProcess(resilience_dir)
    process.start()
    try:
        process.admin("PUT", "config", json={"delivery_retry_delays": [0.2, 0.5]})
        yield Sim(process)
    finally:
        process.stop()


@pytest.fixture(scope="session")
def resilience_kube(k8s_api: client.ApiClient) -> Kube:
    return Kube(k8s_api)


@contextmanager
def _bytecode_cached_in(directory: Path) -> Iterator[None]:
    """While inside, child processes started from this environment cache bytecode there."""
    saved = {k: os.environ.get(k) for k in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(directory)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _namespace(test_name: str, index: int) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", test_name.lower()).strip("-")[:30].strip("-")
    return f"rs-{slug}-{index}-{uuid.uuid4().hex[:5]}"


@pytest.fixture
def make_world(
    control_plane: ControlPlane,
    crds: list[str],
    resilience_sim: Sim,
    resilience_kube: Kube,
    resilience_dir: Path,
    request: pytest.FixtureRequest,
) -> Iterator[WorldFactory]:
    """`make_world(namespaces=1, services=2, teams=1, resync=300.0)`: a started World."""
    made: list[World] = []

    def make(
        *, namespaces: int = 1, services: int = 2, teams: int = 1, resync: float = 300.0
    ) -> World:
        names = [_namespace(request.node.name, i) for i in range(namespaces)]
        for name in names:
            control_plane.kubectl("create", "namespace", name)
        account = resilience_sim.new_account(services=services, teams=teams)
        with _bytecode_cached_in(resilience_dir / "pycache"):  # the environment is copied now
            operator = OperatorProcess(
                resilience_dir,
                control_plane.kubeconfig,
                resilience_sim.process,
                namespaces=names,
                resync_seconds=resync,
                name=f"operator-{names[0]}",
            )
        receiver = Receiver()
        receiver.start()
        world = World(resilience_sim, resilience_kube, account, names, operator, receiver)
        made.append(world)
        operator.start()
        return world

    yield make

    resilience_sim.clear_faults()
    for world in made:
        _teardown(control_plane, world)


def _teardown(control_plane: ControlPlane, world: World) -> None:
    try:
        if world.operator.process.poll() is not None:
            world.operator.restart()
        world.delete_everything(CLEANUP_SECONDS)
    except AssertionError:
        for obj in world.remaining():  # leave nothing stuck behind a finalizer
            meta = obj["metadata"]
            world.kube.drop_finalizers(PLURALS[obj["kind"]], meta["namespace"], meta["name"])
        raise
    finally:
        world.operator.kill()  # nothing left to finish: no need to wait for a clean stop
        world.receiver.stop()
        for name in world.namespaces:
            control_plane.kubectl("delete", "namespace", name, "--wait=false", check=False)

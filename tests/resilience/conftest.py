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
from support.leadership import leader_args
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
    """`make_world(namespaces=1, services=2, teams=1, resync=300.0, replicas=1)`: a started World.

    With `replicas` above 1 the operators run with `--leader-elect` (`support.leadership`).
    """
    made: list[World] = []

    def make(
        *,
        namespaces: int = 1,
        services: int = 2,
        teams: int = 1,
        resync: float = 300.0,
        replicas: int = 1,
    ) -> World:
        names = [_namespace(request.node.name, i) for i in range(namespaces)]
        for name in names:
            control_plane.kubectl("create", "namespace", name)
        account = resilience_sim.new_account(services=services, teams=teams)
        # Several replicas take part in leader election on a Lease in the first namespace.
        extra = leader_args(names[0], "pagerduty-operator") if replicas > 1 else []
        with _bytecode_cached_in(resilience_dir / "pycache"):  # the environment is copied now
            operators = [
                OperatorProcess(
                    resilience_dir,
                    control_plane.kubeconfig,
                    resilience_sim.process,
                    namespaces=names,
                    resync_seconds=resync,
                    extra_args=extra,
                    name=f"operator-{names[0]}" + (f"-{i}" if i else ""),
                )
                for i in range(replicas)
            ]
        receiver = Receiver()
        receiver.start()
        world = World(
            resilience_sim, resilience_kube, account, names, operators[0], receiver, operators[1:]
        )
        made.append(world)
        for operator in operators:  # started together: each takes seconds to import
            operator.process.start()
        for operator in operators:
            operator.process.wait_healthy(f"http://127.0.0.1:{operator.health_port}/healthz", 60)
        return world

    yield make

    resilience_sim.clear_faults()
    for world in made:
        _teardown(control_plane, world)


def _teardown(control_plane: ControlPlane, world: World) -> None:
    try:
        for operator in world.replicas:
            if operator.process.poll() is not None:
                operator.restart()
        world.delete_everything(CLEANUP_SECONDS)
    except AssertionError:
        for obj in world.remaining():  # leave nothing stuck behind a finalizer
            meta = obj["metadata"]
            world.kube.drop_finalizers(PLURALS[obj["kind"]], meta["namespace"], meta["name"])
        raise
    finally:
        for operator in world.replicas:  # nothing left to finish: no need for a clean stop
            operator.kill()
        world.receiver.stop()
        for name in world.namespaces:
            control_plane.kubectl("delete", "namespace", name, "--wait=false", check=False)

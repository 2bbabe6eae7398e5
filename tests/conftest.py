"""Shared pytest fixtures: one real control plane per session, CRDs, per-test namespaces.

Fixture names are a contract for every test module: ``control_plane``, ``crds``, ``namespace``,
``kubectl``, ``k8s_api``. A test that uses ``control_plane`` (directly or through another of these
fixtures) is marked ``e2e`` automatically.
"""

from __future__ import annotations

import importlib.util
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from pagerduty_devenv import ControlPlane, Kubectl

REPO_ROOT = Path(__file__).resolve().parents[1]
CRD_DIR = REPO_ROOT / "crds"


def _layout_problems() -> list[str]:
    problems = []
    if (REPO_ROOT / "operator" / "__init__.py").exists():
        problems.append("operator/__init__.py exists: it would shadow Python's own `operator`")
    spec = importlib.util.find_spec("operator")
    origin = spec.origin if spec else None
    if origin is None or Path(origin).resolve().is_relative_to(REPO_ROOT / "operator"):
        problems.append(f"`import operator` resolves to {origin}, not the standard library")
    return problems


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to run on a broken source layout (``operator/`` is a source root, not a package)."""
    problems = _layout_problems()
    if problems:
        pytest.exit("source layout broken: " + "; ".join(problems), returncode=4)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "control_plane" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def control_plane() -> Iterator[ControlPlane]:
    with ControlPlane() as plane:
        yield plane


@pytest.fixture(scope="session")
def kubectl(control_plane: ControlPlane) -> Kubectl:
    return control_plane.kubectl


@pytest.fixture(scope="session")
def k8s_api(control_plane: ControlPlane) -> Iterator[client.ApiClient]:
    with control_plane.api_client() as api:
        yield api


def _crd_names(path: Path) -> list[str]:
    names = []
    for document in yaml.safe_load_all(path.read_text()):
        if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
            names.append(str(document["metadata"]["name"]))
    return names


@pytest.fixture(scope="session")
def crds(control_plane: ControlPlane) -> list[str]:
    """Server-side apply every ``crds/*.yaml``, wait until Established; return the CRD names."""
    files = sorted(CRD_DIR.glob("*.yaml")) if CRD_DIR.is_dir() else []
    names: list[str] = []
    for path in files:
        control_plane.kubectl(
            "apply",
            "--server-side",
            "--force-conflicts",
            "--field-manager=pdo-tests",
            "-f",
            str(path),
        )
        names += _crd_names(path)
    if names:
        control_plane.kubectl(
            "wait", "--for=condition=Established", "--timeout=60s", *(f"crd/{n}" for n in names)
        )
    return names


def _namespace_name(test_name: str) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", test_name.lower()).strip("-")[:40].strip("-")
    return f"t-{slug}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def namespace(control_plane: ControlPlane, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for one test; deleted afterwards without waiting."""
    name = _namespace_name(request.node.name)
    control_plane.kubectl("create", "namespace", name)
    yield name
    control_plane.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found")

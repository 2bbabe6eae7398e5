"""Guards on the source layout: `operator/` is a source root, never a package."""

from __future__ import annotations

import operator
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_operator_dir_is_not_a_package() -> None:
    assert not (REPO / "operator" / "__init__.py").exists()


def test_import_operator_is_the_standard_library() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    assert operator.__file__ is not None
    assert Path(operator.__file__).resolve().parent == stdlib
    assert callable(operator.itemgetter)


def test_only_one_importable_package_under_the_source_root() -> None:
    packages = sorted(p.parent.name for p in (REPO / "operator").glob("*/__init__.py"))
    assert packages == ["pagerduty_operator"]
    modules = [p.name for p in (REPO / "operator").glob("*.py")]
    assert modules == []


def test_package_is_imported_from_the_source_root() -> None:
    import pagerduty_operator

    assert Path(pagerduty_operator.__file__).resolve().is_relative_to(REPO / "operator")
    assert "operator" not in {m.split(".")[0] for m in sys.modules if m.startswith("operator.")}


def test_test_modules_have_unique_basenames() -> None:
    """No two test modules share a name.

    pytest imports test modules by basename (the test folders are no packages): a second module
    of the same name fails to collect, and only when both are collected together.
    """
    tests = Path(__file__).resolve().parent
    names = [
        p.name
        for p in tests.rglob("*.py")
        if p.name != "conftest.py" and "__pycache__" not in p.parts
    ]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"test modules with the same name: {duplicates}"

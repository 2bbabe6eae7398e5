"""The CustomResourceDefinitions shipped with the package (``pagerduty-operator crds`` prints them).

A wheel carries ``crds/*.yaml`` as package data under ``pagerduty_operator/_crds``; a source or
editable install reads them from the repository's ``crds/`` directory.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

_PACKAGED = "_crds"
_SOURCE_DIR = Path(__file__).resolve().parents[2] / "crds"


def _crd_directory() -> Traversable:
    packaged = resources.files("pagerduty_operator").joinpath(_PACKAGED)
    if packaged.is_dir():
        return packaged
    if _SOURCE_DIR.is_dir():
        return _SOURCE_DIR
    raise FileNotFoundError(
        f"no CRDs found: neither package data {_PACKAGED!r} nor {_SOURCE_DIR} exists"
    )


def _crd_files() -> list[Traversable]:
    files = [f for f in _crd_directory().iterdir() if f.name.endswith(".yaml")]
    return sorted(files, key=lambda f: f.name)


def load_crds() -> list[dict[str, Any]]:
    """Every CustomResourceDefinition, parsed, in file-name order."""
    crds: list[dict[str, Any]] = []
    for path in _crd_files():
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
                crds.append(document)
    return crds


def crds_yaml() -> str:
    """All CRD files as one multi-document YAML stream, each file verbatim."""
    texts = [path.read_text(encoding="utf-8").strip() + "\n" for path in _crd_files()]
    return "---\n".join(texts)

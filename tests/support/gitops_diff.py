"""The drift a GitOps tool's default diff sees between a manifest and the live object.

Argo CD (and Flux's client-side mode) compare custom resources by a three-way JSON merge patch:
custom resources have no strategic-merge metadata, so a list is one value and is compared whole,
while a map is compared key by key and a key the apiserver added (a default, a status) is not
drift. Fields the last applied manifest had and the new one lacks would be removed. This module
computes that comparison, so a test can show an applied example never looks out of sync; a
`kubectl diff --server-side` cannot show it, because server-side apply merges lists by item.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

IGNORED_TOP_LEVEL = frozenset({"status"})
"""Argo CD ignores the status of custom resources by default."""


def merge_patch_drift(
    config: Mapping[str, Any],
    live: Mapping[str, Any],
    last_applied: Mapping[str, Any] | None = None,
) -> list[str]:
    """The paths where applying `config` over `live` would change something (empty: in sync)."""
    return _drift(config, live, last_applied or config, "", top=True)


def _drift(
    config: Mapping[str, Any],
    live: Mapping[str, Any],
    last_applied: Mapping[str, Any],
    path: str,
    *,
    top: bool = False,
) -> list[str]:
    found: list[str] = []
    for key, wanted in config.items():
        if top and key in IGNORED_TOP_LEVEL:
            continue
        where = f"{path}.{key}" if path else key
        if key not in live:
            found.append(f"{where}: missing from the live object")
            continue
        actual = live[key]
        if isinstance(wanted, Mapping) and isinstance(actual, Mapping):
            previous = last_applied.get(key)
            found += _drift(
                wanted, actual, previous if isinstance(previous, Mapping) else {}, where
            )
        elif wanted != actual:
            found.append(f"{where}: the manifest has {wanted!r}, the live object {actual!r}")
    for key in last_applied:
        if key not in config and key in live and not (top and key in IGNORED_TOP_LEVEL):
            found.append(f"{path}.{key}" if path else key)
    return found

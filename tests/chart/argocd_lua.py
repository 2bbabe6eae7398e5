"""Run the chart's Argo CD health check (`argocd/health.lua`) in a real Lua 5.1 runtime.

Argo CD runs health scripts in gopher-lua (Lua 5.1) with the live object in the global `obj`
and reads `status` and `message` from the table the script returns; this does the same with
lupa's Lua 5.1.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lupa import lua51  # type: ignore[import-untyped]

CHART_DIR = Path(__file__).resolve().parents[2] / "charts" / "pagerduty-operator"
HEALTH_LUA = CHART_DIR / "argocd" / "health.lua"
HEALTH_STATUSES = ("Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown")


@dataclass(frozen=True)
class Health:
    """What Argo CD would show for one object."""

    status: str
    message: str


def evaluate(obj: Mapping[str, Any], script: str | None = None) -> Health:
    """The health of `obj` (a Kubernetes object as JSON) according to the Lua script."""
    runtime = lua51.LuaRuntime(unpack_returned_tuples=False)
    plain = json.loads(json.dumps(obj))  # JSON types only, as Argo CD hands them over
    runtime.globals()["obj"] = runtime.table_from(plain, recursive=True)
    result = runtime.execute(script if script is not None else HEALTH_LUA.read_text())
    status = result["status"]
    message = result["message"]
    if status not in HEALTH_STATUSES:
        raise ValueError(f"health.lua returned an unknown status {status!r}")
    return Health(str(status), "" if message is None else str(message))

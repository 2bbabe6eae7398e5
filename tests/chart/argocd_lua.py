"""Run the chart's Argo CD health check (`argocd/health.lua`) as Argo CD's controller runs it.

Argo CD runs health scripts in gopher-lua (Go's Lua 5.1) with only the base, table, package and a
safe os library open (no `string`, no `math`), the live object decoded from JSON into Lua tables
(every number a float), and reads `status` and `message` from the returned table. The Go program
in `argocd_lua_go/` does exactly that with the same gopher-lua; it is built once (Go modules from
the module proxy) into the project's cache and reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CHART_DIR = Path(__file__).resolve().parents[2] / "charts" / "pagerduty-operator"
HEALTH_LUA = CHART_DIR / "argocd" / "health.lua"
HEALTH_STATUSES = ("Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown")
GO_SOURCE = Path(__file__).resolve().parent / "argocd_lua_go"
CACHE = Path(os.environ.get("PDO_CACHE_DIR", Path.home() / ".cache" / "pagerduty-operator"))


class LuaScriptError(RuntimeError):
    """The script raised, or returned something Argo CD cannot read (Argo CD shows Unknown)."""


@dataclass(frozen=True)
class Health:
    """What Argo CD would show for one object."""

    status: str
    message: str


@cache
def argocd_health_binary() -> Path:
    """The built Go runner, rebuilt when its source changes."""
    digest = hashlib.sha256()
    for name in ("main.go", "go.mod", "go.sum"):
        digest.update((GO_SOURCE / name).read_bytes())
    binary = CACHE / "bin" / f"argocd-health-{digest.hexdigest()[:16]}"
    if binary.exists():
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    partial = binary.with_name(f"{binary.name}.{os.getpid()}.tmp")
    env = {**os.environ, "GOFLAGS": "-buildvcs=false -mod=readonly", "CGO_ENABLED": "0"}
    env.setdefault("GOTOOLCHAIN", "local")
    subprocess.run(
        ["go", "build", "-trimpath", "-o", str(partial), "."],
        cwd=GO_SOURCE,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    partial.replace(binary)
    return binary


def evaluate_many(
    objects: Iterable[Mapping[str, Any]], script: Path = HEALTH_LUA, open_libs: bool = False
) -> list[Health | LuaScriptError]:
    """The health of each object (Kubernetes objects as JSON) according to `script`."""
    lines = "".join(json.dumps(obj) + "\n" for obj in objects)
    argv = [str(argocd_health_binary()), str(script), *(["--open-libs"] if open_libs else [])]
    done = subprocess.run(argv, input=lines, capture_output=True, text=True, check=True, timeout=60)
    results: list[Health | LuaScriptError] = []
    for line in done.stdout.splitlines():
        answer = json.loads(line)
        if "error" in answer:
            results.append(LuaScriptError(answer["error"]))
        else:
            status, message = answer.get("status", ""), answer.get("message", "")
            if status not in HEALTH_STATUSES:
                raise ValueError(f"the runner returned an unknown status {status!r}")
            results.append(Health(status, message))
    return results


def evaluate(obj: Mapping[str, Any], script: Path = HEALTH_LUA) -> Health:
    """The health of one object; raises LuaScriptError where Argo CD would show a Lua error."""
    (result,) = evaluate_many([obj], script)
    if isinstance(result, LuaScriptError):
        raise result
    return result

"""Asking the apiserver whether it admits a manifest, without creating anything."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from pagerduty_devenv import Kubectl


def dry_run_create(
    kubectl: Kubectl, namespace: str, resource: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    """`kubectl create --dry-run=server -o json` of `resource`; never raises on a refusal."""
    return kubectl(
        "create",
        "--dry-run=server",
        "-n",
        namespace,
        "-o",
        "json",
        "-f",
        "-",
        input=json.dumps(resource),
        check=False,
    )

"""docs/install.md explains every condition reason the operator can set.

The reasons are read from the operator's source: the reason argument of every `false(...)`,
`unknown(...)` and `set(type, "False"|"Unknown", reason, ...)` on a condition set, and of every
`Failure`, `SecretProblem`, `IntegrationUnavailable` and `TargetProblem` the reconcilers build.
"""

from __future__ import annotations

import ast
from pathlib import Path

from chart_helpers import DOCS_INSTALL, REPO

SOURCE = REPO / "operator" / "pagerduty_operator"
PROBLEM_TYPES = {"Failure", "SecretProblem", "IntegrationUnavailable", "TargetProblem"}


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def failure_reasons(paths: list[Path]) -> dict[str, set[str]]:
    """Each reason string and the files that set it."""
    found: dict[str, set[str]] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            args = node.args
            reason = None
            if isinstance(func, ast.Attribute) and name in ("false", "unknown") and len(args) >= 2:
                reason = _literal(args[1])
            elif name == "set" and len(args) >= 3 and _literal(args[1]) in ("False", "Unknown"):
                reason = _literal(args[2])
            elif name in PROBLEM_TYPES and args:
                reason = _literal(args[0])
            if reason:
                found.setdefault(reason, set()).add(path.name)
    return found


def operator_sources() -> list[Path]:
    return [*sorted((SOURCE / "reconcile").glob("*.py")), SOURCE / "kube.py"]


def test_the_scan_finds_the_reasons_of_every_kind() -> None:
    """The scan itself works: it sees reasons from each place they come from."""
    reasons = failure_reasons(operator_sources())
    for known in ("CredentialsInvalid", "SecretNotFound", "ScopeNotAllowed", "Inactive"):
        assert known in reasons


def test_every_failure_reason_is_in_the_troubleshooting_table() -> None:
    reasons = failure_reasons(operator_sources())
    docs = DOCS_INSTALL.read_text()
    table = docs[docs.index("## Troubleshooting") : docs.index("## What is tested")]
    missing = sorted(r for r in reasons if f"| `{r}` |" not in table)
    assert not missing, (
        f"docs/install.md does not explain {missing} (set in {[reasons[m] for m in missing]})"
    )

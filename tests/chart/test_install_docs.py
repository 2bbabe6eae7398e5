"""docs/install.md explains every condition reason the operator can set.

The reasons are the enums of `pagerduty_operator.models.reasons`: `ConditionSet.false/unknown`,
`Failure` and every `Problem` take only those members (mypy --strict holds them to it), so
iterating the enums sees every reason, including one raised where no condition call is in
sight. A scan of the source checks that no reason is still written as a bare string.
"""

from __future__ import annotations

import ast
from pathlib import Path

from chart_helpers import DOCS_INSTALL, REPO

from pagerduty_operator.models.reasons import REASON_ENUMS

SOURCE = REPO / "operator" / "pagerduty_operator"
PROBLEM_TYPES = {
    "Failure",
    "Problem",
    "SecretProblem",
    "IntegrationUnavailable",
    "TargetProblem",
    "ScopeNotAllowed",
}


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def literal_reasons(paths: list[Path]) -> dict[str, set[str]]:
    """Reasons written as string literals where a failure reason goes, and their files."""
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


def every_reason() -> list[str]:
    return sorted({str(member) for enum in REASON_ENUMS for member in enum})


def test_the_enums_hold_the_reasons_of_every_kind() -> None:
    reasons = every_reason()
    for known in ("CredentialsInvalid", "SecretNotFound", "ScopeNotAllowed", "Inactive"):
        assert known in reasons
    assert "NoIntegrationKey" in reasons
    assert "NotHeld" in reasons


def test_no_reason_is_a_bare_string_in_the_source() -> None:
    """A reason typed as a literal would bypass the enums (and so the table below)."""
    sources = sorted(SOURCE.rglob("*.py"))
    assert literal_reasons(sources) == {}


def test_every_failure_reason_is_in_the_troubleshooting_table() -> None:
    docs = DOCS_INSTALL.read_text()
    table = docs[docs.index("## Troubleshooting") : docs.index("## What is tested")]
    missing = [r for r in every_reason() if f"| `{r}` |" not in table]
    assert not missing, f"docs/install.md does not explain {missing} (models/reasons.py)"

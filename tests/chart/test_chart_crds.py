"""The chart's crds/ holds exactly the canonical CRDs of crds/ (hack/sync-chart-crds.sh)."""

from __future__ import annotations

from chart_helpers import CHART_DIR, REPO


def test_chart_crds_are_identical_to_the_canonical_crds() -> None:
    canonical = {p.name: p.read_bytes() for p in (REPO / "crds").glob("*.yaml")}
    shipped = {p.name: p.read_bytes() for p in (CHART_DIR / "crds").iterdir()}
    assert canonical, "crds/ is empty"
    assert sorted(shipped) == sorted(canonical), "run hack/sync-chart-crds.sh"
    for name, content in canonical.items():
        assert shipped[name] == content, (
            f"charts/pagerduty-operator/crds/{name} differs: run hack/sync-chart-crds.sh"
        )

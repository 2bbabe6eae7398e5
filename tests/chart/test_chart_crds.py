"""The chart ships exactly the canonical CRDs of crds/ (hack/sync-chart-crds.sh), templated.

They live in `files/crds/` (not Helm's `crds/`, which Helm installs once and never upgrades) and
`templates/crds.yaml` renders them when `crds.enabled`, with `helm.sh/resource-policy: keep`
when `crds.keep`.
"""

from __future__ import annotations

from typing import Any

import yaml
from chart_helpers import CHART_DIR, REPO, Helm, by_kind, documents


def test_chart_crds_are_identical_to_the_canonical_crds() -> None:
    canonical = {p.name: p.read_bytes() for p in (REPO / "crds").glob("*.yaml")}
    shipped = {p.name: p.read_bytes() for p in (CHART_DIR / "files" / "crds").iterdir()}
    assert canonical, "crds/ is empty"
    assert sorted(shipped) == sorted(canonical), "run hack/sync-chart-crds.sh"
    for name, content in canonical.items():
        assert shipped[name] == content, (
            f"charts/pagerduty-operator/files/crds/{name} differs: run hack/sync-chart-crds.sh"
        )
    assert not (CHART_DIR / "crds").exists(), "Helm's crds/ would install them a second time"


def _rendered_crds(helm: Helm, *sets: str) -> list[dict[str, Any]]:
    return by_kind(documents(helm.template(sets=sets)), "CustomResourceDefinition")


def test_the_rendered_crds_are_the_canonical_ones_kept_on_uninstall(helm: Helm) -> None:
    canonical = {
        d["metadata"]["name"]: d
        for p in sorted((REPO / "crds").glob("*.yaml"))
        for d in yaml.safe_load_all(p.read_text())
        if d
    }
    rendered = _rendered_crds(helm)
    assert sorted(d["metadata"]["name"] for d in rendered) == sorted(canonical)
    for crd in rendered:
        meta = crd["metadata"]
        assert meta["annotations"]["helm.sh/resource-policy"] == "keep"
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "Helm"
        assert crd["spec"] == canonical[meta["name"]]["spec"]


def test_crds_keep_false_and_crds_enabled_false(helm: Helm) -> None:
    for crd in _rendered_crds(helm, "crds.keep=false"):
        meta = crd["metadata"]
        assert "helm.sh/resource-policy" not in (meta.get("annotations") or {})
    assert _rendered_crds(helm, "crds.enabled=false") == []

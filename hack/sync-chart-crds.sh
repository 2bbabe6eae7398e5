#!/usr/bin/env bash
# Copy the canonical CRDs (crds/) into the Helm chart (charts/pagerduty-operator/files/crds/,
# which templates/crds.yaml renders: helm upgrade then updates them).
# Run after every change to crds/; tests/chart/test_chart_crds.py fails while they differ.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target="$root/charts/pagerduty-operator/files/crds"
mkdir -p "$target"
rm -f "$target"/*.yaml
cp "$root"/crds/*.yaml "$target"/
echo "copied $(ls "$root"/crds/*.yaml | wc -l) CRDs into ${target#"$root"/}"

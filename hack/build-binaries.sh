#!/usr/bin/env bash
# Build the control-plane binaries (kube-apiserver, kube-controller-manager, etcd, helm) from
# their Go modules at the versions pinned in hack/versions.env, into a cache outside the repo.
# Builds only what the cache lacks; prints the cache directory on success.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

cache_root=${PAGERDUTY_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pagerduty-operator}
bin_dir="$cache_root/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION"
mkdir -p "$bin_dir"
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=${GOTOOLCHAIN:-local} CGO_ENABLED=0

log() { echo "[build-binaries] $*" >&2; }

build_in_wrapper() {
  # $1 wrapper dir, $2 go.mod body, $3 module path, $4 its pinned version, then: output-name
  # package pairs; ldflags via LDFLAGS. Every package is fetched at the pin (a bare `go get pkg`
  # would upgrade the module to its latest release) and the built binary is checked against it.
  local dir=$1 mod=$2 module=$3 pin=$4; shift 4
  mkdir -p "$dir"
  printf '%s\n' "$mod" >"$dir/go.mod"
  printf 'package tools\n' >"$dir/tools.go"
  (cd "$dir" && go mod download 2>&1 | tail -5 >&2 || true)
  while [ $# -gt 0 ]; do
    local out=$1 pkg=$2; shift 2
    log "building $out from $pkg"
    (cd "$dir" && go get "$pkg@$pin" >&2)
    (cd "$dir" && go build -trimpath -ldflags "${LDFLAGS:-} -s -w" -o "$bin_dir/$out.tmp" "$pkg")
    local built
    built=$(go version -m "$bin_dir/$out.tmp" | awk -v m="$module" '$1 == "mod" && $2 == m {print $3}')
    if [ "$built" != "$pin" ]; then
      log "$out was built from $module ${built:-?}, not the pinned $pin"
      rm -f "$bin_dir/$out.tmp"
      exit 1
    fi
    mv "$bin_dir/$out.tmp" "$bin_dir/$out"
  done
}

if [ ! -x "$bin_dir/kube-apiserver" ] || [ ! -x "$bin_dir/kube-controller-manager" ]; then
  minor=${K8S_VERSION#v1.}; minor=${minor%%.*}; patch=${K8S_VERSION##*.}
  staging_version="v0.$minor.$patch"
  mod="module pdo.local/k8swrapper

go 1.26

require k8s.io/kubernetes $K8S_VERSION
"
  staging=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  for m in $(grep -oE '^\s+k8s.io/[a-z0-9-]+ => ./staging' "$staging" | awk '{print $1}'); do
    mod+="replace $m => $m $staging_version
"
  done
  v="k8s.io/component-base/version"
  LDFLAGS="-X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean" \
    build_in_wrapper "$cache_root/src/k8s-$K8S_VERSION" "$mod" k8s.io/kubernetes "$K8S_VERSION" \
      kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver \
      kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
fi

if [ ! -x "$bin_dir/etcd" ]; then
  mod="module pdo.local/etcdwrapper

go 1.26

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
"
  build_in_wrapper "$cache_root/src/etcd-$ETCD_VERSION" "$mod" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" \
    etcd go.etcd.io/etcd/server/v3
fi

# helm's release builds (its Makefile) stamp the Kubernetes version of the client-go they were
# built with as the default for `helm template` and `helm lint`; without it helm assumes v1.20 and
# refuses charts with a newer kubeVersion unless --kube-version is given. Same flags here; a helm
# built with other flags (an older cache) is rebuilt.
helm_gomod=$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
client_go=$(awk '$1 == "k8s.io/client-go" {print $2; exit}' "$helm_gomod")
client_go_minor=$(echo "$client_go" | cut -d. -f2)
helm_ldflags="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  helm_ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$client_go_minor"
done
if [ ! -x "$bin_dir/helm" ] || [ "$(cat "$bin_dir/helm.ldflags" 2>/dev/null)" != "$helm_ldflags" ]; then
  mod="module pdo.local/helmwrapper

go 1.26

require helm.sh/helm/v3 $HELM_VERSION
"
  LDFLAGS="$helm_ldflags" \
    build_in_wrapper "$cache_root/src/helm-$HELM_VERSION" "$mod" helm.sh/helm/v3 "$HELM_VERSION" \
      helm helm.sh/helm/v3/cmd/helm
  printf '%s' "$helm_ldflags" >"$bin_dir/helm.ldflags"
fi

echo "$bin_dir"

#!/usr/bin/env bash
# `make image`: build the Dockerfile with buildah (no Docker daemon) and print the image name.
#
#   IMAGE       the name to tag (default localhost/pagerduty-operator:<version in pyproject.toml>)
#   BASE_IMAGE  the base of every stage (default: the Dockerfile's pinned public Python image
#               when it is present or can be pulled, else a Debian 12 stand-in built from Debian
#               packages by hack/image-base.sh, so the same Dockerfile is built everywhere)
#
# Unchanged steps come from buildah's layer cache, so a rebuild without changes takes seconds.
# Needs root; installs buildah (Debian package) with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "build-image: $*" >&2; }

if ! command -v buildah >/dev/null; then
    log "installing buildah (apt-get)"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah >&2
fi

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml | head -1)
IMAGE=${IMAGE:-localhost/pagerduty-operator:$version}
public_base=$(sed -n 's/^ARG BASE_IMAGE=//p' Dockerfile)

if [[ -z ${BASE_IMAGE:-} ]]; then
    public_base=docker.io/library/$public_base
    if buildah inspect --type image "$public_base" >/dev/null 2>&1 ||
        timeout 120 buildah pull --quiet "$public_base" >/dev/null 2>&1; then
        BASE_IMAGE=$public_base
    else
        log "$public_base cannot be pulled here: using a Debian 12 stand-in"
        BASE_IMAGE=$(bash hack/image-base.sh)
    fi
fi

# The host's CA bundle (SSL_CERT_FILE, e.g. behind a TLS-intercepting proxy) is what pip and uv
# trust during the build: mounted over the base's own bundle for the RUN steps only (a mount
# over an existing file leaves nothing behind) and named by build arguments.
trust=()
if [[ -n ${SSL_CERT_FILE:-} && -f $SSL_CERT_FILE ]]; then
    mounted=/etc/ssl/certs/ca-certificates.crt
    trust=(--volume "$SSL_CERT_FILE:$mounted:ro"
        --build-arg "SSL_CERT_FILE=$mounted" --build-arg "PIP_CERT=$mounted")
fi

log "building $IMAGE on $BASE_IMAGE"
buildah build --isolation chroot --network host --layers --quiet "${trust[@]}" \
    --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    --tag "$IMAGE" --file Dockerfile . >&2
log "built $IMAGE ($(buildah images --format '{{.Size}}' "$IMAGE") uncompressed)"
echo "$IMAGE"

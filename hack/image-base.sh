#!/usr/bin/env bash
# Build a stand-in for the Dockerfile's public base image from Debian packages, import it into
# buildah's storage and print its name. Used by hack/build-image.sh where the public base image
# (Docker Hub) cannot be pulled, so the same Dockerfile is built and run on every machine.
#
# What it is: Debian 12 (bookworm) minbase with Debian's Python 3.11, pip and CA certificates;
# no recommended packages (so no compiler), no documentation, no apt lists, a merged /usr made by
# mmdebstrap's hook (not the usrmerge package, which would pull in perl). Like the official
# python:*-slim images, it has apt, dpkg and pip: the Dockerfile's builder uses pip to install uv
# and its runtime stage removes the package managers, whatever the base.
# PEP 668's EXTERNALLY-MANAGED marker is removed: the official image's Python is not a distro
# Python either, and the builder's `pip install uv` must work on both.
#
# Cached: the root filesystem tarball in $CACHE/image-base/ and the image in buildah's storage,
# both named after a hash of this recipe (this file), so it is rebuilt only when it changes.
# Needs root, mmdebstrap and buildah (installed with apt-get when missing).
set -euo pipefail

CACHE=${CACHE:-$HOME/.cache/pagerduty-operator}
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=python3,python3-pip,ca-certificates
recipe_hash=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)
NAME=localhost/pagerduty-operator-base:$SUITE-$recipe_hash
TARBALL=$CACHE/image-base/$SUITE-$recipe_hash.tar

log() { echo "image-base: $*" >&2; }

if buildah inspect --type image "$NAME" >/dev/null 2>&1; then
    echo "$NAME"
    exit 0
fi
# One build at a time (two `make image` at once would write the same tarball).
mkdir -p "$(dirname "$TARBALL")"
exec 9>"$(dirname "$TARBALL")/.lock"
flock 9
if buildah inspect --type image "$NAME" >/dev/null 2>&1; then
    echo "$NAME"
    exit 0
fi

if [[ ! -s $TARBALL ]]; then
    command -v mmdebstrap >/dev/null || {
        log "installing mmdebstrap (apt-get)"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >&2
    }
    log "building $SUITE + $PACKAGES with mmdebstrap (a few minutes) ..."
    mmdebstrap --variant=minbase --mode=root --format=tar --quiet \
        --include="$PACKAGES" \
        --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
        --aptopt='APT::Install-Recommends "false"' \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/info/*' \
        --customize-hook='rm -f "$1"/usr/lib/python3.11/EXTERNALLY-MANAGED' \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*' \
        --customize-hook='ln -sf python3 "$1"/usr/bin/python' \
        "$SUITE" "$TARBALL.partial" "$MIRROR" >&2
    mv "$TARBALL.partial" "$TARBALL"
    # Earlier recipes' tarballs (about 150 MB each) are not needed any more.
    find "$(dirname "$TARBALL")" -name "$SUITE-*.tar" ! -name "$(basename "$TARBALL")" -delete
fi

log "importing $TARBALL as $NAME"
container=$(buildah from --quiet scratch)
trap 'buildah rm "$container" >/dev/null 2>&1 || true' EXIT
root=$(buildah mount "$container")
tar --extract --numeric-owner --xattrs --xattrs-include='*' -f "$TARBALL" -C "$root"
buildah umount "$container" >/dev/null
# The environment python:*-slim images set, minus their Python build variables.
buildah config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 \
    --cmd python3 \
    --label org.opencontainers.image.description="Debian $SUITE + Python 3.11 (pagerduty-operator base stand-in)" \
    "$container"
buildah commit --quiet --rm "$container" "$NAME" >/dev/null
trap - EXIT
echo "$NAME"

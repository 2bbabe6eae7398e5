# syntax=docker/dockerfile:1
# The pagerduty-operator image: `pagerduty-operator run` as a non-root user on a pinned slim
# Python base, with exactly the runtime dependencies of uv.lock (hashes checked by uv). Only the
# operator: the workspace's simulator and dev control plane (dev dependencies) are not installed.
#   make image        (buildah; docs/install.md "The image")
#   docker build -t registry.example.com/platform/pagerduty-operator:0.1.0 .
# tests/unit/test_dockerfile.py parses this file and replays the builder stage;
# tests/image/ builds it with `make image` and runs the operator from the image's filesystem.

# The base of every stage: Python 3.11 with pip. `make image` passes a Debian 12 stand-in built
# from Debian packages (hack/image-base.sh) where this public image cannot be pulled.
ARG BASE_IMAGE=python:3.11.14-slim-trixie

FROM ${BASE_IMAGE} AS builder
# Behind a TLS-intercepting proxy: the CA bundle pip and uv trust while they download (a build
# argument, so it is not in the image; `make image` passes the host's SSL_CERT_FILE).
ARG SSL_CERT_FILE
ARG PIP_CERT
# The uv release the repository pins (Makefile UV_VERSION); used only in this stage.
RUN pip install --no-cache-dir --disable-pip-version-check "uv==0.13.9"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/pagerduty-operator
WORKDIR /src
# Dependencies first (a layer that survives source changes), from the lock file only. The
# workspace members' pyproject.toml files let uv read the workspace; their sources stay out.
COPY pyproject.toml uv.lock README.md ./
COPY simulator/pyproject.toml ./simulator/
COPY devenv/pyproject.toml ./devenv/
RUN uv sync --frozen --no-dev --package pagerduty-operator --no-install-project
# Then the operator itself, installed as a wheel (not editable), with the CRDs it ships.
COPY operator ./operator
COPY crds ./crds
RUN uv sync --frozen --no-dev --package pagerduty-operator --no-editable
RUN /opt/pagerduty-operator/bin/pagerduty-operator version

# The same base without its package managers (apt, dpkg, pip and ensurepip's bundled pip), as in
# distroless images: nothing can be installed into a running container. dpkg's database stays,
# so that image scanners still see which Debian packages (and versions) the image holds. The
# user the image runs as gets a name, as distroless' `nonroot`.
FROM ${BASE_IMAGE} AS runtime
RUN set -eu; \
    debs=$(dpkg-query --show --showformat='${db:Status-Status}:${Package}\n' apt 'libapt-pkg*' \
        python3-pip python3-pip-whl python3-setuptools python3-setuptools-whl python3-wheel \
        2>/dev/null | sed -n 's/^installed://p'); \
    if [ -n "$debs" ]; then dpkg --purge --force-remove-essential --force-remove-protected --force-depends $debs; fi; \
    python3 -m pip uninstall --yes --quiet pip setuptools wheel 2>/dev/null || true; \
    rm -rf /usr/lib/python3*/ensurepip /usr/local/lib/python3*/ensurepip; \
    while read -r path; do if [ ! -d "$path" ]; then rm -f "$path"; fi; done \
        < /var/lib/dpkg/info/dpkg.list; \
    rm -rf /etc/apt /var/lib/apt /var/cache/apt /var/cache/debconf/*-old /root/.cache; \
    echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >> /etc/passwd; \
    echo 'nonroot:x:65532:' >> /etc/group; \
    mkdir -m 0700 /home/nonroot; chown 65532:65532 /home/nonroot

# The pruned base's files, copied whole (deleted files are gone, not hidden under a later layer),
# then the operator's virtual environment, whose interpreter link points at the base's Python.
FROM scratch
COPY --from=runtime / /
COPY --from=builder /opt/pagerduty-operator /opt/pagerduty-operator
ENV PATH=/opt/pagerduty-operator/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# A numeric non-root user (the chart's runAsUser): Kubernetes can check runAsNonRoot with it.
USER 65532:65532
# Metrics (/metrics) and health (/healthz), the chart's default ports.
EXPOSE 8080 8081
ENTRYPOINT ["pagerduty-operator", "run"]

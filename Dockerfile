# syntax=docker/dockerfile:1
# The pagerduty-operator image: `pagerduty-operator run` as a non-root user on a pinned slim
# Python base, with exactly the runtime dependencies of uv.lock (hashes checked by uv). Only the
# operator: the workspace's simulator and dev control plane (dev dependencies) are not installed.
#   docker build -t registry.example.com/platform/pagerduty-operator:0.1.0 .
# tests/unit/test_dockerfile.py parses this file and replays the builder stage in a fresh venv.

FROM python:3.11.14-slim-trixie AS builder
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

FROM python:3.11.14-slim-trixie
COPY --from=builder /opt/pagerduty-operator /opt/pagerduty-operator
ENV PATH=/opt/pagerduty-operator/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# A numeric non-root user (the chart's runAsUser): Kubernetes can check runAsNonRoot with it.
USER 65532:65532
# Metrics (/metrics) and health (/healthz), the chart's default ports.
EXPOSE 8080 8081
ENTRYPOINT ["pagerduty-operator", "run"]

# pagerduty-operator developer entry points. `make test` and `make demo` work on a fresh machine:
# they install uv, the locked Python dependencies and the control-plane binaries when missing.
SHELL := /bin/bash
UV_VERSION := 0.13.9
CACHE ?= $(HOME)/.cache/pagerduty-operator
TOOLS := $(CACHE)/tools
UV := $(TOOLS)/bin/uv
PY := .venv/bin/python
PYTEST_ARGS ?=
# `make test` runs the suite in TEST_WORKERS processes, each with its own control plane; a test
# file stays on one worker (its module fixtures are shared). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
TEST_PARALLEL := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)
ARGS ?=
# `make image`: the Dockerfile built with buildah (hack/build-image.sh); IMAGE names the result.
IMAGE ?=

.PHONY: venv binaries lint typecheck test unit demo clean bench image

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

venv: $(UV)
	$(UV) sync --frozen --quiet

binaries:
	@bash hack/build-binaries.sh >/dev/null

lint: venv
	.venv/bin/ruff check operator simulator devenv tests hack bench
	.venv/bin/ruff format --check operator simulator devenv tests hack bench
	.venv/bin/lint-imports --no-cache

typecheck: venv
	.venv/bin/mypy

test: venv binaries lint typecheck
	PDO_BIN_DIR=$$(bash hack/build-binaries.sh) $(PY) -m pytest $(TEST_PARALLEL) $(PYTEST_ARGS)

unit: venv
	$(PY) -m pytest -m "not e2e" $(PYTEST_ARGS)

demo: venv binaries
	PDO_BIN_DIR=$$(bash hack/build-binaries.sh) $(PY) hack/demo.py $(ARGS)

image:
	@IMAGE=$(IMAGE) bash hack/build-image.sh

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache

bench: venv binaries
	PDO_BIN_DIR=$$(bash hack/build-binaries.sh) $(PY) bench/run.py $(ARGS)

# Two entry points: `make up` (run everything) and `make test` (run all tests). For the inner loop:
# `make test-fast` (the suite without the tests marked slow) and `make lint`.
# Installs come from the lock files, so every machine gets the versions CI tested; `make lock`
# regenerates them after a change to pyproject.toml's dependencies.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install -q --disable-pip-version-check
UV_VERSION := 0.13.9
# Hashes of every file of each pinned release; resolved for CPython 3.11 on this kind of machine.
COMPILE := $(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes --python-version 3.11 \
	--custom-compile-command "make lock"

.PHONY: up test test-fast lint lint-ci lock install install-dev bench clean-venv

up: $(VENV)/.installed
	$(BIN)/salesops up

# The suite runs on every core (pytest-xdist): each worker starts its own PostgreSQL cluster and
# takes whole test files (--dist loadfile keeps a file's module fixtures in one worker).
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
XDIST := -n $(TEST_WORKERS) --dist loadfile

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q $(XDIST) $(PYTEST_ARGS)

# Markers: salesops_pipeline_tests/conftest.py (SLOW_PATHS) says which tests are slow.
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q $(XDIST) -m "not slow" $(PYTEST_ARGS)

# All three checks (CI runs them); lint-ci: the two fast ones.
lint: lint-ci
	$(BIN)/mypy

lint-ci: $(VENV)/.installed-dev
	$(BIN)/ruff check
	$(BIN)/lint-imports

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# --no-deps: the lock is the whole set (pip in hash mode refuses a dependency's extra such as
# gql[requests] even when gql is pinned); pip check then proves the set complete.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --no-deps --require-hashes -r requirements.lock
	$(PIP) --no-deps -e .
	$(BIN)/python -m pip check
	touch $@

# The test and dev extras on top of the runtime (requirements-dev.lock holds all three).
$(VENV)/.installed-dev: pyproject.toml requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --no-deps --require-hashes -r requirements-dev.lock
	$(PIP) --no-deps -e .
	$(BIN)/python -m pip check
	touch $(VENV)/.installed $@

# The dev lock first (what CI tests), then the runtime lock held to the same versions. Existing
# pins are kept; LOCK_ARGS=--upgrade (or --upgrade-package NAME) moves them.
lock: $(BIN)/uv
	$(COMPILE) --extra test --extra dev $(LOCK_ARGS) -o requirements-dev.lock
	$(COMPILE) -c requirements-dev.lock $(LOCK_ARGS) -o requirements.lock

$(BIN)/uv:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) uv==$(UV_VERSION)

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/ingest.py

clean-venv:
	rm -rf $(VENV)

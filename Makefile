# Two entry points: `make up` (run everything) and `make test` (run all tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: up test install bench clean-venv

up: $(VENV)/.installed
	$(BIN)/salesops up

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[test]"
	touch $(VENV)/.installed $@

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/ingest.py

clean-venv:
	rm -rf $(VENV)

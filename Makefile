# Almanac's one task runner. `make help` lists the targets.
# The README's quick start is `make run` and `make test`; both install what they need.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WEB_SOURCES := $(shell find web -path web/node_modules -prune -o -type f -print 2>/dev/null)
PY_DEPS := pyproject.toml constraints.txt

.DEFAULT_GOAL := help
.PHONY: help run test lint typecheck unit bench binary web clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

$(BIN)/almanac: $(PY_DEPS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/almanac
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

appliance/static/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build

web: appliance/static/index.html ## build the dashboard and tracker into appliance/static (when stale)

run: $(BIN)/almanac web ## install what is missing, build the web assets, serve on http://127.0.0.1:8000
	$(BIN)/almanac serve

lint: $(VENV)/.test-deps ## ruff and mypy
	$(BIN)/ruff check appliance tests
	$(BIN)/ruff format --check appliance tests
	$(BIN)/mypy

test: $(VENV)/.test-deps web ## the whole test suite: lint, types, unit, HTTP, process and browser tests
	scripts/ensure-chromium
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest

unit: $(VENV)/.test-deps web ## only the tests, no lint
	$(BIN)/python -m pytest

bench: $(VENV)/.test-deps web ## benchmarks under tests/bench (not part of the test suite)
	$(BIN)/python -m tests.bench

clean: ## remove the virtual environment and build output
	rm -rf $(VENV) appliance/static web/node_modules build dist

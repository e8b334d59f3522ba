# Almanac's one task runner. `make help` lists the targets.
# The README's quick start is `make run` and `make test`; both install what they need.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WEB_SOURCES := $(shell find web \( -path web/node_modules -o -path web/build \) -prune -o -type f -print 2>/dev/null)
PY_DEPS := pyproject.toml constraints.txt

.DEFAULT_GOAL := help
.PHONY: help run test lint typecheck unit bench bench-ingest binary smoke web clean

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

$(VENV)/.bench-deps: $(VENV)/.test-deps
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]'
	touch $@

$(VENV)/.binary-deps: $(BIN)/almanac
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[binary]'
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
	$(MAKE) --no-print-directory smoke

unit: $(VENV)/.test-deps web ## only the tests, no lint
	$(BIN)/python -m pytest

bench: $(VENV)/.bench-deps web ## benchmarks under tests/bench (not part of the test suite; BENCH_ARGS="--duration 20")
	$(BIN)/python -m tests.bench $(BENCH_ARGS)

bench-ingest: $(VENV)/.test-deps web ## the ingest benchmark alone: almanac serve vs bare granian under wrk (docs/BENCHMARKS.md)
	$(BIN)/python -m tests.bench ingest $(BENCH_ARGS)

BINARY_BUDGET_MB := 90

binary: $(VENV)/.binary-deps web ## the single executable dist/almanac (PyInstaller, packaging/almanac.spec)
	@start=$$(date +%s); \
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/almanac.spec || exit 1; \
	size=$$(stat -c %s dist/almanac); \
	echo "dist/almanac: $$(awk "BEGIN { printf \"%.1f\", $$size / 1048576 }") MB ($$size bytes, budget $(BINARY_BUDGET_MB) MB), built in $$(( $$(date +%s) - start )) s"; \
	test $$size -le $$(( $(BINARY_BUDGET_MB) * 1048576 )) || { echo "dist/almanac is over its size budget"; exit 1; }

smoke: binary $(VENV)/.test-deps ## build the binary and smoke-test it: env -i, fresh data dir, budgets (tests/binary)
	$(BIN)/python -m pytest tests/binary -p no:cacheprovider

clean: ## remove the virtual environment and build output
	rm -rf $(VENV) appliance/static web/node_modules build dist

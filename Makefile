# Entry points that work on a fresh machine: `make demo`, `make test` and `make docs`.
# Each creates .venv on first use and installs what it needs from pyproject.toml.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= demo-out

.PHONY: demo test lint types pytest docs docs-build bench clean example browser chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo-installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[cli]'
	touch $@

$(VENV)/.dev-installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.demo-installed

demo: $(VENV)/.demo-installed
	$(BIN)/brondata demo --out $(OUT) --purpose mortgage

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests bench examples docs/_hooks
	$(BIN)/ruff format --check src tests bench examples docs/_hooks

types: $(VENV)/.dev-installed
	$(BIN)/mypy

pytest: $(VENV)/.dev-installed browser
	$(BIN)/python -m pytest

# The browser tests (tests/browser) drive Debian's Chromium with Playwright, which cannot
# download a browser of its own here, and inject axe-core from npm into each page.
browser: chromium node_modules/axe-core/axe.min.js

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "chromium is missing: run 'apt-get install chromium' as root" >&2; fi; }

node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The mortgage example against the mock sources on 127.0.0.1; prints its URL.
example: $(VENV)/.dev-installed
	cd examples && ../$(BIN)/python -m mortgage_app


# The documentation site: `make docs` serves it with live reload; `make docs-build` builds it
# into site/ and fails on any warning (a broken link, a missing docstring target).
docs: $(VENV)/.dev-installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

docs-build: $(VENV)/.dev-installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

test: lint types docs-build pytest

$(VENV)/.bench-installed: $(VENV)/.dev-installed
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

# bench-out/report.json, report.md (for the README) and the plots, every point in a budget of
# ten minutes (docs/benchmarks.md); BRONDATA_BENCH_FULL=1 adds the 1M-entry ledger.
# PostgreSQL figures need BRONDATA_TEST_DSN (else: skipped, said so).
bench: $(VENV)/.bench-installed
	$(BIN)/python -m bench bench-out

clean:
	rm -rf $(VENV) $(OUT) site bench-out node_modules test-artifacts .mypy_cache .pytest_cache .ruff_cache .hypothesis

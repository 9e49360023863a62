# Roost: `make demo` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONSTRAINTS := requirements/constraints.txt

.PHONY: demo test lint peers axe test-sqlite test-postgres test-databases test-browser bench clean \
	classify-train classify-docs crisis-detection-docs

$(VENV): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(VENV)

demo: $(VENV)
	$(BIN)/roost demo

lint: $(VENV)
	$(BIN)/ruff format --check roost bench
	$(BIN)/ruff check roost bench
	$(BIN)/mypy roost
	$(BIN)/lint-imports --no-cache

# The whole suite: lint, SQLite, PostgreSQL (when ROOST_TEST_POSTGRES_URL names one),
# then the browser flows in Chromium. Under CI=true nothing may be left out.
test: $(VENV) lint peers test-databases test-browser

# The SQLite and PostgreSQL suites side by side when both run (one core each), each
# with its own var directory; their reports follow one another when both are done.
test-databases: $(VENV)
	@if [ -n "$$ROOST_TEST_POSTGRES_URL" ]; then \
		mkdir -p var/test-reports; \
		echo "SQLite and PostgreSQL suites running side by side (reports below when both end)"; \
		ROOST_VAR_DIR=$(CURDIR)/var/test-sqlite $(MAKE) --no-print-directory test-sqlite \
			> var/test-reports/sqlite.txt 2>&1 & sqlite=$$!; \
		ROOST_VAR_DIR=$(CURDIR)/var/test-postgres $(MAKE) --no-print-directory test-postgres \
			> var/test-reports/postgres.txt 2>&1 & postgres=$$!; \
		wait $$sqlite; sqlite_rc=$$?; wait $$postgres; postgres_rc=$$?; \
		echo "== SQLite suite"; cat var/test-reports/sqlite.txt; \
		echo "== PostgreSQL suite"; cat var/test-reports/postgres.txt; \
		[ $$sqlite_rc -eq 0 ] && [ $$postgres_rc -eq 0 ]; \
	else \
		$(MAKE) --no-print-directory test-sqlite test-postgres; \
	fi

# Real protocol peers the tests talk to on loopback (a local Bluesky network).
peers:
	@if command -v npm >/dev/null; then \
		bash peers/bluesky/install.sh; \
	elif [ "$$CI" = "true" ]; then \
		echo "CI: npm is needed to install the local Bluesky network" >&2; exit 1; \
	else \
		echo "Bluesky peer tests not run: npm is missing (apt-get install npm)"; \
	fi

test-sqlite: $(VENV)
	$(BIN)/pytest -m "not browser"

test-postgres: $(VENV)
	@if [ -n "$$ROOST_TEST_POSTGRES_URL" ]; then \
		DATABASE_URL="$$ROOST_TEST_POSTGRES_URL" $(BIN)/pytest -m "not browser"; \
	elif [ "$$CI" = "true" ]; then \
		echo "CI: ROOST_TEST_POSTGRES_URL is not set; the PostgreSQL suite is required" >&2; exit 1; \
	else \
		echo "PostgreSQL suite not run: set ROOST_TEST_POSTGRES_URL=postgres://user:pass@host/db to run it"; \
	fi

# axe-core, the accessibility checker the browser tests run in every page (from npm).
AXE := var/axe/node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE):
	@if command -v npm >/dev/null; then \
		npm install --prefix var/axe --no-save --no-package-lock --no-audit --no-fund --loglevel=error axe-core@4; \
	elif [ "$$CI" = "true" ]; then \
		echo "CI: npm is needed to install axe-core for the accessibility tests" >&2; exit 1; \
	else \
		echo "Accessibility tests not run: npm is missing (apt-get install npm)"; \
	fi

test-browser: $(VENV) axe
	$(BIN)/pytest -m browser

bench: $(VENV)
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit $$?; done

# The message classifier's model, from the public sets cloned under CLASSIFY_DATA
# (roost/inbox/classify/training/SOURCES.md lists them), and its measured results in
# docs/classification.md.
CLASSIFY_DATA ?= var/classify-data
classify-train: $(VENV)
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e '.[dev,train]'
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python -m roost.inbox.classify.training.train --data $(CLASSIFY_DATA)

classify-docs: $(VENV)
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e '.[dev,train]'
	$(BIN)/python -m roost.inbox.classify.training.evaluate --data $(CLASSIFY_DATA) --write-docs

# docs/crisis-detection.md: the detector on the synthetic scenarios.
crisis-detection-docs: $(VENV)
	$(BIN)/roost listen evaluate --write docs/crisis-detection.md

clean:
	rm -rf $(VENV) var

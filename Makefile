# Roost: `make demo` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONSTRAINTS := requirements/constraints.txt

.PHONY: demo test lint typecheck test-sqlite test-postgres test-browser bench clean

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

# The whole suite: lint, SQLite, PostgreSQL (when ROOST_TEST_POSTGRES_URL names one),
# then the browser flows in Chromium. Under CI=true nothing may be left out.
test: $(VENV) lint test-sqlite test-postgres test-browser

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

test-browser: $(VENV)
	$(BIN)/pytest -m browser

bench: $(VENV)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit $$?; done

clean:
	rm -rf $(VENV) var

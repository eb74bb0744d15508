# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint install system-deps bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh

run: install
	$(BIN)/procure demo-setup
	$(BIN)/streamlit run app.py

test: install system-deps lint
	PROCURE_TEST_POSTGRES_URL="$${PROCURE_TEST_POSTGRES_URL:-$$(bash scripts/start-postgres.sh)}" $(BIN)/python -m pytest

# The unit tier alone (no database, no browser, no whole-corpus reading): well under a minute.
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not browser and not db"

# Lint, layering and types: ruff's rules and import-linter's contracts (pyproject.toml), mypy on the packages
# listed in mypy.ini (model, vocabulary, text, law, extract, advice, access, follow-up model so far; add one once it passes).
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/bench_ingest.py

clean:
	rm -rf $(VENV) build *.egg-info

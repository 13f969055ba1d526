# The two commands a newcomer types:  `make run`  and  `make test`.
# Each sets up .venv on its own (once; again when pyproject.toml changes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config/optimizer/tBTCUSD_1h_optuna_smoke_loose.yaml

.PHONY: run test lint bench docs setup clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	@echo "installing genesis and its dev tools (pytest, ruff, mypy, TA-Lib, freqtrade …) into $(VENV)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-run

setup: $(VENV)/.installed-dev

run: $(VENV)/.installed-run
	$(BIN)/genesis optimize $(CONFIG)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy src/genesis
	$(BIN)/lint-imports

test: lint
	@echo "make test: the report test draws report.html in headless Chromium; when chromium is"
	@echo "  missing it installs Debian's package with apt-get (needs root). PostgreSQL tests run"
	@echo "  only with GENESIS_TEST_POSTGRES_URL set (e.g. postgresql://postgres@127.0.0.1:5432/test)."
	$(BIN)/python -m pytest -n 2 -q

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/runner.py
	$(BIN)/python bench/journal.py
	$(BIN)/python bench/duplicates.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/loop.py
	$(BIN)/python bench/metrics.py
	$(BIN)/python bench/overfit.py

docs: $(VENV)/.installed-dev
	$(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache site

# Two commands on a fresh machine with Python 3.11+ and make:
#   make release   set up .venv, build the embedded warehouse if missing, build the default release
#   make test      set up .venv and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     := data/leasing.duckdb
TABLE  := data/modeling_table.parquet

.PHONY: release test lint bench clean-data

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "riskresearch needs Python 3.11 or newer; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

release: $(STAMP)
	$(BIN)/riskresearch data build --if-missing --out $(DB) --table $(TABLE)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_data_build.py

clean-data:
	rm -f $(DB) $(TABLE)

# Two commands on a fresh machine with Python 3.11+ and make:
#   make release   set up .venv, build the embedded warehouse if missing, build the default
#                  releases (consumer and enterprise)
#   make test      set up .venv and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     := data/leasing.duckdb
TABLE  := data/modeling_table.parquet

.PHONY: release test lab notebooks lint bench clean-data

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "riskresearch needs Python 3.11 or newer; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml Makefile | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# the kernel the notebooks name; papermill, nbval and JupyterLab all use it
	$(BIN)/python -m ipykernel install --sys-prefix --name riskresearch --display-name "Python (riskresearch)"
	@touch $@

release: $(STAMP)
	$(BIN)/riskresearch data build --if-missing --out $(DB) --table $(TABLE)
	$(BIN)/riskresearch release scorecards/consumer.yaml --version dev
	$(BIN)/riskresearch release scorecards/enterprise.yaml --version dev

test: $(STAMP)
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest --nbval-lax -p no:cacheprovider notebooks/

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

# re-run the notebooks and keep only the outputs of '# NBVAL_CHECK_OUTPUT' cells (then commit)
notebooks: $(STAMP)
	$(BIN)/python -c 'from riskresearch.release import refresh_checked_outputs as r; r()'

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks notebooks
	$(BIN)/ruff format --check src tests benchmarks notebooks

# the performance suite: one table (README, "Performance"); BENCH_ARGS=--quick for a small run
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean-data:
	rm -f $(DB) $(TABLE)

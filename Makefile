# dlclaims — the two commands of the README:
#   make lab    create .venv, install, run the quick profile, print the verdicts and write the report
#   make test   create .venv, install with test extras (and Debian's chromium for the browser test), run pytest
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PROFILE ?= quick

.PHONY: lab test venv chromium bench stress clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first, pinned: the CPU wheel on disk; the package's torch>=2.3 is then already met.
$(VENV)/.installed-lab: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed-lab

venv: $(VENV)/.installed-lab

lab: $(VENV)/.installed-lab
	$(BIN)/dlclaims run --profile $(PROFILE)
	$(BIN)/dlclaims report

chromium:
	@bash scripts/install-chromium.sh

test: $(VENV)/.installed-dev chromium
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-dev
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

stress: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/stress_kill.py

clean:
	rm -rf $(VENV) dlclaims-results test-artifacts

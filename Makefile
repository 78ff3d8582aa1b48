# The two commands (see README.md):
#   make run    train on The Time Machine and compare random vs sequential partitioning
#   make test   run the test suite
# Each builds .venv on first use (and again when setup.cfg changes).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
D2L_ORACLE := d2l==0.9.2
SHARED_DATA := $(abspath ../shared/data)
export GLUON_RNN_DATA ?= $(if $(wildcard $(SHARED_DATA)),$(SHARED_DATA),)
export MPLBACKEND := Agg
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-slow venv bench figures clean

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=23" "setuptools>=61" wheel
	$(BIN)/python -m pip install -q -e ".[test]"
	# The real d2l 0.9.2 is the differential-test oracle; --no-deps keeps numpy pinned.
	$(BIN)/python -m pip install -q --no-deps "$(D2L_ORACLE)"
	# The other generations' helpers, each in its own folder (both are `d2l`-like modules;
	# d2l 0.8.7 cannot share site-packages with 0.9.2): oracles of the differential tests.
	$(BIN)/python -m pip install -q --no-deps --target $(VENV)/oracles/d2lzh-1.0.0 d2lzh==1.0.0
	$(BIN)/python -m pip install -q --no-deps --target $(VENV)/oracles/d2l-0.8.7 d2l==0.8.7
	$(BIN)/python -c "import numpy, mxnet; v = tuple(map(int, numpy.__version__.split('.')[:2])); assert v < (1, 24), numpy.__version__"
	touch $(STAMP)
	@echo "Installed. Use the command as .venv/bin/gluon-rnn, or after: source .venv/bin/activate"
	@echo "Data: make sets GLUON_RNN_DATA=$(GLUON_RNN_DATA); elsewhere export it, or fetch files with gluon-rnn data --fetch NAME"

run: $(STAMP)
	$(BIN)/gluon-rnn compare $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# the tests marked slow (the numeric table's boundary spellings, long-running values)
test-slow: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS) -m slow

# bench/pytensor_rnnlm.py (the Theano model's peer) runs in its own environment: pytensor
# and MXNet each pin their own packages.
PYTENSOR_VENV := .venv-pytensor
PYTENSOR_STAMP := $(PYTENSOR_VENV)/.installed

$(PYTENSOR_STAMP):
	$(PYTHON) -m venv $(PYTENSOR_VENV)
	$(PYTENSOR_VENV)/bin/python -m pip install -q "pytensor==2.12.3" "numpy==1.23.5" "scipy>=1.9,<1.12"
	touch $(PYTENSOR_STAMP)

# README's main-job figures and docs/compare.png, regenerated from a run (tests/test_readme.py
# checks README against the same run).
figures: $(STAMP)
	$(BIN)/python docs/figures.py

bench: $(STAMP) $(PYTENSOR_STAMP)
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(PYTENSOR_VENV) runs .pytest_cache

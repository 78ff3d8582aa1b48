# The two commands (see README.md):
#   make run    train on The Time Machine and compare random vs sequential partitioning
#   make test   run the test suite
# Each builds .venv on first use, and again when setup.cfg changes or when PYTHON is not
# the interpreter .venv was built with.
#
# PYTHON: the newest supported interpreter found (python3.13 ... python3.9, then python3),
# or the one you name: make test PYTHON=python3.12. tools/check_python.py says in one line
# why an interpreter cannot be used (the versions come from setup.cfg's python_requires).

SUPPORTED_PYTHONS := 3.13 3.12 3.11 3.10 3.9
VENV ?= .venv
# Without PYTHON, a .venv that works is used as it is, with the interpreter it was built
# with (a plain `make jupyter` after `make run PYTHON=.../python3.13` must not rebuild it
# with whatever python3.X is first on PATH); only an explicit other PYTHON rebuilds it.
ifeq ($(origin PYTHON),undefined)
BUILT_WITH := $(word 2,$(shell cat $(VENV)/.python 2>/dev/null))
PYTHON := $(strip $(if $(and $(BUILT_WITH),$(wildcard $(VENV)/.installed),$(shell $(BUILT_WITH) \
	tools/check_python.py --quiet >/dev/null 2>&1 && echo yes)),$(BUILT_WITH),\
	$(firstword $(foreach p,$(SUPPORTED_PYTHONS:%=python%) python3,\
	$(shell $(p) tools/check_python.py --quiet >/dev/null 2>&1 && echo $(p))))))
endif
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTHON_ID := $(VENV)/.python
ORACLES := $(VENV)/oracles
SHARED_DATA := $(abspath ../shared/data)
export GLUON_RNN_DATA ?= $(if $(wildcard $(SHARED_DATA)),$(SHARED_DATA),)
export MPLBACKEND := Agg
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-slow test-jupyter lint venv bench figures figures-check jupyter clean data-note FORCE

venv: $(STAMP)

# Which interpreter .venv holds ("3.12 /path/to/python3.12"); .venv is rebuilt from
# scratch when another one is chosen, so a failed try with one needs no `make clean`.
$(PYTHON_ID): FORCE
	@if [ -z "$(PYTHON)" ]; then \
	  echo "no supported Python found (tried $(SUPPORTED_PYTHONS:%=python%) and python3): gluon-rnn needs Python $(lastword $(SUPPORTED_PYTHONS)) to $(firstword $(SUPPORTED_PYTHONS)); install one and pass it as PYTHON=python3.12"; \
	  exit 1; fi
	@id="$$($(PYTHON) tools/check_python.py 2>&1)"; status=$$?; \
	if [ $$status -ne 0 ]; then \
	  case "$$id" in \
	    "gluon-rnn needs"*|"MXNet 1.9.1"*) echo "$$id" ;; \
	    *) echo "PYTHON=$(PYTHON) does not run here ($$(echo "$$id" | head -n 1)); pass an interpreter of Python $(lastword $(SUPPORTED_PYTHONS)) to $(firstword $(SUPPORTED_PYTHONS)), e.g. PYTHON=python3.12" ;; \
	  esac; exit 1; fi; \
	if [ "$$(cat $@ 2>/dev/null)" != "$$id" ]; then \
	  if [ -e $(VENV) ]; then \
	    echo "$(VENV) was built with $$(cat $@ 2>/dev/null || echo another interpreter, or its build failed); rebuilding it with Python $$id"; \
	    rm -rf $(VENV); fi; \
	  mkdir -p $(VENV) && echo "$$id" > $@; fi

# What `make run` needs: the package and its dependencies, MXNet beside the numpy pinned
# for this Python (setup.cfg; numpy 2.1 on 3.13, a wheel: tools/install.py says why),
# which nothing may change afterwards.
$(STAMP): setup.cfg pyproject.toml Makefile tools/install.py $(PYTHON_ID)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=23" "setuptools>=61" wheel packaging
	$(BIN)/python tools/install.py
	touch $(STAMP)
	@echo "Installed with Python $$(cat $(PYTHON_ID)). Use the command as $(BIN)/gluon-rnn, or after: source $(BIN)/activate"
	@$(MAKE) --no-print-directory data-note

# What `make test` needs besides: the test dependencies, and the published helpers as the
# differential tests' oracles, each in a folder of its own (--no-deps keeps numpy pinned),
# never in site-packages, where a Jupyter kernel of this environment would import the real
# d2l. The 2020+ books' helpers (0.17.6: d2l-en 0.15-0.17, d2l-zh 2.0.0; 1.0.3: d2l-en 1.0)
# import pandas, a test dependency.
TEST_STAMP := $(VENV)/.test-installed
$(TEST_STAMP): $(STAMP)
	$(BIN)/python tools/install.py test
	$(BIN)/python -m pip uninstall -q -y d2l >/dev/null 2>&1 || true
	$(BIN)/python -m pip install -q --no-deps --target $(ORACLES)/d2l-0.9.2 d2l==0.9.2
	$(BIN)/python -m pip install -q --no-deps --target $(ORACLES)/d2lzh-1.0.0 d2lzh==1.0.0
	$(BIN)/python -m pip install -q --no-deps --target $(ORACLES)/d2l-0.8.7 d2l==0.8.7
	$(BIN)/python -m pip install -q --no-deps --target $(ORACLES)/d2l-0.17.6 d2l==0.17.6
	$(BIN)/python -m pip install -q --no-deps --target $(ORACLES)/d2l-1.0.3 d2l==1.0.3
	$(BIN)/python -m pip install -q --no-deps --target $(ORACLES)/d2l-0.11.1 d2l==0.11.1
	$(BIN)/python -m pip install -q --no-deps --target $(ORACLES)/d2l-0.12.0 d2l==0.12.0
	$(BIN)/python -m pip install -q --no-deps --target $(ORACLES)/gluonbook-0.7.1 gluonbook==0.7.1
	$(BIN)/python tools/install.py --check
	touch $(TEST_STAMP)

# Where the data files come from, said in words (an empty GLUON_RNN_DATA= says nothing)
data-note:
ifneq ($(GLUON_RNN_DATA),)
	@echo "Data: make sets GLUON_RNN_DATA=$(GLUON_RNN_DATA); outside make export it, or fetch files with gluon-rnn data --fetch NAME"
else
	@echo "Data: $(SHARED_DATA) is not there and GLUON_RNN_DATA is not set: the data files are looked for in ./data, ../data and the cache, and downloaded when online (tests that read a missing file are skipped, naming it); to use a folder of yours: make ... GLUON_RNN_DATA=/path/to/folder"
endif

run: $(STAMP)
	$(BIN)/gluon-rnn compare $(ARGS)

test: $(TEST_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff (pyproject.toml: E, F, W, B, I, RUF100) over everything, mypy over the whole package
LINT_STAMP := $(VENV)/.lint-installed
$(LINT_STAMP): $(TEST_STAMP)
	$(BIN)/python tools/install.py lint
	touch $(LINT_STAMP)

lint: $(LINT_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# the tests marked slow (the numeric table's boundary spellings, long-running values)
test-slow: $(TEST_STAMP)
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

# README's figures against a fresh main job (about a minute), without writing anything
figures-check: $(TEST_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS) -m slow tests/test_readme.py

# JupyterLab in .venv and the kernel where every Jupyter of yours looks (README: Jupyter);
# .venv's JupyterLab starts it for a notebook that names no kernel, without asking
jupyter: $(STAMP)
	$(BIN)/python tools/install.py jupyter
	$(BIN)/gluon-rnn kernel install --default $(if $(GLUON_RNN_DATA),--data "$(GLUON_RNN_DATA)",)
	$(if $(GLUON_RNN_DATA),$(BIN)/gluon-rnn data --use "$(firstword $(subst :, ,$(GLUON_RNN_DATA)))",)
	@echo "Start JupyterLab with: $(BIN)/jupyter lab examples/rnn-concise.ipynb"

# A real JupyterLab in headless Chromium (tests/test_jupyterlab.py): the system's Chromium
# (apt-get install chromium), JupyterLab and Playwright's Python driver in .venv
test-jupyter: $(TEST_STAMP)
	$(BIN)/python tools/install.py jupyter browser
	$(BIN)/python -m pytest $(PYTEST_ARGS) -m browser tests/test_jupyterlab.py

bench: $(TEST_STAMP) $(PYTENSOR_STAMP)
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(PYTENSOR_VENV) runs .pytest_cache

FORCE:

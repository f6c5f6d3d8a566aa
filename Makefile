# loopbench: `make test` and `make bench` work on a fresh machine with only
# Python 3.11+ and make. The virtualenv is built from pyproject.toml on first use
# and rebuilt whenever pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	@echo "make bench: not implemented yet (see the harness and bench issues)" && exit 1

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

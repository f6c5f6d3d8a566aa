# loopbench: `make test` and `make bench` work on a fresh machine with only
# Python 3.11+ and make. The virtualenv is built from pyproject.toml on first use
# and rebuilt whenever pyproject.toml changes.

PYTHON ?= python3
# More interpreters for `make bench`, beside the venv's: PYTHONS="python3.12 /path/to/python3.13"
PYTHONS ?=
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test bench realworld judges report compare new-impl venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# A venv built by an older checkout has the project under its former distribution name,
	# loopbench (and a checkout its metadata, loopbench.egg-info): two copies would register
	# the pytest plugin twice.
	$(PY) -m pip uninstall --quiet --yes loopbench 2>/dev/null || true
	rm -rf loopbench.egg-info
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

# Measure every runtime and write reports/<UTC timestamp>/ (reports/latest points at it).
# QUICK=1: the quick scenarios at small sizes, under a minute (CI's smoke test; its
# latency cells share the two cores, so its numbers only show the pipeline works).
# PYTHONS="python3.12 python3.13": the same under each of them too (one venv each, kept in
# .loopbench/venvs), and one report that puts the interpreters side by side; reports/latest
# points at that report. RESUME=reports/<dir>: continue an interrupted bench there.
# JUDGES=1: then the compatibility matrix into the same run directory, and its report
# again with the matrix in it (as `make judges`; it adds about an hour on two busy cores).
bench: $(STAMP)
	$(PY) -m harness bench $(if $(QUICK),--quick) $(if $(RIGOROUS),--rigorous) $(if $(RESUME),--out $(RESUME) --resume) $(if $(PYTHONS),--python $(PY) $(foreach p,$(PYTHONS),--python $(p)))
	$(if $(JUDGES),$(PY) -m harness judges --out reports/latest --install-deps $(foreach l,$(LOOPS),--loop $(l)) && $(PY) -m harness report reports/latest)

# Real workloads alone, on every runtime with asyncio's API: pyperformance's asyncio benchmarks
# and HTTP servers under wrk (reports/realworld-<stamp>/realworld.md). Tens of minutes;
# RUNTIMES=asyncio,uvloop,rloop,heap+asyncio for fewer, PROFILE=default for smaller sizes.
realworld: $(STAMP)
	$(PY) -m harness realworld $(if $(RUNTIMES),--runtimes $(RUNTIMES)) $(if $(PROFILE),--profile $(PROFILE))

# The compatibility matrix: CPython's whole test.test_asyncio and anyio's own test suite
# on asyncio, uvloop, rloop and heap (LOOPS="asyncio heap list" for others), written to
# reports/judges-<UTC timestamp>/judges.{json,md,html}. anyio's tests are fetched by pip
# from PyPI at the installed version; their dependencies are the `judges` extra.
judges: $(STAMP)
	$(PY) -m harness judges --out reports/judges-$$(date -u +%Y%m%dT%H%M%SZ) --install-deps $(foreach l,$(LOOPS),--loop $(l))

# Regenerate a report from saved data, without measuring: make report RUN=reports/<dir>
report: $(STAMP)
	@test -n "$(RUN)" || (echo "usage: make report RUN=reports/<dir>" && exit 2)
	$(PY) -m harness report $(RUN)

# What changed between two runs, as ratios: make compare A=reports/<dir> B=reports/<dir>
compare: $(STAMP)
	@test -n "$(A)" -a -n "$(B)" || (echo "usage: make compare A=reports/<dir> B=reports/<dir>" && exit 2)
	$(PY) -m harness compare $(A) $(B) $(if $(FAIL_ON),--fail-on $(FAIL_ON))

# Scaffold a new implementation as an installable package: make new-impl NAME=mine [DIR=..]
new-impl: $(STAMP)
	@test -n "$(NAME)" || (echo "usage: make new-impl NAME=mine [DIR=somewhere]" && exit 2)
	$(PY) -m harness new-impl $(NAME) --dir $(or $(DIR),.)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .loopbench

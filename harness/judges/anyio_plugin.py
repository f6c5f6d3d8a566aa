"""pytest plugin for ``loopbench anyio-tests``: anyio's own tests on the loop under test.

Loaded with ``-p harness.judges.anyio_plugin`` into a pytest run of anyio's test suite,
with the loop in the environment (``loops.SPEC_VAR``). anyio's ``anyio_backend``
fixture runs each async test on asyncio (``("asyncio", {"debug": True})``), on asyncio
with uvloop or eager tasks (a ``loop_factory``), and on trio. This plugin:

* installs the loop under test as asyncio's event-loop policy, so the plain asyncio
  backend (which makes its loop with ``asyncio.new_event_loop()`` through
  ``asyncio.Runner``) runs on it;
* deselects the other backends (trio, and asyncio with a ``loop_factory`` of its own),
  which would not run on the loop under test. Tests that take no backend run as they
  are; the judge counts them apart;
* appends each test's outcome as a line of JSON to the file named by ``REPORT_VAR``
  as it goes (pytest writes its junit-xml only at the end: a suite stopped for taking
  too long still leaves what it did), with how many loops the policy made during it
  (``loops``): a test that takes no backend but calls ``asyncio.run()`` ran on the loop
  under test too, and is judged with the others.
"""

from __future__ import annotations

import json
import os

from . import loops

REPORT_VAR = "LOOPBENCH_JUDGE_REPORT"


def pytest_configure(config) -> None:
    spec = os.environ.get(loops.SPEC_VAR)
    if spec:
        loops.install(loops.LoopSpec.from_json(spec))


def other_backend(item) -> bool:
    """Whether ``item`` runs on a backend other than plain asyncio."""
    callspec = getattr(item, "callspec", None)
    if callspec is None or "anyio_backend" not in callspec.params:
        return False
    backend = callspec.params["anyio_backend"]
    if isinstance(backend, str):
        return backend != "asyncio"
    name, options = backend
    return name != "asyncio" or "loop_factory" in (options or {})


def pytest_collection_modifyitems(session, config, items) -> None:
    kept, dropped = [], []
    for item in items:
        (dropped if other_backend(item) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


#: nodeid -> ``loops.LOOPS_MADE["loop"]`` when the test's setup began.
_MADE_BEFORE: dict[str, int] = {}


def pytest_runtest_setup(item) -> None:
    _MADE_BEFORE[item.nodeid] = loops.LOOPS_MADE["loop"]


def pytest_runtest_logreport(report) -> None:
    path = os.environ.get(REPORT_VAR)
    made = loops.LOOPS_MADE["loop"] - _MADE_BEFORE.get(report.nodeid, loops.LOOPS_MADE["loop"])
    if not path or (report.when != "call" and report.outcome == "passed"):
        return
    text = str(report.longrepr) if report.longrepr else ""
    lines = [line for line in text.splitlines() if line.strip()]
    if report.skipped and isinstance(report.longrepr, tuple):
        lines = [str(report.longrepr[2])]
    with open(path, "a") as out:
        out.write(json.dumps({"nodeid": report.nodeid, "when": report.when, "outcome": report.outcome,
                              "detail": lines[-1][:300] if lines else "", "loops": made}) + "\n")

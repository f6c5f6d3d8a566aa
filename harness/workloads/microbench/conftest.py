"""The micro-suite's fixtures: runtimes as parameters, and one gc discipline for every row.

What one measurement is: ONE complete round (a workload's ``rt.run(main)`` on a fresh
loop), after the workload's warmup rounds, with ``gc.collect()`` + ``gc.freeze()``
before each round (untimed) so one round's garbage is not collected on the next
round's clock, nor pytest's heap scanned on anyone's. The collector stays enabled
during the round: each runtime pays for the collections its own garbage triggers.
Every runtime gets exactly the same workload and the same number of rounds.

Two clocks: pytest-benchmark's timer is the process's CPU time (``make bench`` passes
``--benchmark-timer=time.process_time``), and each workload test also records every
round on both clocks (``extra_info["cpu_s"]``, ``extra_info["wall_s"]``);
``harness.stats.samples.merge`` keeps the rounds of the workload's own clock.

One process is one **round** of the run (``LOOPBENCH_ROUND``): it measures every
runtime, in an order shuffled with the round as the seed (``pytest_collection_modifyitems``),
so no runtime always goes first or last, and the ratios to asyncio are taken within
each round (``harness.stats.paired``).

What the JSON holds, per benchmark, in ``extra_info``: ``workload`` (its name in
``harness.workloads.programs``), ``runtime``, ``family`` ("loopbench", "peer" or "floor"),
``version``, ``ops_per_round`` and ``unit`` (rate = ``ops_per_round / median``),
``operations`` (per operation the workload uses: native, emulated or unsupported),
``emulated`` (the timed operations the harness builds for this runtime; the report
keeps those rows out of every comparison) and ``profile``.

A runtime that lacks an operation, or cannot be used here, is skipped with the
reason (``unsupported: ...``, ``unavailable: ...``): absent from the JSON, never a
faked number.
"""

from __future__ import annotations

import gc
import json
import os
import random

import pytest

from harness import runtimes
from harness.runtimes.interface import Runtime, Unavailable
from harness.workloads.programs import SKIPS_VAR, Plans, this_round, wanted_cells

#: Every runtime the harness knows, ours first; the parameter ids are these names.
RUNTIMES = runtimes.names()


@pytest.fixture(params=RUNTIMES, ids=RUNTIMES)
def rt(request) -> Runtime:
    """A fresh runtime object; each ``rt.run(main)`` makes (and closes) its own loop."""
    try:
        return runtimes.create(request.param)
    except Unavailable as exc:
        pytest.skip(f"unavailable: {request.param}: {exc}")


def _collect() -> None:
    """Before each round, untimed (pedantic's ``setup``; returns None: no arguments).

    Collect the last round's garbage, then freeze what survives (pytest, the loaded
    libraries, the runtime object) into the permanent generation, so that the
    collections the next round triggers itself scan only that round's own objects:
    every runtime pays for its own garbage and nobody pays for pytest's heap. It
    also keeps this call cheap after the test's first round (a full collection of
    pytest's heap is ~20 ms).
    """
    gc.collect()
    gc.freeze()


@pytest.fixture
def collect():
    """``_collect``, for ``benchmark.pedantic``'s ``setup``, after unfreezing what earlier
    tests left: their leftovers are collected by this test's first round. For the floors
    and the timer stores, which hold up to a million objects each."""
    gc.unfreeze()
    return _collect


@pytest.fixture
def collect_frozen():
    """``_collect`` without unfreezing first: for the workloads, several hundred tests a
    process. What one leaves behind (a runtime object, a closed loop) stays frozen
    instead of costing every test a full collection of pytest's heap."""
    return _collect


@pytest.fixture(scope="session")
def plans() -> Plans:
    """Rounds per (workload, runtime), shared by the run's processes (``LOOPBENCH_PLANS``)."""
    return Plans()


@pytest.fixture(scope="session", autouse=True)
def _unfreeze_at_end():
    yield
    gc.unfreeze()


def _params(item) -> dict:
    callspec = getattr(item, "callspec", None)
    return callspec.params if callspec is not None else {}


def pytest_collection_modifyitems(config, items):
    """``test_workload``'s passes in order (``test_workloads.PASSES``); within a pass, the
    workloads in an order shuffled by the round, and within each workload its runtimes
    shuffled too (seeded by the round: reproducible, different from round to round). The
    other tests keep their place, before them.

    A round told its cells (``LOOPBENCH_CELLS``: those whose ratio is not yet as precise
    as asked) measures only those; the rest are deselected, floors included."""
    wanted = wanted_cells()
    if wanted is not None:
        kept, dropped = [], []
        for item in items:
            params = _params(item)
            cell = (params["workload"].name, params.get("rt")) if "workload" in params else None
            (kept if cell in wanted else dropped).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept
    rng = random.Random(this_round())
    blocks: dict[tuple[int, str], list] = {}
    others = []
    for item in items:
        params = _params(item)
        if "workload" in params and "pass_" in params:
            blocks.setdefault((params["pass_"], params["workload"].name), []).append(item)
        else:
            others.append(item)
    ordered = []
    for pass_ in sorted({key[0] for key in blocks}):
        keys = [key for key in blocks if key[0] == pass_]
        rng.shuffle(keys)
        for key in keys:
            block = blocks[key]
            rng.shuffle(block)
            ordered.extend(block)
    items[:] = others + ordered


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A workload test skipped (unsupported, too slow): its reason, appended as one JSON
    line to the file ``LOOPBENCH_SKIPS`` names, so the run keeps the cell with its reason."""
    outcome = yield
    report = outcome.get_result()
    path = os.environ.get(SKIPS_VAR)
    params = _params(item)
    if not path or not report.skipped or "workload" not in params:
        return
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    reason = reason.removeprefix("Skipped: ")
    with open(path, "a") as fh:
        fh.write(json.dumps({"workload": params["workload"].name, "runtime": params.get("rt"),
                             "reason": reason}) + "\n")

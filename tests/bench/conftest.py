"""pytest-benchmark micro-benchmarks: every harness runtime, side by side.

Each runtime test is parametrized over ``harness.runtimes.names()`` (our loops from
``impls.names()``, then asyncio, uvloop, trio, curio, anyio-asyncio, anyio-trio), with
the runtime's name as the parameter id, and sets ``benchmark.group`` to the measure,
so every table pytest-benchmark prints (and every group in its JSON) compares the
runtimes on one workload: rows read ``test_...[heap]``, ``test_...[trio]``, ...

Two new kinds of row do not go through a runtime (no ``rt``/``measure``); they call
``benchmark.pedantic`` directly, with the ``collect`` fixture below (the same gc
discipline), and a floor's ``extra_info["family"]`` is "floor" (a runtime's is
"loopbench" or "peer"):

* **Floors**, the least work the measure can take in plain Python, measured in the
  same run so a loop's cost reads as a multiple of them: "floor: deque popleft + call
  (K=...)" (``test_bench_floor.py``: K no-argument callables popped from a deque and
  called, ``runtime="floor"``; the per-callback floor of "call_soon chain", same K),
  and the ``heapq-floor`` row of the virtual-clock group below.
* **Our loops only**: "timers on the virtual clock (N=...)" (``test_bench_million.py``:
  N timers (1M; quick: 100k) at random deadlines, fired on a ``VirtualClock``), whose
  rows are the heap loop (the target's; the file's ``LOOPS``) and ``heapq-floor`` (a
  bare ``heapq`` push/pop of the same tuples). The peers take no virtual clock, so they are not rows of it at all
  (absent, not skipped); loops predicted (by an untimed calibration at small sizes)
  to need more than a per-round budget at N are skipped with "too slow: ...".

How to run. They are never part of ``make test`` / ``pytest -q tests``:
``pyproject.toml`` has ``--ignore=tests/bench`` in ``addopts``. Name the directory
and drop the suite's ``addopts`` (``-o addopts=""``)::

    .venv/bin/python -m pytest tests/bench -o addopts="" --benchmark-json=out.json
    LOOPBENCH_PROFILE=quick .venv/bin/python -m pytest tests/bench -o addopts="" --benchmark-json=out.json

pytest-benchmark switches that combine with it (pytest-benchmark 5.x):

* ``--benchmark-only``: skip tests that do not use the ``benchmark`` fixture. Every
  test here does, so it changes nothing; harmless to add.
* ``--benchmark-disable``: run each workload once, untimed: no table, and
  ``--benchmark-json`` writes no file. A smoke test that every runtime can run every
  workload (result checks included). Cannot be combined with ``--benchmark-only``.
* ``--benchmark-skip``: skip every test here.
* ``-k trio`` / ``-k "chain or churn"``: one runtime, or some measures.
* ``--benchmark-columns=median,min,max,rounds``, ``--benchmark-sort=name``: table layout.

Sizes come from ``LOOPBENCH_PROFILE`` (``harness.profile.pick``): ``quick`` (the whole
suite over all eleven runtimes in about 30 s on 2 cores: a smoke run) or ``default``
(about 1.5-2 minutes, ~35 s of them the 1M-timer virtual-clock group). Sizes are in
the group names, except "arm+cancel churn", whose M is only in
``extra_info["ops_per_round"]`` (and ``profile`` says which profile): compare numbers
from one profile only.

What one measurement is: ONE complete ``rt.run(main)`` per round, a fresh loop each
time (creation and teardown included), ``rounds`` from the profile, after one warmup
round, with ``gc.collect()`` + ``gc.freeze()`` before each round (untimed) so one
round's garbage is not collected on the next round's clock, nor pytest's heap
scanned on anyone's. Every runtime gets exactly the same
workload; only the number of rounds differs between groups, never between runtimes
(spawn+join and the 100k/1M timer groups use fewer, and no warmup round; the floor
more). The
virtual-clock group's round is its whole workload on a fresh loop, without
``rt.run`` (arming outside the loop, then ``run_forever`` until a stop timer), and
has no warmup round: its calibration has just run the same code.

What the JSON holds, per benchmark, in ``extra_info``:

``runtime``, ``family``, ``version``
    which loop, ours ("loopbench") or a "peer", and its library version.
``ops_per_round``, ``unit``
    how many operations one round performs and what they are ("callbacks",
    "timers", "switches", "tasks"...): a report computes e.g. callbacks/s as
    ``ops_per_round / stats.median``.
``uses``
    the runtime operations the workload calls (see ``harness/runtime.py``).
``emulated``
    present only when the runtime builds one of ``uses`` from other primitives
    (``rt.how(op) == "emulated"``, e.g. trio's ``call_at``): the list of those ops.
``profile``
    ``quick`` or ``default``.

Where a runtime lacks an operation (``rt.how(op) == "unsupported"``) or cannot be
used here (``Unavailable``: an adapter or library is missing) the test is skipped
with the reason (``unsupported: ...`` / ``unavailable: ...``) and nothing is
measured, so the runtime is simply absent from that group in the JSON: a report
shows the gap as unsupported/unavailable, never a faked number.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import pytest

from harness import profile, runtimes
from harness.runtime import EMULATED, UNSUPPORTED, Runtime, Unavailable, Unsupported

#: Every runtime the harness knows, ours first; the parameter ids are these names.
RUNTIMES = runtimes.names()

#: Rounds per benchmark (after one warmup round). Groups whose single round is long
#: (100k timers) use fewer, the same for every runtime.
ROUNDS = profile.pick(default=5, quick=3)


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
    pytest's heap is ~20 ms). ``_measure`` unfreezes before a test's first round, so
    what a test leaves behind is collected then, not frozen for the whole session.
    """
    gc.collect()
    gc.freeze()


@pytest.fixture
def collect():
    """``_collect`` itself, for rows that are not a runtime (the floors).

    They call ``benchmark.pedantic`` directly, with ``_collect`` as (or inside) its
    ``setup``: the same gc discipline as ``measure``. Like ``_measure``, this unfreezes
    first, so earlier tests' leftovers are collected by the first round's ``_collect``.
    """
    gc.unfreeze()
    return _collect


@pytest.fixture(scope="session", autouse=True)
def _unfreeze_at_end():
    yield
    gc.unfreeze()


@pytest.fixture
def measure(benchmark, rt: Runtime):
    """``measure(group=..., uses=..., ops=..., unit=..., run=..., expect=...)``: see :func:`_measure`.

    Tests take ``(rt, measure)`` in that order, so an unavailable runtime is skipped
    before the ``benchmark`` fixture exists (no "fixture not used" warning), and
    ``benchmark`` is in every test's fixture closure, which is what
    ``--benchmark-only`` / ``--benchmark-skip`` look at.
    """
    def bound(**kwargs) -> None:
        _measure(benchmark, rt, **kwargs)
    return bound


def _measure(benchmark, rt: Runtime, *, group: str, uses: tuple[str, ...], ops: int,
             unit: str, run: Callable[[], Any], expect: Any, rounds: int | None = None,
             timed: tuple[str, ...] | None = None, warmup: int = 1) -> None:
    """Benchmark ``run`` (one complete ``rt.run(main)``) in ``group``; check its result.

    ``uses``: the runtime operations the workload calls; an unsupported one skips the
    test. ``timed``: the operations being measured (default ``uses``); the emulated
    ones among them are listed in ``extra_info["emulated"]`` (an event that only says
    "done" does not mark a call_soon timing as emulated). ``ops``/``unit``:
    operations per round, for rates. ``expect``: what every round must return (so a
    loop that silently drops work cannot post a fast number). ``rounds``: default
    ``ROUNDS``; a group may use fewer, for every runtime alike. ``warmup``: rounds run
    untimed first (1); a group whose round is long (tens of thousands of operations,
    seconds on the slow runtimes) may use 0, for every runtime alike: such a round
    warms itself up, and the bench must fit its 5 minutes.
    """
    emulated = []
    for op in uses:
        how = rt.how(op)
        if how == UNSUPPORTED:
            pytest.skip(f"unsupported: {rt.name} has no {op}")
        if how == EMULATED and op in (timed if timed is not None else uses):
            emulated.append(op)

    benchmark.group = group
    info = benchmark.extra_info
    info.update(runtime=rt.name, family=rt.family, version=rt.version(),
                ops_per_round=ops, unit=unit, uses=list(uses), profile=profile.current())
    if emulated:
        info["emulated"] = emulated

    def one_round():
        result = run()
        assert result == expect, f"{rt.name}: {group}: got {result!r}, expected {expect!r}"

    gc.unfreeze()            # the first _collect then sees (and frees) earlier tests' leftovers
    try:
        benchmark.pedantic(one_round, setup=_collect, rounds=rounds or ROUNDS, warmup_rounds=warmup,
                           iterations=1)
    except Unsupported as exc:   # an adapter refusing at run time: same honest outcome
        pytest.skip(f"unsupported: {rt.name}: {exc}")

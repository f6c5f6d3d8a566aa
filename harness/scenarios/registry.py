"""Scenarios: small, named, documented programs run on every runtime.

A **behaviour** scenario is ``async def scenario(rt, trace)``: it uses only the
neutral runtime interface (``harness.runtimes.interface``) and appends events to ``trace``, an
ordered list of JSON-friendly values (strings, numbers, lists). It either states the
``expected`` trace (every runtime should produce it: status pass/fail) or is
observational (``expected=None``: status observed, and the report groups runtimes
by what they did). It runs ``repeat`` times per runtime, each on a fresh loop, and
the result says whether the outcome was the same every time, and if not, how often
each outcome occurred.

A **latency** scenario is ``def scenario(rt, metrics)``: plain (not async), because
it drives ``rt.run`` itself, as often as it needs (fresh loops for each N of a
scaling curve). It fills ``metrics`` with numbers and runs once per cell.

Every scenario declares ``needs``: the runtime operations it uses. A runtime that
lacks one is "unsupported" for the scenario (nothing is run). A result is marked
"emulated" when an operation under test is emulated: ``measures`` (default: all of
``needs``), so an event used merely to say "done" does not taint a call_soon timing
or a timer-order trace.

Parameters are module-level constants and any randomness is seeded, so a scenario
is the same program every time and everywhere.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

BEHAVIOUR, LATENCY = "behaviour", "latency"

#: Time unit of behaviour scenarios on real clocks: long enough that timers armed
#: in one go do not fall due while still being armed, short enough to be quick.
UNIT = 0.01
#: Deadlines this far apart (3 ms) keep their order on every loop's clock, even a
#: millisecond one (uvloop's): the spacing of the scenarios that check deadline order.
ORDERABLE_SPACING = 0.3 * UNIT


@dataclass(frozen=True)
class Scenario:
    name: str                       #: "group.short_name", e.g. "timers.slides"
    fn: Callable[..., Any]
    kind: str = BEHAVIOUR
    expected: list | None = None    #: the trace every runtime should produce, or None
    needs: tuple[str, ...] = ()     #: runtime operations used (see harness.runtimes.interface)
    repeat: int | None = None       #: None: the run's --repeat (default 5)
    quick: bool = False             #: part of the quick set (tests, QUICK=1 bench)
    mode: str = "run"               #: "run": inside rt.run; "forever": inside rt.run_forever
    crash_is_outcome: bool = False  #: an exception escaping the loop is an outcome, not an error
    explain: str = ""               #: why runtimes may differ here (for the report)
    measures: tuple[str, ...] | None = None  #: latency: the ops being timed (default: needs)
    #: latency: may run beside other cells, because it times nothing (memory) or only the
    #: process's own CPU time (the scaling curves), which a neighbour on another core
    #: hardly moves
    parallel: bool = False
    in_bench: bool = True           #: False: ``make bench`` leaves it to its micro-suite (same workload)
    #: The libraries (``Runtime.api``) whose own documentation promises ``expected``: there a
    #: difference is "fail". Elsewhere the expected trace is loopbench's contract only, and a
    #: peer's difference is observed and labelled "differs from loopbench's contract".
    documented_by: tuple[str, ...] = ()
    #: The outcome depends on the real clock (deadlines a few ms apart): the cell runs beside
    #: no cell but another such one, one per core, and the report marks it load-sensitive.
    timing_sensitive: bool = False
    #: Latency: measured in several processes (``harness.stats.samples.PROCESSES`` of the profile),
    #: each taking its share of the samples (``profile.share``); the record keeps every
    #: process's metrics, and the report shows their median with a 95% interval.
    sampled: bool = False
    #: Measures the process's own memory (RSS): each run is a fresh interpreter, never a
    #: fork of the runner's warm server, whose heap every fork would share and start from
    #: (the processes of a sampled cell would all read the same, and not be samples).
    fresh_process: bool = False
    #: Latency: the clock its numbers are read on, said in the report ("" : the wall clock,
    #: perf_counter; "process CPU time" for work that never waits).
    clock: str = ""
    #: Latency: the cell sleeps nearly all its time (it times how late a short sleep wakes), so
    #: it runs one per core beside cells like it (and the timing-sensitive behaviour cells),
    #: never beside a cell that keeps a core busy. Measured on 2 cores: the lateness
    #: percentiles of two such cells side by side move less than those of two runs alone.
    sleeps: bool = False
    doc: str = field(default="", compare=False)

    @property
    def group(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def timed_ops(self) -> tuple[str, ...]:
        """The operations whose emulation marks the result "emulated"."""
        return self.measures if self.measures is not None else self.needs

    @property
    def observational(self) -> bool:
        return self.expected is None


_scenarios: dict[str, Scenario] = {}


def scenario(name: str, *, expected: list | None = None, needs: tuple[str, ...] = (),
             measures: tuple[str, ...] | None = None, repeat: int | None = None, quick: bool = False,
             mode: str = "run", crash_is_outcome: bool = False, explain: str = "",
             documented_by: tuple[str, ...] = (), timing_sensitive: bool = False) -> Callable:
    """Register an async behaviour scenario ``fn(rt, trace)``.

    ``measures``: the operations whose behaviour is under test (default: all of
    ``needs``); an event used only to learn that the scenario is done is not one.
    """
    def register(fn):
        if not inspect.iscoroutinefunction(fn) and mode == "run":
            raise TypeError(f"behaviour scenario {name} must be an async def (rt, trace)")
        _add(Scenario(name=name, fn=fn, expected=expected, needs=tuple(needs), repeat=repeat,
                      quick=quick, mode=mode, crash_is_outcome=crash_is_outcome,
                      explain=explain, measures=tuple(measures) if measures is not None else None,
                      doc=_doc(fn), documented_by=tuple(documented_by), timing_sensitive=timing_sensitive))
        return fn
    return register


def observation(name: str, **kwargs) -> Callable:
    """``scenario`` with no expected trace: what each runtime does is observed and set side
    by side, and no runtime is wrong (the report says where they differ, and why)."""
    if "expected" in kwargs:
        raise TypeError(f"observation {name} has no expected trace; use scenario(expected=...)")
    return scenario(name, **kwargs)


def latency(name: str, *, needs: tuple[str, ...] = (), measures: tuple[str, ...] | None = None,
            quick: bool = False, explain: str = "", parallel: bool = False,
            in_bench: bool = True, sampled: bool = False, fresh_process: bool = False,
            clock: str = "", sleeps: bool = False) -> Callable:
    """Register a latency/scaling scenario ``fn(rt, metrics)`` (plain def; calls rt.run itself).

    ``parallel=True``: the scenario's result does not depend on the wall clock (a memory
    count, CPU time per operation), so the runner may run it beside other cells, as it
    runs behaviour cells.
    ``in_bench=False``: ``make bench`` skips it because its micro-suite
    (``harness.workloads.microbench``) measures the same workload, with more rounds, in the same
    run; ``loopbench run`` still has it.
    ``sampled=True``: run in several processes, each sizing itself with ``profile.share``
    (see ``Scenario.sampled``). ``fresh_process=True``: never forked from the warm server
    (see ``Scenario.fresh_process``). ``clock``: the clock its numbers are read on, when not
    the wall clock (see ``Scenario.clock``). ``sleeps=True``: it sleeps nearly all its time, and
    runs one per core (see ``Scenario.sleeps``).
    """
    def register(fn):
        _add(Scenario(name=name, fn=fn, kind=LATENCY, needs=tuple(needs), repeat=1, quick=quick,
                      explain=explain, measures=tuple(measures) if measures is not None else None,
                      parallel=parallel, in_bench=in_bench, sampled=sampled, fresh_process=fresh_process,
                      clock=clock, sleeps=sleeps, doc=_doc(fn)))
        return fn
    return register


def _add(s: Scenario) -> None:
    if s.name in _scenarios:
        raise ValueError(f"scenario {s.name!r} is already registered")
    _scenarios[s.name] = s


def _doc(fn) -> str:
    return inspect.cleandoc(fn.__doc__ or "").split("\n\n")[0].replace("\n", " ")


def all_scenarios() -> dict[str, Scenario]:
    """Every registered scenario, by name (imports the scenario modules on first use)."""
    from .. import scenarios  # noqa: F401  (registers them)
    return dict(_scenarios)


def get(name: str) -> Scenario:
    found = all_scenarios()
    if name not in found:
        raise KeyError(f"unknown scenario {name!r}; try `python -m harness list`")
    return found[name]


def select(patterns: list[str] | None = None, *, quick: bool = False) -> list[Scenario]:
    """Scenarios whose name equals, or starts with ``pattern.``, any pattern (all if None)."""
    chosen = []
    for s in all_scenarios().values():
        if quick and not s.quick:
            continue
        if not patterns or any(s.name == p or s.name.startswith(p.rstrip(".") + ".") for p in patterns):
            chosen.append(s)
    return chosen

"""Workloads: each measured program defined once, with its sizes and its unit.

A workload is a small program that performs a known number of operations on a
runtime, through the neutral interface (``harness/runtimes/interface.py``), and returns that
number, so a runtime that silently drops work cannot post a fast time. One round is
one complete ``rt.run(main)`` on a fresh loop: creation and teardown included,
amortised over the operations.

One definition, three users:

* ``make bench``'s micro-suite (``harness/workloads/microbench``, driven by pytest-benchmark)
  times every workload on every runtime: the report's throughput rows;
* ``loopbench run`` has one latency scenario per workload (``workload.NAME``) that
  times a few rounds in the cell's own process;
* the report and its targets name these objects (``CALL_SOON_CHAIN``), not strings.

Each library is measured in its own idiom. Tasks are spawned and joined through
``rt.task_group()``: asyncio's TaskGroup, trio's nursery, anyio's task group,
curio's TaskGroup, our loops' ``create_task``; never through a harness wrapper. An
operation a runtime only has as a harness-built emulation (``rt.how(op) ==
"emulated"``, e.g. ``call_at`` on trio) is still run and recorded, and the report
keeps it out of every comparison.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field

from ..execution import profile
from ..execution.profile import PROFILES
from ..runtimes.interface import Runtime


@dataclass(frozen=True)
class Size:
    """A size per profile: ``default`` for reports, ``quick`` for smoke runs, ``rigorous``
    (``make bench RIGOROUS=1``; the default's if not given) for the long run.

    The default sizes are the smallest at which a round's fixed costs (making and closing
    a loop, a task group) stay a few percent of it, because on a shared machine the noise
    of a CPU-time measurement does not shrink with its length (measured under load: a
    quarter of the size had the same or less spread per duet), so more, shorter duets give
    the narrower interval for the same time. Spawn+join keeps 2,000: its per-task work is
    small enough that a loop's creation still weighs at 500."""
    default: int | float
    quick: int | float
    rigorous: int | float | None = None

    def __call__(self):
        return profile.pick(default=self.default, quick=self.quick, rigorous=self.rigorous)


@dataclass(frozen=True)
class Workload:
    name: str                        #: "tasks.spawn_join": also the scenario ``workload.tasks.spawn_join``
    title: str                       #: what the report calls it
    unit: str                        #: what one operation is ("callbacks", "tasks", ...)
    size: Size                       #: N per profile
    uses: tuple[str, ...]            #: runtime operations the program calls
    build: Callable[[Runtime, int], Callable[[], Awaitable[int]]] = field(repr=False)
    timed: tuple[str, ...] | None = None   #: the operations being measured (default: ``uses``)
    ops_per_n: int = 1               #: operations per unit of N (two players: 2 switches per turn)
    #: The most timed rounds one process takes; fewer for a slow runtime (``plan``).
    rounds: Size = Size(default=6, quick=3, rigorous=10)
    warmup: int = 1                  #: untimed runs first, at a tenth of N (0: none)
    doc: str = ""
    #: The profiles whose micro-suite measures it (``loopbench run`` has every workload).
    profiles: tuple[str, ...] = PROFILES
    #: The clock its rounds are compared on: ``"cpu"`` (the worker's process CPU time, all
    #: threads) for work that never waits, ``"wall"`` for work that waits on real deadlines
    #: or sockets (``CLOCKS``).
    clock: str = "cpu"

    @property
    def n(self) -> int:
        return self.size()

    @property
    def ops(self) -> int:
        """Operations per round at this profile's size: rate = ops / seconds per round."""
        return self.n * self.ops_per_n

    @property
    def label(self) -> str:
        return f"{self.title} (N={self.n:,})"

    @property
    def timed_ops(self) -> tuple[str, ...]:
        return self.timed if self.timed is not None else self.uses

    def main(self, rt: Runtime) -> Callable[[], Awaitable[int]]:
        """The program for one round on ``rt``: ``rt.run(workload.main(rt))`` returns ``ops``."""
        return self.build(rt, self.n)

    def predict(self, rt: Runtime) -> tuple[float, float]:
        """(CPU seconds one round at N should take, fitted exponent k), from untimed runs at
        N/10 and N/5 (the faster of two each). The larger is extrapolated with n^max(k, 1):
        every operation is done, so no cost grows slower than linearly. Rough (a small run
        is noisy), so only used to spare a round that would overrun ``ROUND_BUDGET``.
        Timed on ``PLANNING_CLOCK`` (process CPU time): another program taking the cores
        does not make a runtime look too slow to measure."""
        sizes, times = (max(1, self.n // 10), max(2, self.n // 5)), []
        for n in sizes:
            best = math.inf
            for _ in range(2):
                start = PLANNING_CLOCK()
                rt.run(self.build(rt, n))
                best = min(best, PLANNING_CLOCK() - start)
            times.append(max(best, 1e-9))
        k = math.log(times[1] / times[0]) / math.log(sizes[1] / sizes[0])
        return times[1] * (self.n / sizes[1]) ** max(k, 1.0), k

    def plan(self, rt: Runtime) -> "Plan":
        """How many rounds ``rt`` gets in one process. None (``Plan.rounds`` 0: too slow) if
        ``predict`` puts one round over ``ROUND_BUDGET``, except on the reference runtime
        (``REFERENCE``: every ratio is to it, so it is always measured); else one whole
        round is run and timed (CPU time), and the rounds are what fits ``PROCESS_BUDGET``
        seconds, between ``MIN_ROUNDS`` and ``rounds``. ``LOOPBENCH_ROUNDS`` overrides the count."""
        predicted, k = self.predict(rt)
        if predicted > ROUND_BUDGET() and rt.name != REFERENCE:
            return Plan(0, predicted, k)
        start = PLANNING_CLOCK()
        self.run_round(rt)
        took = PLANNING_CLOCK() - start
        fitting = round(PROCESS_BUDGET() / took) if took > 0 else self.rounds()
        return Plan(profile.rounds(max(MIN_ROUNDS, min(self.rounds(), fitting))), took, k)

    def runs_in(self, profile_name: str) -> bool:
        return profile_name in self.profiles

    def run_round(self, rt: Runtime) -> None:
        """One round, checked: raises AssertionError if the runtime did not do all the work."""
        done = rt.run(self.main(rt))
        if done != self.ops:
            raise AssertionError(f"{rt.name}: {self.name}: did {done!r} operations, expected {self.ops}")


@dataclass(frozen=True)
class Plan:
    """A workload's rounds on one runtime in one process, and why (``Workload.plan``)."""
    rounds: int                      #: 0: too slow, skipped
    predicted: float                 #: seconds one round took (predicted, if too slow to run)
    exponent: float                  #: how its cost grows with N (n^exponent)

    def too_slow(self, wl: "Workload") -> str:
        return (f"too slow: one round predicted {self.predicted:.1f} s at N={wl.n:,} "
                f"(cost grows as n^{self.exponent:.2f}), over the {ROUND_BUDGET()} s budget")


#: A JSON file of plans shared by the processes of one run (``Plans``); unset, each
#: process plans for itself.
PLANS_VAR = "LOOPBENCH_PLANS"
#: The round of the run a micro-suite process is (0, 1, ...): the seed of its order.
ROUND_VAR = "LOOPBENCH_ROUND"
#: A file the micro-suite appends its skipped cells to (one JSON line each, with the reason).
SKIPS_VAR = "LOOPBENCH_SKIPS"
#: A JSON list of ``[workload, runtime]`` cells: a round measures only these (the cells
#: whose ratio to asyncio is not yet as precise as asked); unset, every cell.
CELLS_VAR = "LOOPBENCH_CELLS"


def wanted_cells() -> set[tuple[str, str]] | None:
    """The cells this round measures (``LOOPBENCH_CELLS``); None: every cell."""
    value = os.environ.get(CELLS_VAR)
    if not value:
        return None
    return {(workload, runtime) for workload, runtime in json.loads(value)}


def this_round() -> int:
    """The run's round this process is (``LOOPBENCH_ROUND``; 0 outside a run)."""
    value = os.environ.get(ROUND_VAR, "")
    return int(value) if value.isdigit() else 0


class Plans:
    """Each (workload, runtime)'s plan, made once per run.

    The first process to meet a pair plans it (``Workload.plan``) and writes the plan to
    the file ``LOOPBENCH_PLANS`` names; the other processes read it, so every process
    takes the same number of rounds and skips the same runtimes (a prediction near the
    budget must not make a runtime appear in one process and not in the next).
    """

    def __init__(self, path: str | None = None) -> None:
        self.path = path if path is not None else os.environ.get(PLANS_VAR) or None
        self._known: dict[str, dict] = {}
        if self.path and os.path.exists(self.path):
            try:
                with open(self.path) as fh:
                    self._known = json.load(fh)
            except (OSError, ValueError):
                self._known = {}

    def get(self, wl: "Workload", rt: Runtime) -> Plan:
        key = f"{wl.name}|{rt.name}"
        if key in self._known:
            return Plan(**self._known[key])
        plan = wl.plan(rt)
        self._known[key] = asdict(plan)
        if self.path:
            with open(self.path + ".partial", "w") as fh:
                json.dump(self._known, fh, indent=1)
            os.replace(self.path + ".partial", self.path)
        return plan


#: The runtime every ratio is taken to: never skipped by a plan.
REFERENCE = "asyncio"
#: The clock plans are made on (a module attribute, so tests can give it a virtual one).
PLANNING_CLOCK: Callable[[], float] = time.process_time
#: The clocks a workload can be compared on (``Workload.clock``).
CLOCKS = {"cpu": "CPU time (time.process_time of the worker, all threads)",
          "wall": "wall time (time.perf_counter)"}

#: The most one round may be predicted to take (seconds) before a runtime is skipped as
#: "too slow" (a cost that grows faster than N: curio's and tinyio's spawn).
ROUND_BUDGET = Size(default=2.0, quick=1.0, rigorous=10.0)
#: About how long one process spends timing one workload on one runtime: a fast runtime
#: gets more rounds (up to ``Workload.rounds``), a slow one ``MIN_ROUNDS``, so every row
#: has several values per process and the run fits its time.
PROCESS_BUDGET = Size(default=0.025, quick=0.03, rigorous=0.5)
#: A process's value for a cell is the median of its duets: three, so one disturbed duet
#: (another program's burst) does not move it.
MIN_ROUNDS = 3

#: Every workload, by name, in the order reports show them.
WORKLOADS: dict[str, Workload] = {}


def workload(name: str, *, title: str, unit: str, size: Size, uses: tuple[str, ...],
             timed: tuple[str, ...] | None = None, ops_per_n: int = 1,
             rounds: Size = Size(default=6, quick=3, rigorous=10), warmup: int = 1,
             profiles: tuple[str, ...] = PROFILES, clock: str = "cpu") -> Callable:
    """Register ``build(rt, n) -> main`` as a workload; its docstring is the workload's."""
    if clock not in CLOCKS:
        raise ValueError(f"unknown clock {clock!r}; one of {', '.join(CLOCKS)}")

    def register(build):
        wl = Workload(name, title, unit, size, tuple(uses), build, timed, ops_per_n, rounds, warmup,
                      " ".join((build.__doc__ or "").split()), tuple(profiles), clock)
        if name in WORKLOADS:
            raise ValueError(f"workload {name!r} is already defined")
        WORKLOADS[name] = wl
        return wl
    return register


def get(name: str) -> Workload:
    try:
        return WORKLOADS[name]
    except KeyError:
        raise KeyError(f"unknown workload {name!r}; known: {', '.join(WORKLOADS)}") from None


# ------------------------------------------------------------------ callbacks
@workload("callbacks.call_soon_chain", title="call_soon chain", unit="callbacks",
          size=Size(default=5_000, quick=5_000, rigorous=10_000), uses=("call_soon", "event"),
          timed=("call_soon",))
def _call_soon_chain(rt, n):
    """K callbacks, each scheduling the next with call_soon: one loop iteration per
    callback on loops where a callback scheduled now runs in a later iteration, so
    this is the loop's bare per-iteration overhead. The main task waits on one event,
    set by the last callback. On trio, call_soon is ``TrioToken.run_sync_soon`` (a
    thread-safe entry queue: a lock and a wakeup-socket write per call)."""
    async def main():
        done = rt.event()
        call_soon = rt.call_soon
        count = [0]

        def step():
            count[0] += 1
            if count[0] < n:
                call_soon(step)
            else:
                done.set()

        call_soon(step)
        await done.wait()
        return count[0]
    return main


# --------------------------------------------------------------------- timers
WINDOW = 0.001                                   #: deadlines within 1 ms of arming
FAR = 3600.0                                     #: churn deadlines: an hour away


def _nothing():
    pass


def seeded_offsets(n: int, window: float = WINDOW) -> list[float]:
    """N offsets drawn uniformly within ``window`` by one generator seeded with N: the
    same offsets on every run and runtime, and (almost surely) all distinct."""
    rng = random.Random(n)
    return [rng.uniform(0, window) for _ in range(n)]


def firing_timers(rt, offsets: list[float]) -> Callable[[], Awaitable[int]]:
    """The program that arms one call_at per offset (seconds past one ``rt.now()``) and
    returns, once all have fired (the last sets one event), how many fired."""
    n = len(offsets)

    async def main():
        done, fired = rt.event(), [0]

        def fire():
            fired[0] += 1
            if fired[0] == n:
                done.set()

        call_at, base = rt.call_at, rt.now()
        for offset in offsets:
            call_at(base + offset, fire)
        await done.wait()
        return fired[0]
    return main


def _scheduled_and_fired(rt, n):
    """N timers armed with call_at at seeded random deadlines within 1 ms, then all
    fired (one event, set by the N-th firing). From 10k timers on, arming outlasts the
    window: the measure is storing N deadlines and firing them in order."""
    return firing_timers(rt, seeded_offsets(n))


#: 1k in every profile; 10k and 100k only in the rigorous one (a round of 10k is a fifth of
#: a second on asyncio, half the cost of a default round of every other workload together;
#: 100k most of a second), and the harness's ``scaling.timers`` curve already shows the growth.
for _label, _size, _profiles in (("small", Size(1_000, 1_000), PROFILES),
                                 ("medium", Size(10_000, 10_000), ("rigorous",)),
                                 ("large", Size(100_000, 20_000), ("rigorous",))):
    workload(f"timers.fired_{_label}", title="timers scheduled+fired", unit="timers", size=_size,
             uses=("call_at", "event"), timed=("call_at",), profiles=_profiles,
             clock="wall")(_scheduled_and_fired)          # waits for real deadlines


@workload("timers.arm_cancel_churn", title="arm+cancel churn", unit="timers armed+cancelled",
          size=Size(default=10_000, quick=10_000, rigorous=20_000), uses=("call_at", "sleep"),
          timed=("call_at",))
def _arm_cancel_churn(rt, n):
    """M timers armed an hour away and each cancelled right after arming (timeouts that
    never fire), then one sleep(0), so a loop that cleans cancelled timers lazily pays
    for it inside the measure."""
    rng = random.Random(n)
    offsets = [FAR + rng.random() for _ in range(n)]

    async def main():
        call_at, base, armed = rt.call_at, rt.now(), 0
        for offset in offsets:
            call_at(base + offset, _nothing).cancel()
            armed += 1
        await rt.sleep(0)
        return armed
    return main


# ---------------------------------------------------------------------- tasks
def _taking_turns(tasks: int, doc: str):
    """``tasks`` tasks, started in the runtime's own task group, each ``await sleep(0)``
    N times: every sleep(0) sends the task to the back of the ready queue."""
    def build(rt, n):
        async def main():
            turns = [0]

            async def player():
                sleep = rt.sleep
                for _ in range(n):
                    await sleep(0)
                turns[0] += n

            async with rt.task_group() as group:
                for _ in range(tasks):
                    await group.spawn(player)
            return turns[0]
        return main
    build.__doc__ = doc
    return build


workload("tasks.switch", title="task switch: sleep(0) ping-pong", unit="switches",
         size=Size(default=2_500, quick=2_000, rigorous=5_000), uses=("task_group", "sleep"), timed=("sleep",),
         ops_per_n=2)(_taking_turns(2, """Two tasks, started in the runtime's own task group, each
         await sleep(0) R times: with only these two ready, each sleep(0) hands the turn to the
         other."""))


@workload("tasks.spawn_join", title="spawn+join", unit="tasks",
          size=Size(default=2_000, quick=1_000, rigorous=20_000), uses=("task_group",))
def _spawn_join(rt, n):
    """S trivial tasks spawned in the runtime's own task group and joined at its exit
    (trio: a nursery; asyncio: TaskGroup; curio: TaskGroup; anyio: a task group; our
    loops: create_task, then await each): the whole life of a task."""
    async def main():
        finished = [0]

        async def trivial():
            finished[0] += 1

        async with rt.task_group() as group:
            spawn = group.spawn
            for _ in range(n):
                await spawn(trivial)
        return finished[0]
    return main


RR_TASKS = 100

workload("tasks.round_robin", title="sleep(0) round-robin", unit="switches",
         size=Size(default=20, quick=10), uses=("task_group", "sleep"), timed=("sleep",),
         ops_per_n=RR_TASKS)(_taking_turns(RR_TASKS, """100 tasks each yield R times with sleep(0):
         the ready queue holds 100 tasks and every yield goes to the back of it (a switch among
         many, where the ping-pong is between two)."""))


#: The micro-suite's 1M timers on the virtual clock, beside a bare heapq floor (our loops
#: only: no peer takes a virtual clock). Its program is in ``harness/workloads/microbench/test_million.py``.
VIRTUAL_CLOCK_TIMERS = "timers.virtual_clock"

CALL_SOON_CHAIN = WORKLOADS["callbacks.call_soon_chain"]
ARM_CANCEL_CHURN = WORKLOADS["timers.arm_cancel_churn"]
TASK_SWITCH = WORKLOADS["tasks.switch"]
SPAWN_JOIN = WORKLOADS["tasks.spawn_join"]


def emulated_ops(wl: Workload, rt: Runtime) -> list[str]:
    """The timed operations ``rt`` only has as a harness-built emulation."""
    return [op for op in wl.timed_ops if rt.how(op) == "emulated"]


def unsupported_ops(wl: Workload, rt: Runtime) -> list[str]:
    return [op for op in wl.uses if rt.how(op) == "unsupported"]


__all__ = ["REFERENCE", "CLOCKS", "CELLS_VAR", "wanted_cells", "Size", "Workload", "Plan", "Plans", "WORKLOADS", "workload", "get", "emulated_ops", "unsupported_ops",
           "CALL_SOON_CHAIN", "ARM_CANCEL_CHURN", "TASK_SWITCH", "SPAWN_JOIN",
           "VIRTUAL_CLOCK_TIMERS"]

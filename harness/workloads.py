"""Workloads: each measured program defined once, with its sizes and its unit.

A workload is a small program that performs a known number of operations on a
runtime, through the neutral interface (``harness/runtime.py``), and returns that
number, so a runtime that silently drops work cannot post a fast time. One round is
one complete ``rt.run(main)`` on a fresh loop: creation and teardown included,
amortised over the operations.

One definition, three users:

* ``make bench``'s micro-suite (``harness/microbench``, driven by pytest-benchmark)
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

import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from . import profile
from .runtime import Runtime


@dataclass(frozen=True)
class Size:
    """A size per profile: ``default`` for reports, ``quick`` for smoke runs."""
    default: int
    quick: int

    def __call__(self) -> int:
        return profile.pick(default=self.default, quick=self.quick)


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
    rounds: Size = Size(default=5, quick=3)
    warmup: int = 1                  #: untimed rounds first (0 where one round warms itself up)
    doc: str = ""
    #: Predict a round's time from two small untimed runs first, and skip a runtime whose
    #: round would overrun ``ROUND_BUDGET`` (a cost that grows faster than N: curio's and
    #: tinyio's spawn, the list loop's timer scans).
    calibrate: bool = False

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
        """(seconds one round at N should take, fitted exponent k), from one untimed run at
        N/10 and one at N/5. The larger is extrapolated with n^max(k, 1): every operation is
        done, so no cost grows slower than linearly."""
        import time

        sizes, times = (max(1, self.n // 10), max(2, self.n // 5)), []
        for n in sizes:
            start = time.perf_counter()
            rt.run(self.build(rt, n))
            times.append(max(time.perf_counter() - start, 1e-9))
        k = math.log(times[1] / times[0]) / math.log(sizes[1] / sizes[0])
        return times[1] * (self.n / sizes[1]) ** max(k, 1.0), k

    def run_round(self, rt: Runtime) -> None:
        """One round, checked: raises AssertionError if the runtime did not do all the work."""
        done = rt.run(self.main(rt))
        if done != self.ops:
            raise AssertionError(f"{rt.name}: {self.name}: did {done!r} operations, expected {self.ops}")


#: The most one round may be predicted to take (seconds) before a runtime is skipped as
#: "too slow" (``Workload.calibrate``), per profile.
ROUND_BUDGET = Size(default=8, quick=5)

#: Every workload, by name, in the order reports show them.
WORKLOADS: dict[str, Workload] = {}


def workload(name: str, *, title: str, unit: str, size: Size, uses: tuple[str, ...],
             timed: tuple[str, ...] | None = None, ops_per_n: int = 1,
             rounds: Size = Size(default=5, quick=3), warmup: int = 1, calibrate: bool = False) -> Callable:
    """Register ``build(rt, n) -> main`` as a workload; its docstring is the workload's."""
    def register(build):
        wl = Workload(name, title, unit, size, tuple(uses), build, timed, ops_per_n, rounds, warmup,
                      " ".join((build.__doc__ or "").split()), calibrate)
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
          size=Size(default=20_000, quick=5_000), uses=("call_soon", "event"), timed=("call_soon",))
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


for _label, _size, _rounds, _warmup in (("small", Size(1_000, 1_000), Size(5, 3), 1),
                                        ("medium", Size(10_000, 10_000), Size(5, 3), 1),
                                        ("large", Size(100_000, 20_000), Size(3, 2), 0)):
    workload(f"timers.fired_{_label}", title="timers scheduled+fired", unit="timers", size=_size,
             uses=("call_at", "event"), timed=("call_at",), rounds=_rounds, warmup=_warmup,
             calibrate=_label == "large")(_scheduled_and_fired)


@workload("timers.arm_cancel_churn", title="arm+cancel churn", unit="timers armed+cancelled",
          size=Size(default=50_000, quick=10_000), uses=("call_at", "sleep"), timed=("call_at",))
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
         size=Size(default=10_000, quick=2_000), uses=("task_group", "sleep"), timed=("sleep",),
         ops_per_n=2)(_taking_turns(2, """Two tasks, started in the runtime's own task group, each
         await sleep(0) R times: with only these two ready, each sleep(0) hands the turn to the
         other."""))


@workload("tasks.spawn_join", title="spawn+join", unit="tasks",
          size=Size(default=20_000, quick=2_000), uses=("task_group",),
          rounds=Size(default=3, quick=3), warmup=0, calibrate=True)
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
         size=Size(default=50, quick=10), uses=("task_group", "sleep"), timed=("sleep",),
         ops_per_n=RR_TASKS)(_taking_turns(RR_TASKS, """100 tasks each yield R times with sleep(0):
         the ready queue holds 100 tasks and every yield goes to the back of it (a switch among
         many, where the ping-pong is between two)."""))


#: The micro-suite's 1M timers on the virtual clock, beside a bare heapq floor (our loops
#: only: no peer takes a virtual clock). Its program is in ``harness/microbench/test_million.py``.
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


__all__ = ["Size", "Workload", "WORKLOADS", "workload", "get", "emulated_ops", "unsupported_ops",
           "CALL_SOON_CHAIN", "ARM_CANCEL_CHURN", "TASK_SWITCH", "SPAWN_JOIN",
           "VIRTUAL_CLOCK_TIMERS"]

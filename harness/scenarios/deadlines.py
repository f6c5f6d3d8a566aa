"""Deadlines: tasks sleeping until an absolute time, in every library's own idiom.

Every library has a way for a task to sleep until a deadline (``rt.sleep_until``:
asyncio's ``call_at`` with a future, ``trio.sleep_until``, ``anyio.sleep_until``,
curio's relative ``sleep``, our loops' ``call_at``), where only some have plain
timer callbacks. So these scenarios, not ``timers.*``, show how each library
orders and delivers deadlines: nothing of the harness stands between the task and
the library's timer queue. The tasks are started in the runtime's own task group.

All three are observed, not judged: no library documents an order for equal
deadlines, and deadlines that fall due in one batch may run in any order the
scheduler chooses.
"""

from __future__ import annotations

import random

from .registry import UNIT, latency, scenario
from .latency import TIMER_DELAY, task_lateness

#: Tasks that sleep until one shared deadline.
TASKS = 100
SEED = 2014


@scenario(
    "deadlines.equal",
    needs=("task_group", "sleep_until"), quick=True, repeat=20,
    explain="100 tasks sleep until one shared deadline; the trace is their wake order. Our "
            "loops fire equal deadlines in scheduling order (their contract says so); asyncio's "
            "heap compares deadlines only, so equal ones come out in heap order; trio keeps "
            "sleepers in a deadline-keyed structure and randomises each run batch; curio's "
            "sleeps are relative, so each task's deadline differs by the time it took to start.",
)
async def equal(rt, trace):
    """Tasks 0..99 all sleep until one deadline: in what order do they wake?"""
    deadline = rt.now() + 3 * UNIT            # starting 100 tasks takes a few ms, even on trio

    async def sleeper(i):
        await rt.sleep_until(deadline)
        trace.append(i)

    async with rt.task_group() as group:
        for i in range(TASKS):
            await group.spawn(sleeper, i)


@scenario(
    "deadlines.ordered",
    timing_sensitive=True,
    needs=("task_group", "sleep_until"), quick=True, repeat=20,
    explain="30 tasks spawned in a shuffled order, each sleeping until its own deadline, 1 ms "
            "apart; the trace is the wake order by deadline rank. A loop that fires by deadline "
            "gives 0..29; deadlines that fall due in one batch (a busy machine) may be run in "
            "the scheduler's batch order instead.",
)
async def ordered(rt, trace):
    """Distinct deadlines, spawned in random order: do they wake earliest first?"""
    ranks = list(range(30))
    random.Random(SEED).shuffle(ranks)
    base = rt.now() + 2 * UNIT                # starting 30 tasks takes a few ms, even on trio

    async def sleeper(rank):
        await rt.sleep_until(base + rank * 0.001)
        trace.append(rank)

    async with rt.task_group() as group:
        for rank in ranks:
            await group.spawn(sleeper, rank)


@latency("deadlines.lateness", needs=("sleep_until",), quick=True, sampled=True, sleeps=True,
         explain="How late a task wakes from a native absolute-deadline sleep 1 ms ahead, by the "
                 "wall clock (perf_counter) and by the runtime's own clock. Negative means early: "
                 "uvloop's clock counts whole milliseconds, so its timers can fire up to ~1 ms "
                 "early by the wall clock while on time by its own.")
def lateness(rt, metrics):
    """Lateness of ``sleep_until(now + 1 ms)``: woken minus due, min/p50/p99 and early firings."""
    metrics.update(task_lateness(rt, rt.sleep_until), delay_s=TIMER_DELAY)

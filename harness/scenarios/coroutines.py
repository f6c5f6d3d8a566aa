"""Coroutine scenarios: scheduling order, fast paths, cancellation, timeouts, errors, queues, context.

Every scenario speaks only to the neutral runtime (``rt.*``). Exceptions are recorded
by kind, not by library: ``"cancellation"`` when ``rt.is_cancellation(exc)``, else the
exception's type name, so the same outcome on two libraries gives the same trace.
"""

from __future__ import annotations

import contextvars
import json
import random

from ..runtimes.interface import Cancelled
from .registry import ORDERABLE_SPACING, UNIT, observation, scenario

#: Seed of every random choice in this module.
SEED = 2014


def _what(rt, exc: BaseException) -> str:
    """"cancellation" for the runtime's cancellation exception, else the exception's type name."""
    return "cancellation" if rt.is_cancellation(exc) else type(exc).__name__


def _plain(value):
    """A JSON-friendly copy with dictionary keys sorted, so traces compare equal across runs."""
    return json.loads(json.dumps(value, sort_keys=True, default=repr))


async def _join_all(rt, refs):
    for ref in refs:
        await rt.join(ref)


#: A child's sleep that its parent cancels one UNIT in: a hundred times longer.
CHILD_SLEEP = 100 * UNIT


async def _cancel_and_join(rt, trace, child) -> None:
    """Spawn ``child``, cancel it one UNIT later, join it, and record how the join ended."""
    ref = rt.spawn(child)
    await rt.sleep(UNIT)
    rt.cancel(ref)
    try:
        result = await rt.join(ref)
        trace.append(["join returned", result])
    except Cancelled:
        trace.append("join raised Cancelled")
    except Exception as exc:
        trace.append(["join raised", type(exc).__name__])


# --------------------------------------------------------------------- ordering
#: ``coroutines.sleep_order``: this many tasks wake ORDERABLE_SPACING (3 ms) apart.
N_SLEEPERS = 10


@scenario(
    "coroutines.sleep_order",
    documented_by=("asyncio",),
    timing_sensitive=True,
    expected=list(range(N_SLEEPERS)),
    needs=("spawn", "join", "sleep"),
    explain="Wake-up times are 3 ms apart, far more than any loop's clock resolution, so every "
            "loop should wake the tasks in deadline order.",
)
async def sleep_order(rt, trace):
    """Ten tasks, spawned in random order, sleep until times 3 ms apart: do they wake earliest first?

    The coroutine face of deadline order: whatever the spawn order, the task due first
    wakes first. Each task sleeps ``until - rt.now()`` towards a time fixed by the parent
    (so a pause between task starts cannot reorder them) and records its rank, so a
    correct loop yields 0, 1, 2, ...
    """
    order = list(range(N_SLEEPERS))
    random.Random(SEED).shuffle(order)
    start = rt.now() + UNIT

    async def sleeper(k):
        await rt.sleep(max(0.0, start + k * ORDERABLE_SPACING - rt.now()))
        trace.append(k)

    await _join_all(rt, [rt.spawn(sleeper, k) for k in order])


@observation(
    "coroutines.spawn_runs_first",
    needs=("spawn", "join", "sleep"),
    quick=True,
    explain="asyncio, curio and our loops queue a new task behind the running one (FIFO), so "
            "the child runs during the parent's first sleep(0). trio reverses each batch of "
            "runnable tasks at random, so the parent may resume first.",
)
async def spawn_runs_first(rt, trace):
    """After spawn(), does the parent continue before the child's first step, and has the child run after one sleep(0)?

    Code that spawns a worker and then assumes it has started (registered a handler,
    taken a lock) after one yield works on some loops and races on others.
    """
    async def child():
        trace.append("child: first step")
        await rt.sleep(0)
        trace.append("child: second step")

    ref = rt.spawn(child)
    trace.append("parent: continues after spawn")
    await rt.sleep(0)
    trace.append("parent: after one sleep(0)")
    await rt.join(ref)


#: ``coroutines.spawn_order`` and the wake-order scenarios: this many tasks.
N_BATCH = 10


@observation(
    "coroutines.spawn_order",
    needs=("spawn", "join"),
    explain="FIFO ready queues (asyncio, curio, ours) start tasks in spawn order; trio reverses "
            "each batch with probability 1/2 on purpose, so code cannot rely on it.",
)
async def spawn_order(rt, trace):
    """Ten tasks spawned in a row: do they take their first step in spawn order?

    A user who spawns workers 0..9 and expects them to register in that order is relying
    on the scheduler's queue discipline.
    """
    async def task(k):
        trace.append(k)

    await _join_all(rt, [rt.spawn(task, k) for k in range(N_BATCH)])


@observation(
    "coroutines.wake_order_same_sleep",
    needs=("spawn", "join", "sleep"),
    explain="Deadlines of sleeps started in one batch differ by microseconds: fine clocks wake "
            "them in start order, uvloop's millisecond clock makes them equal (FIFO there); "
            "trio may reverse the whole woken batch.",
)
async def wake_order_same_sleep(rt, trace):
    """Ten tasks sleep the same 2 UNIT, started together: do they wake in the order they started?

    Each task records its *start* rank when it wakes, so the trace isolates the wake-up
    order from the spawn order: 0..9 means "woken in start order". Matters for fan-out
    code that expects equal timeouts to resolve in a stable order.
    """
    started = []

    async def task(k):
        rank = len(started)
        started.append(k)
        await rt.sleep(2 * UNIT)
        trace.append(rank)

    await _join_all(rt, [rt.spawn(task, k) for k in range(N_BATCH)])


@observation(
    "coroutines.wake_order_event",
    needs=("spawn", "join", "sleep", "event"),
    explain="asyncio and our loops keep an event's waiters in a FIFO; trio and curio keep them in "
            "a set, so the wake-up order is arbitrary and changes from run to run.",
)
async def wake_order_event(rt, trace):
    """Ten tasks wait on one event, set once: do they wake in the order they started waiting?

    Each task records its rank in the waiting order when it wakes (0..9 means FIFO). A
    broadcast that wakes waiters in a stable order makes "first come, first served"
    designs possible; a set-based one does not.
    """
    ev = rt.event()
    waiting = []

    async def waiter(k):
        rank = len(waiting)
        waiting.append(k)
        await ev.wait()
        trace.append(rank)

    refs = [rt.spawn(waiter, k) for k in range(N_BATCH)]
    await rt.sleep(UNIT)                                    # everyone is waiting by now
    ev.set()
    await _join_all(rt, refs)


#: ``coroutines.sleep0_round_robin``: this many tasks, each yielding this many times.
N_YIELDERS = 3
N_ROUNDS = 4


@observation(
    "coroutines.sleep0_round_robin",
    needs=("spawn", "join", "sleep"),
    explain="A FIFO ready queue gives strict round robin (0 1 2 0 1 2 ...); trio reverses each "
            "batch at random, so each round may run backwards.",
)
async def sleep0_round_robin(rt, trace):
    """Three tasks each record their id and sleep(0), four times: strict round robin?

    sleep(0) is how cooperative code shares the CPU; whether it yields round-robin decides
    how evenly busy tasks progress.
    """
    async def task(k):
        for _ in range(N_ROUNDS):
            trace.append(k)
            await rt.sleep(0)

    await _join_all(rt, [rt.spawn(task, k) for k in range(N_YIELDERS)])


# --------------------------------------------------------------------- fast paths
#: ``coroutines.fast_path_yields``: fast-path operations per phase.
N_FAST = 3


@observation(
    "coroutines.fast_path_yields",
    needs=("spawn", "join", "sleep", "event", "lock"),
    explain="asyncio, curio and our loops return at once from a wait on a set event or from "
            "acquiring a free lock (no yield); trio and anyio make every such operation a "
            "checkpoint that lets other tasks run.",
)
async def fast_path_yields(rt, trace):
    """Waiting on an already-set event / taking a free lock three times: do other tasks get to run in between?

    The parent does three fast-path operations while a sibling B logs and yields. "A0 A1
    A2 B0 ..." means the operations never yield; interleaving means each is a scheduling
    point. A loop that never yields there can starve siblings in a tight loop; one that
    always does costs a context switch.
    """
    async def other(steps):
        for i in range(N_FAST):
            steps.append(f"B{i}")
            await rt.sleep(0)

    ev = rt.event()
    ev.set()
    lock = rt.lock()
    for phase in ("event.wait() on a set event", "a free lock"):
        steps: list[str] = []
        ref = rt.spawn(other, steps)
        for i in range(N_FAST):
            if phase == "a free lock":
                async with lock:
                    steps.append(f"A{i}")
            else:
                await ev.wait()
                steps.append(f"A{i}")
        await rt.join(ref)
        trace.append([phase, " ".join(steps)])


# --------------------------------------------------------------------- cancellation
@scenario(
    "coroutines.cancel_at_await",
    documented_by=("asyncio", "trio", "curio", "anyio"),
    expected=["child waiting", ["child interrupted by", "cancellation"], "child finally ran",
              "join raised Cancelled"],
    needs=("spawn", "join", "cancel", "sleep"),
    quick=True,
    explain="Every library delivers cancellation as an exception at the task's current await "
            "and runs its finally blocks; how the joiner learns of it differs underneath, and "
            "the adapters map it to Cancelled.",
)
async def cancel_at_await(rt, trace):
    """Cancel a task while it sleeps: is it interrupted at that await, does its finally run, does join raise Cancelled?

    The contract every cleanup path depends on: cancellation arrives where the task
    waits, as an exception, and finally blocks (closing sockets, releasing locks) run.
    """
    async def child():
        try:
            trace.append("child waiting")
            # Far longer than the cancel's UNIT: a loaded machine stalling the parent must
            # not let the child finish first (cancelled, it costs nothing).
            await rt.sleep(CHILD_SLEEP)
            trace.append("child slept to the end (not cancelled)")
        except BaseException as exc:
            trace.append(["child interrupted by", _what(rt, exc)])
            raise
        finally:
            trace.append("child finally ran")

    await _cancel_and_join(rt, trace, child)


@observation(
    "coroutines.swallow_cancel",
    needs=("spawn", "join", "cancel", "sleep"),
    explain="asyncio and curio deliver a cancellation once (edge-triggered): after swallowing it "
            "the task runs on normally. trio and anyio cancel a scope, not an await: every "
            "later await in the cancelled scope raises again (level-triggered).",
)
async def swallow_cancel(rt, trace):
    """A task catches its cancellation and awaits again: do its next awaits complete or raise again?

    Code that catches "everything" (``except BaseException``, a broad retry loop) can
    swallow a cancellation. On an edge-triggered loop the task then lives on, unaware;
    on a level-triggered one it cannot. Each await after the swallow is a bounded sleep.
    """
    async def child():
        try:
            await rt.sleep(CHILD_SLEEP)
            trace.append("child slept to the end (not cancelled)")
        except BaseException as exc:
            if not rt.is_cancellation(exc):
                raise
            trace.append("child swallowed the cancellation")
        for n in (1, 2):
            try:
                await rt.sleep(UNIT)
                trace.append([f"await {n} after swallowing", "completed"])
            except BaseException as exc:
                if not rt.is_cancellation(exc):
                    raise
                trace.append([f"await {n} after swallowing", "cancelled again"])
        return "child finished"

    await _cancel_and_join(rt, trace, child)


# --------------------------------------------------------------------- timeouts
async def _nested_timeouts(rt, trace, outer_s: float, inner_s: float, body_s: float) -> None:
    try:
        async with rt.timeout(outer_s):
            try:
                async with rt.timeout(inner_s):
                    try:
                        await rt.sleep(body_s)
                        trace.append("body finished")
                    except BaseException as exc:
                        trace.append(["body interrupted by", _what(rt, exc)])
                        raise
            except BaseException as exc:
                trace.append(["escaped the inner block", _what(rt, exc)])
                raise
            trace.append("after the inner block")
    except BaseException as exc:
        trace.append(["escaped the outer block", _what(rt, exc)])
        if not isinstance(exc, Exception):      # a cancellation that is not ours to keep
            raise
    await rt.sleep(0)
    trace.append("task still runs after the timeouts")


@observation(
    "coroutines.nested_timeout_inner_fires",
    needs=("timeout", "sleep"),
    explain="The contract is TimeoutError out of the block that expired; what the body sees "
            "differs (asyncio CancelledError, trio Cancelled, curio TaskTimeout), and curio "
            "turns an inner timeout left uncaught inside an outer one into UncaughtTimeoutError.",
)
async def nested_timeout_inner_fires(rt, trace):
    """A 1-UNIT timeout inside a 10-UNIT one, around a 5-UNIT sleep: which fires, and what is raised where?

    Nested deadlines (a per-request timeout inside a per-connection one) are everywhere;
    the inner one should fire, raise TimeoutError out of itself, and leave the outer one
    untouched.
    """
    await _nested_timeouts(rt, trace, outer_s=10 * UNIT, inner_s=1 * UNIT, body_s=5 * UNIT)


@observation(
    "coroutines.nested_timeout_outer_fires",
    needs=("timeout", "sleep"),
    explain="Only the outer block expired, so it alone should turn the cancellation into "
            "TimeoutError; the inner block must let the cancellation through untouched. "
            "Libraries differ in the exception types on the way.",
)
async def nested_timeout_outer_fires(rt, trace):
    """A 10-UNIT timeout inside a 1-UNIT one, around a 5-UNIT sleep: does the outer fire and the inner stay out of it?

    The harder half of nesting: an inner timeout that has not expired must not claim the
    outer one's cancellation (a classic asyncio.wait_for bug before 3.11).
    """
    await _nested_timeouts(rt, trace, outer_s=1 * UNIT, inner_s=10 * UNIT, body_s=5 * UNIT)


# --------------------------------------------------------------------- errors in children
#: The sibling's sleep in the error scenarios (the failing children fail after 1 UNIT).
SIBLING_SLEEP = 6 * UNIT


async def _two_errors(rt, trace, run) -> None:
    go = rt.event()          # one event wakes both failing children: they fail in the same batch

    async def trigger():
        await rt.sleep(UNIT)
        go.set()

    async def fail(exc):
        await go.wait()
        trace.append(["child raises", type(exc).__name__])
        raise exc

    async def fail_a():
        await fail(ValueError("a"))

    async def fail_b():
        await fail(TypeError("b"))

    async def sibling():
        try:
            await rt.sleep(SIBLING_SLEEP)
        except BaseException as exc:
            trace.append(["sibling interrupted by", _what(rt, exc)])
            raise
        trace.append("sibling finished its sleep")
        return "sibling result"

    result = await run([fail_a, fail_b, trigger, sibling])
    trace.append(["parent saw", _plain(result)])
    await rt.sleep(SIBLING_SLEEP + UNIT)         # a sibling left running finishes in the trace
    trace.append("parent done")


@observation(
    "coroutines.group_errors",
    needs=("group_errors", "sleep", "event"), measures=("group_errors",),
    explain="TaskGroups and nurseries cancel the sibling and raise an ExceptionGroup of both "
            "errors; its order follows the order the children ran (random on trio). curio's "
            "TaskGroup exits without raising at all. Runtimes without a task group are unsupported.",
)
async def group_errors(rt, trace):
    """Two children raise at the same time while a sibling sleeps, under the native task group: what does the parent see?

    Structured concurrency's central promise: a failing child cancels its siblings and the
    parent gets every error. Which errors arrive, and in what wrapper, decides how error
    handling code must be written on each library.
    """
    await _two_errors(rt, trace, rt.group_errors)


@observation(
    "coroutines.gather_errors",
    needs=("gather_errors", "sleep", "event"), measures=("gather_errors",),
    explain="asyncio.gather raises the first error and leaves the sibling running; anyio.gather "
            "behaves like a task group (cancels, raises a group). Runtimes without a gather are "
            "unsupported.",
)
async def gather_errors(rt, trace):
    """Two children raise at the same time while a sibling sleeps, under gather: what does the parent see, is the sibling left running?

    gather() is the pre-structured way to wait on several tasks; its error semantics
    (first error only, siblings not cancelled) surprise users who expect a task group's.
    """
    await _two_errors(rt, trace, rt.gather_errors)


# --------------------------------------------------------------------- queues
#: Items sent through the capacity-1 queue.
N_ITEMS = 5


@scenario(
    "coroutines.queue_pingpong",
    expected=[x for i in range(N_ITEMS) for x in (["put", i], ["got", i])],
    needs=("spawn", "join", "queue"),
    quick=True,
    explain="With room for one item and no yield on a put that does not block (asyncio, curio, "
            "ours), puts and gets alternate. trio and anyio memory channels hand an item straight "
            "to a waiting receiver and make every send a checkpoint, so the consumer may log "
            "\"got i\" before the producer's put(i) has returned.",
)
async def queue_pingpong(rt, trace):
    """A producer puts 0..4 into a queue of size 1 while a consumer gets: do puts and gets strictly alternate?

    Bounded queues are how coroutine programs apply back-pressure; a size-1 queue should
    keep the producer exactly one item ahead of the consumer.
    """
    q = rt.queue(1)

    async def producer():
        for i in range(N_ITEMS):
            await q.put(i)
            trace.append(["put", i])

    async def consumer():
        for _ in range(N_ITEMS):
            item = await q.get()
            trace.append(["got", item])

    await _join_all(rt, [rt.spawn(producer), rt.spawn(consumer)])


# --------------------------------------------------------------------- contextvars
_VAR: contextvars.ContextVar[str] = contextvars.ContextVar("loopbench_scenario_var", default="unset")


@observation(
    "coroutines.contextvars",
    needs=("spawn", "join", "sleep"),
    explain="asyncio, trio and anyio give each task a copy of the spawner's context at spawn "
            "time. curio's default tasks (and loops whose tasks do not run in a context of "
            "their own) share one context, so every change is visible everywhere.",
)
async def contextvars_isolation(rt, trace):
    """Is a context variable set before spawn seen by the child, and are later changes (either side) isolated?

    Request ids, tracing spans and locale settings live in contextvars; a loop that does
    not copy the context per task leaks one request's values into another's.
    """
    _VAR.set("set before spawn")

    async def child():
        trace.append(["child at start", _VAR.get()])
        await rt.sleep(2 * UNIT)
        trace.append(["child after parent changed it", _VAR.get()])
        _VAR.set("set by child")

    ref = rt.spawn(child)
    _VAR.set("set right after spawn")
    await rt.sleep(UNIT)
    _VAR.set("set while child sleeps")
    await rt.join(ref)
    trace.append(["parent after join", _VAR.get()])

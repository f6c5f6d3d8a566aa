"""Callback scenarios: ``call_soon`` order, what runs in which iteration, ``stop()``, errors.

The ``mode="forever"`` scenarios are plain functions: ``rt.run_forever(setup)`` calls
them to schedule callbacks, then runs the loop until a callback calls ``rt.stop()``.
Each arms a guard timer that stops the loop if ``stop()`` did not, so a loop that
ignores ``stop()`` shows it in the trace instead of hanging.
"""

from __future__ import annotations

from .registry import UNIT, observation, scenario
from .recording import final_step, recorder

#: How many callbacks ``callbacks.fifo`` schedules.
N_SOON = 50
#: Forever-mode scenarios: the guard timer stops the loop after this long.
GUARD = 10 * UNIT


def _arm_guard(rt, trace):
    def guard():
        trace.append("guard timer stopped the loop")
        rt.stop()
    rt.call_at(rt.now() + GUARD, guard)


@scenario(
    "callbacks.fifo",
    documented_by=("asyncio", "trio"),
    expected=list(range(N_SOON)),
    needs=("call_soon", "event"), measures=("call_soon",),
    quick=True,
    explain="call_soon is FIFO in every loop that has it (asyncio documents it, trio's "
            "run_sync_soon promises it). On curio and anyio call_soon is built by the harness "
            "(one service task draining a FIFO), so their cell shows that construction.",
)
async def fifo(rt, trace):
    """Fifty call_soon callbacks: do they run in the order they were scheduled?

    The most basic ordering promise of a callback loop; protocols built on callbacks
    (a stream's data_received then eof_received) rely on it.
    """
    done = rt.event()
    record = recorder(trace, until=N_SOON, done=done)
    for i in range(N_SOON):
        rt.call_soon(record, i)
    await done.wait()


@scenario(
    "callbacks.scheduled_during_iteration",
    expected=["A", "B", "C", "A2 (scheduled by A)", "B2 (scheduled by B)"],
    needs=("call_soon", "event"), measures=("call_soon",),
    explain="A callback scheduled by a running callback goes to the back of the queue in a FIFO "
            "loop; a loop that ran it at once (a stack, or an eager call) would put A2 right "
            "after A.",
)
async def scheduled_during_iteration(rt, trace):
    """A and B each schedule a follow-up with call_soon: do the follow-ups run after C, queued before them?

    Whether work scheduled from a callback jumps the queue decides fairness: a callback
    that keeps scheduling follow-ups must not run ahead of work that was already waiting.
    """
    done = rt.event()
    record = recorder(trace, until=5, done=done)

    def a():
        record("A")
        rt.call_soon(record, "A2 (scheduled by A)")

    def b():
        record("B")
        rt.call_soon(record, "B2 (scheduled by B)")

    rt.call_soon(a)
    rt.call_soon(b)
    rt.call_soon(record, "C")
    await done.wait()


@observation(
    "callbacks.past_deadline_vs_soon",
    needs=("call_soon", "call_at", "event"), measures=("call_soon", "call_at"),
    explain="asyncio (and our loops) move an expired timer to the ready queue at the start of the "
            "next iteration, after callbacks already queued; uvloop turns a past deadline into "
            "call_soon at once, so it runs in arming order.",
)
async def past_deadline_vs_soon(rt, trace):
    """call_soon, call_at(a deadline already past), call_soon: where does the expired timer run?

    Code that computes a deadline which turns out to be in the past (a timeout of 0, a
    late reschedule) gets "as soon as possible", but "soon" relative to other ready
    callbacks is not the same in every loop.
    """
    done = rt.event()
    record = recorder(trace, until=3, done=done)
    rt.call_soon(record, "soon 1")
    rt.call_at(rt.now() - UNIT, record, "timer already due")
    rt.call_soon(record, "soon 2")
    await done.wait()


@observation(
    "callbacks.soon_vs_sleep0",
    needs=("call_soon", "sleep", "event"), measures=("call_soon", "sleep"),
    explain="In asyncio and our loops a task's sleep(0) queues its next step behind the callback "
            "already scheduled; trio runs callbacks from a system task whose turn depends on "
            "its batch order; on curio and anyio the harness's service task runs the callbacks, "
            "so their cell shows where that task's turn falls.",
)
async def soon_vs_sleep0(rt, trace):
    """A task schedules a callback, then yields once with sleep(0): does the callback run before it resumes?

    Mixing callback-style code with coroutines (a library that reports through
    call_soon) works only if "yield once" lets pending callbacks run first.
    """
    ran = rt.event()
    rt.call_soon(final_step(trace, "callback", ran))
    trace.append("task yields with sleep(0)")
    await rt.sleep(0)
    trace.append("task resumed")
    await ran.wait()


# --------------------------------------------------------------------- stop()
@scenario(
    "callbacks.stop_after_batch",
    documented_by=("asyncio",),
    expected=["A calls stop()", "B (same batch as A)"],
    needs=("call_soon", "call_at", "run_forever", "stop"),
    mode="forever",
    quick=True,
    explain="asyncio documents that stop() lets the current batch of callbacks finish and that "
            "callbacks they schedule wait for the next run. uvloop implements stop() as a "
            "callback of its own, so it may run one more batch.",
)
def stop_after_batch(rt, trace):
    """A calls stop(); B, in the same batch, schedules C. Does B run? Does C (the next batch) not run?

    The contract of run_forever/stop that servers and test fixtures use to shut a loop
    down at a precise point: the current batch completes, nothing after it runs.
    """
    def a():
        trace.append("A calls stop()")
        rt.stop()

    def b():
        trace.append("B (same batch as A)")
        rt.call_soon(trace.append, "C (scheduled by B, next batch)")

    rt.call_soon(a)
    rt.call_soon(b)
    _arm_guard(rt, trace)


@scenario(
    "callbacks.stop_before_run",
    documented_by=("asyncio",),
    expected=["A (scheduled before run)"],
    needs=("call_soon", "call_at", "run_forever", "stop"),
    mode="forever",
    explain="asyncio documents that stop() before run_forever() makes the loop run one batch of "
            "what is already scheduled, then return; B, scheduled by A, waits for a later run.",
)
def stop_before_run(rt, trace):
    """stop() is called before the loop starts: does it run exactly the already scheduled batch, then return?

    The idiom "run everything that is pending once" (``loop.stop(); loop.run_forever()``)
    used by test helpers and shutdown code.
    """
    def a():
        trace.append("A (scheduled before run)")
        rt.call_soon(trace.append, "B (scheduled by A)")

    rt.call_soon(a)
    rt.stop()
    _arm_guard(rt, trace)


# --------------------------------------------------------------------- errors
class CallbackBoom(Exception):
    """Raised on purpose by a call_soon callback."""


@observation(
    "callbacks.callback_raises",
    needs=("call_soon", "event"), measures=("call_soon",),
    quick=True,
    crash_is_outcome=True,
    explain="asyncio and our loops report the exception to the loop's exception handler (logged) "
            "and run the next callback. trio treats a raising run_sync_soon callback as a bug: "
            "it finishes the batch, then raises TrioInternalError out of the run (trio's own "
            "behaviour). curio and anyio have no plain callbacks: the harness builds call_soon "
            "with a service task, and that the run then ends with the error is the harness's "
            "choice, not the library's behaviour.",
)
async def callback_raises(rt, trace):
    """Three call_soon callbacks, the middle one raises: does the third still run, and the loop survive?

    Tells a user whether a bug in one callback is contained (logged, program continues) or
    fatal to the whole loop. The trace ends with ["loop raised", type] when it escapes.
    """
    done = rt.event()

    def boom():
        trace.append("B raises")
        raise CallbackBoom("raised on purpose by a callback")

    rt.call_soon(trace.append, "A")
    rt.call_soon(boom)
    rt.call_soon(final_step(trace, "C ran", done))
    await done.wait()
    trace.append("main resumed")

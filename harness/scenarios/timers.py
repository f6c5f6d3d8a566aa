"""Timer scenarios: ``call_at`` / ``call_later`` deadlines, ties, cancellation, starvation, errors.

Every scenario speaks only to the neutral runtime (``rt.*``). Deadlines are
multiples of ``UNIT`` past ``rt.now()`` taken once at the start, so the trace
records *order* and *outcome*, never a duration.
"""

from __future__ import annotations

import random

from impls.slides import slides_program

from .registry import ORDERABLE_SPACING, UNIT, observation, scenario
from .recording import final_step, recorder

#: Seed of every random choice in this module.
SEED = 2014


# --------------------------------------------------------------------- the slides
@scenario(
    "timers.slides",
    documented_by=("asyncio",),
    expected=["Hello World!", "Good bye."],
    needs=("call_at", "event"), measures=("call_at",),
    quick=True,
    explain="Three timers armed out of deadline order; any loop that fires timers by deadline "
            "agrees. On trio, curio and anyio call_at is built by the harness (a service task "
            "with a timer heap), so their cell shows that construction.",
)
async def slides(rt, trace):
    """The talk's example: hello at 1, exit at 5, good-bye at 2. Does each timer fire by deadline?

    Timers are armed out of deadline order (1, 5, 2), as on the slide, and the scenario
    ends when the "exit" timer fires. The least a user can ask of a loop: timers fire by
    deadline, not in the order they were armed.
    """
    exit_ = rt.event()
    slides_program(rt, say=trace.append, stop=exit_.set, start=rt.now(), unit=UNIT)
    await exit_.wait()


@scenario(
    "timers.slides_forever",
    documented_by=("asyncio",),
    expected=["Hello World!", "Good bye."],
    needs=("call_at", "run_forever", "stop"),
    mode="forever",
    explain="The slides' code verbatim (call_at + stop + run_forever). Only runtimes with a "
            "run_forever/stop callback loop can run it; the others are unsupported.",
)
def slides_forever(rt, trace):
    """The slides' example verbatim: call_at hello at 1, stop at 5, good-bye at 2, run_forever.

    The same program as ``timers.slides``, written as on the slide, with ``stop()`` as the
    exit. It tells a user whether the loop offers the callback-loop API at all.
    """
    slides_program(rt, say=trace.append, start=rt.now(), unit=UNIT)


# --------------------------------------------------------------------- ordering
#: How many timers share one deadline in ``timers.equal_deadlines``.
N_EQUAL = 20


@scenario(
    "timers.equal_deadlines",
    expected=list(range(N_EQUAL)),
    needs=("call_at", "event"), measures=("call_at",),
    quick=True,
    explain="asyncio keeps timers in a heapq compared by deadline only, and heapq is not "
            "stable, so equal deadlines come out in a fixed but scrambled order. trio, curio and "
            "anyio have no call_at: there the harness builds it (one service task per run with a "
            "FIFO timer heap), so their result here is the harness's construction, not the "
            "library's; deadlines.equal shows each library's own tie order.",
)
async def equal_deadlines(rt, trace):
    """Twenty timers armed for the same deadline: do they fire in the order they were armed (FIFO)?

    Code that arms "do X, then do Y" for the same instant (a debounce, two retries that
    collide) silently depends on this. asyncio does not promise it; our loops do.
    """
    done = rt.event()
    when = rt.now() + 2 * UNIT
    record = recorder(trace, until=N_EQUAL, done=done)
    for i in range(N_EQUAL):
        rt.call_at(when, record, i)
    await done.wait()


#: ``timers.deadline_order``: this many timers, on distinct slots of a grid spaced ORDERABLE_SPACING
#: (3 ms) apart: well above uvloop's 1 ms clock (see ``timers.submillisecond_order``).
N_RANDOM = 20
RANDOM_SLOTS = 25


@scenario(
    "timers.deadline_order",
    documented_by=("asyncio",),
    timing_sensitive=True,
    expected=list(range(N_RANDOM)),
    needs=("call_at", "event"), measures=("call_at",),
    quick=True,
    explain="Deadlines are at least 3 ms apart, so even a millisecond clock can order them; "
            "a failure here means timers do not fire by deadline.",
)
async def deadline_order(rt, trace):
    """Twenty timers with distinct random deadlines (>= 3 ms apart), armed in random order: fired by deadline?

    Each timer records its rank by deadline, so a correct loop yields 0, 1, 2, ... The
    basic promise of a timer queue, checked where it is not trivial (arming order is not
    deadline order).
    """
    rng = random.Random(SEED)
    slots = rng.sample(range(RANDOM_SLOTS), N_RANDOM)          # distinct, in random order
    rank = {slot: r for r, slot in enumerate(sorted(slots))}
    done = rt.event()
    start = rt.now() + 2 * UNIT
    record = recorder(trace, until=N_RANDOM, done=done)
    for slot in slots:
        rt.call_at(start + slot * ORDERABLE_SPACING, record, rank[slot])
    await done.wait()


#: ``timers.submillisecond_order``: this many timers, this far apart (50 µs) ...
N_SUBMS = 20
SUBMS_SPACING = 0.005 * UNIT


@observation(
    "timers.submillisecond_order",
    needs=("call_at", "event"), measures=("call_at",),
    explain="uvloop rounds every delay to whole milliseconds against a millisecond clock, so "
            "deadlines less than 1 ms apart fire in arming order within each millisecond; "
            "loops with a fine clock (asyncio, ours) keep deadline order.",
)
async def submillisecond_order(rt, trace):
    """Twenty timers 50 µs apart, armed latest-first: does the loop still fire them by deadline?

    Shows the resolution of the loop's timer queue. A user scheduling many closely spaced
    events (rate limiting, media, simulations) needs to know whether sub-millisecond
    deadlines keep their order or collapse into millisecond buckets.
    """
    done = rt.event()
    start = rt.now() + 2 * UNIT
    record = recorder(trace, until=N_SUBMS, done=done)
    for i in reversed(range(N_SUBMS)):                          # latest deadline armed first
        rt.call_at(start + i * SUBMS_SPACING, record, i)
    await done.wait()


# --------------------------------------------------------------------- rescheduling
#: How many times the periodic timer fires.
TICKS = 5


@scenario(
    "timers.reschedule_self",
    documented_by=("asyncio",),
    timing_sensitive=True,
    expected=[["tick", 1], ["tick", 2], "one-shot at 2.5", ["tick", 3], ["tick", 4], ["tick", 5]],
    needs=("call_at", "event"), measures=("call_at",),
    explain="A timer callback arming the next tick is ordinary call_at from inside a callback; "
            "every runtime should interleave it with an unrelated one-shot timer by deadline.",
)
async def reschedule_self(rt, trace):
    """A timer that re-arms itself every UNIT five times, next to a one-shot timer at 2.5 UNIT.

    The periodic-task pattern (heartbeats, polling) built from plain timers: re-arming from
    inside a timer callback must work, and the re-armed timer must interleave with other
    timers by deadline. Deadlines are absolute (previous deadline + UNIT), so they do not drift.
    """
    done = rt.event()
    t0 = rt.now()

    def tick(n, when):
        trace.append(["tick", n])
        if n == TICKS:
            done.set()
        else:
            rt.call_at(when + UNIT, tick, n + 1, when + UNIT)

    rt.call_at(t0 + UNIT, tick, 1, t0 + UNIT)
    rt.call_at(t0 + 2.5 * UNIT, trace.append, "one-shot at 2.5")
    await done.wait()


# --------------------------------------------------------------------- cancellation
@scenario(
    "timers.cancel_before_fire",
    documented_by=("asyncio",),
    expected=["A", "D", "cancelling a fired timer is harmless"],
    needs=("call_at", "event"), measures=("call_at",),
    explain="B is cancelled before the loop runs, C by an earlier timer's callback; neither may "
            "run. A runtime whose timer handles cannot be cancelled (or raise when cancelled after "
            "firing) fails here.",
)
async def cancel_before_fire(rt, trace):
    """Cancel one timer before the loop runs and one from an earlier timer's callback: neither fires?

    Timeouts and retries are built by arming a timer and cancelling it when the work
    finishes first. A cancelled timer that still fires is a classic source of "ghost"
    retries. Cancelling a timer that already fired must be a harmless no-op.
    """
    done = rt.event()
    t0 = rt.now()
    handles = {}

    def on_a():
        trace.append("A")
        handles["C"].cancel()

    handles["A"] = rt.call_at(t0 + 1 * UNIT, on_a)
    handles["B"] = rt.call_at(t0 + 2 * UNIT, trace.append, "B")
    handles["C"] = rt.call_at(t0 + 3 * UNIT, trace.append, "C")
    handles["D"] = rt.call_at(t0 + 4 * UNIT, final_step(trace, "D", done))
    handles["B"].cancel()
    await done.wait()
    handles["A"].cancel()                                       # already fired
    trace.append("cancelling a fired timer is harmless")


@scenario(
    "timers.cancel_due_sibling",
    documented_by=("asyncio",),
    expected=["first timer fires and cancels the other", "later timer"],
    needs=("call_at", "event"), measures=("call_at",),
    explain="Both timers are due in the same iteration. Loops that move due timers to a ready "
            "queue must still honour a cancel() made before the handle runs. On trio, curio and "
            "anyio the cell shows the harness's service task, which checks the flag before each "
            "callback.",
)
async def cancel_due_sibling(rt, trace):
    """Two timers share a deadline; whichever fires first cancels the other. Does the other stay silent?

    The race "timeout vs. completion" when both become due at the same moment: the
    winner cancels the loser, and the user expects cancel() to be final even when the
    loser is already due.
    """
    done = rt.event()
    when = rt.now() + 2 * UNIT
    handles = {}
    fired = []

    def fire(me, other):
        if fired:
            trace.append("the cancelled timer ran anyway")
        else:
            trace.append("first timer fires and cancels the other")
            handles[other].cancel()
        fired.append(me)

    handles["x"] = rt.call_at(when, fire, "x", "y")
    handles["y"] = rt.call_at(when, fire, "y", "x")
    rt.call_at(when + 2 * UNIT, final_step(trace, "later timer", done))
    await done.wait()


# --------------------------------------------------------------------- starvation
#: The spinner gives up (and reports starvation) once this much loop time has passed.
SPIN_CAP = 10 * UNIT


@scenario(
    "timers.spinner_vs_timer",
    expected=["timer fired", "spinner stopped: the timer had fired"],
    needs=("call_soon", "call_at", "event"), measures=("call_soon", "call_at"),
    explain="A loop that keeps running newly scheduled callbacks until the ready queue is empty "
            "never gets to its timers while a callback reschedules itself; loops that run only "
            "the callbacks ready at the start of an iteration (asyncio, ours) do not starve.",
)
async def spinner_vs_timer(rt, trace):
    """A callback that keeps re-scheduling itself with call_soon: does a due timer still fire?

    A busy producer of "soon" work (a parser yielding per chunk, a retry loop) must not
    starve timers, or every timeout in the program stops working. The spinner stops as
    soon as it sees the timer fired, or after SPIN_CAP of loop time, and says which.
    """
    done = rt.event()
    state = {"timer": False, "finished": 0}
    t0 = rt.now()

    def finish_one():
        state["finished"] += 1
        if state["finished"] == 2:
            done.set()

    def timer():
        state["timer"] = True
        trace.append("timer fired")
        finish_one()

    def spin():
        if state["timer"]:
            trace.append("spinner stopped: the timer had fired")
            finish_one()
        elif rt.now() >= t0 + SPIN_CAP:
            trace.append("spinner stopped: cap reached, the timer was starved")
            finish_one()
        else:
            rt.call_soon(spin)

    rt.call_at(t0 + UNIT, timer)
    rt.call_soon(spin)
    await done.wait()


# --------------------------------------------------------------------- errors
class TimerBoom(Exception):
    """Raised on purpose by a timer callback."""


@observation(
    "timers.callback_raises",
    needs=("call_at", "event"), measures=("call_at",),
    crash_is_outcome=True,
    explain="asyncio and our loops log an exception from a callback and carry on. trio, curio "
            "and anyio have no timer callbacks: the harness builds them with one service task, "
            "and what happens when a callback raises there is the harness's choice (the service "
            "task fails, which ends the run), not the library's behaviour.",
)
async def callback_raises(rt, trace):
    """A timer callback raises. Does the loop survive and fire the next timer?

    Decides whether one buggy callback takes down the whole program (trio's choice: fail
    loudly) or is logged while everything else keeps running (asyncio's). The trace ends
    with ["loop raised", type] when the exception escapes the loop.
    """
    done = rt.event()
    t0 = rt.now()

    def boom():
        trace.append("timer 1 raises")
        raise TimerBoom("raised on purpose by a timer callback")

    rt.call_at(t0 + 1 * UNIT, boom)
    rt.call_at(t0 + 2 * UNIT, final_step(trace, "timer 2 ran", done))
    await done.wait()
    trace.append("main resumed")

"""The timing wheel (``impls/contrib/timingwheel.py``) and its loop, tested directly.

The conformance kit checks the wheel loop through the registry once it is installed.
These tests check what is particular to a wheel: every level and the overflow,
cascades, the partly-due current tick, idle jumps and compaction. They also include
a hypothesis property that compares ``TimingWheel`` with a sorted-list model.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import impls
from impls import VirtualClock
from impls.contrib.timingwheel import MIN_CANCELLED_TO_COMPACT, SPAN, TimingWheel
from impls.contrib.wheel_loop import WheelLoop
from impls.handles import TimerHandle
from impls.heap_loop import HeapLoop


class Owner:
    """Stands in for a loop: what a ``TimerHandle`` tells when it is cancelled."""

    _tracer = None                       # nobody watching (as ``BaseLoop``)

    def __init__(self, wheel: TimingWheel) -> None:
        self.wheel = wheel

    def _timer_cancelled(self, timer) -> None:
        self.wheel.note_cancelled()


def arm(wheel: TimingWheel, owner: Owner, when: float, label=None) -> TimerHandle:
    timer = TimerHandle(when, print, (label,), owner)
    timer._scheduled = True
    wheel.push(timer)
    return timer


def pop(wheel: TimingWheel, now: float) -> list:
    out: list = []
    wheel.pop_due(now, out.append)
    return [t._args[0] for t in out]


PLACES = ["current tick", "level 0", "level 1", "level 2", "level 3", "overflow"]


def level_counts(wheel: TimingWheel) -> list[int]:
    """How many entries each place holds, in the order of ``PLACES``."""
    levels = [sum(map(len, slots)) for slots in wheel._levels]
    return [len(wheel._current)] + levels + [len(wheel._overflow)]


class CountingWheelLoop(WheelLoop):
    iterations = 0

    def _run_once(self) -> None:
        self.iterations += 1
        super()._run_once()


# ---------------------------------------------------------------- the loop
def test_the_wheel_loop_is_an_event_loop_like_the_heap_loop():
    loop = WheelLoop(clock=VirtualClock())
    try:
        assert isinstance(loop, impls.EventLoop)
        assert loop.name == "wheel" and loop.capabilities == HeapLoop.capabilities
        assert isinstance(loop._timers, TimingWheel) and loop._timers.tick == 0.001
    finally:
        loop.close()


@pytest.mark.parametrize("tick", [0, -1.0, math.nan, math.inf, "1ms", True])
def test_a_bad_tick_is_refused(tick):
    with pytest.raises(ValueError, match="tick"):
        WheelLoop(clock=VirtualClock(), tick=tick)


def test_timers_on_every_level_and_in_the_overflow_fire_in_order_at_their_exact_times():
    loop = WheelLoop(clock=VirtualClock())          # tick 1 ms: level 3 reaches 2**26 ms, 18.6 h
    fired = []
    deadlines = {
        "overflow": 100_000.0007,       # 27.8 hours
        "level 3": 5_000.0004,          # 83 minutes
        "level 2": 100.00049,
        "level 1": 1.5,
        "level 0": 0.2,
        "current tick": 0.0003,
        "level 3, a level-3 boundary": 2**21 * 0.001,
        "level 1, last tick of level 0 + 1": 0.256,
        "level 0, last tick": 0.255,
    }
    try:
        for label, when in deadlines.items():
            loop.call_at(when, lambda label=label: fired.append((label, loop.time())))
        assert level_counts(loop._timers) == [1, 2, 2, 1, 2, 1]    # every level and the overflow
        loop.call_at(200_000, loop.stop)
        loop.run_forever()
    finally:
        loop.close()
    expected = sorted(deadlines.items(), key=lambda item: item[1])
    assert fired == expected


def test_cascading_keeps_equal_deadlines_first_armed_first():
    """Timers for one deadline, armed at different times, reach level 0 by different
    paths (a cascade from level 3, 2 or 1, or none): they fire in arming order. Timers
    later within the same tick, armed in between, all fire after them."""
    loop = WheelLoop(clock=VirtualClock())
    fired = []
    deadline = 5_000.0
    armed_at = [0.0, 0.0, 3_000.0, 4_900.0, 4_990.0, 4_999.9, 4_999.9, 4_999.9999]
    try:
        levels_seen = []

        async def main():
            for i, at in enumerate(armed_at):
                await loop.sleep(at - loop.time())
                loop.call_at(deadline + 0.0004, lambda i=i: fired.append((f"after {i}", loop.time())))
                before = level_counts(loop._timers)
                loop.call_at(deadline, lambda i=i: fired.append((i, loop.time())))
                after = level_counts(loop._timers)
                levels_seen.append(PLACES[[b - a for a, b in zip(before, after)].index(1)])
            await loop.sleep(1)

        loop.run_until_complete(main())
    finally:
        loop.close()
    assert {"level 3", "level 2", "level 1", "level 0"} <= set(levels_seen)   # every path is taken
    assert fired == [(i, deadline) for i in range(len(armed_at))] + \
        [(f"after {i}", deadline + 0.0004) for i in range(len(armed_at))]


def test_a_timer_later_in_the_current_tick_does_not_fire_early():
    wheel = TimingWheel(tick=1.0, start=10.0)
    owner = Owner(wheel)
    arm(wheel, owner, 10.7, "later this tick")
    arm(wheel, owner, 10.2, "now")
    assert pop(wheel, 10.2) == ["now"]
    assert pop(wheel, 10.699999) == []
    assert wheel.deadline() == 10.7
    assert pop(wheel, 10.7) == ["later this tick"]


def test_the_loop_fires_a_timer_in_the_current_tick_at_its_when_not_at_the_tick():
    clock = VirtualClock(10.2)
    loop = WheelLoop(clock=clock, tick=1.0)
    fired = []
    try:
        loop.call_at(10.7, lambda: fired.append(loop.time()))
        loop.call_at(10.9, loop.stop)
        loop.run_forever()
    finally:
        loop.close()
    assert fired == [10.7]


class CountingFloat(float):
    """A deadline that counts how often it is compared."""

    comparisons = 0

    def _count(op):
        def compare(self, other):
            CountingFloat.comparisons += 1
            return op(float(self), other)
        return compare

    __lt__ = _count(float.__lt__)
    __le__ = _count(float.__le__)
    __gt__ = _count(float.__gt__)
    __ge__ = _count(float.__ge__)
    __eq__ = _count(float.__eq__)
    __hash__ = float.__hash__


def test_many_timers_in_one_tick_are_not_rescanned_at_each_wake_up():
    """On a virtual clock every distinct deadline is a wake-up. If the current tick were
    rescanned at each one, N timers in one tick would cost N**2 / 2 comparisons; the
    current tick is a heap, so it costs O(N log N)."""
    n = 4000
    wheel = TimingWheel(tick=1.0)
    owner = Owner(wheel)
    rng = random.Random(7)
    whens = [CountingFloat(0.05 + 0.9 * i / n) for i in range(n)]
    rng.shuffle(whens)
    for i, when in enumerate(whens):
        arm(wheel, owner, when, i)
    CountingFloat.comparisons = 0
    fired = []
    while (d := wheel.deadline()) is not None:
        fired += pop(wheel, d)
    assert len(fired) == n
    assert CountingFloat.comparisons < 4 * n * math.log2(n), CountingFloat.comparisons   # n*n/2 = 8M


def test_a_past_deadline_fires_at_the_next_pop():
    wheel = TimingWheel(tick=0.001, start=100.0)
    owner = Owner(wheel)
    arm(wheel, owner, 3.0, "long past")
    arm(wheel, owner, -5.0, "before zero")
    assert wheel.deadline() == -5.0
    assert pop(wheel, 100.0) == ["before zero", "long past"]


class CountingHeapLoop(HeapLoop):
    iterations = 0

    def _run_once(self) -> None:
        self.iterations += 1
        super()._run_once()


@pytest.mark.parametrize("hours", [1, 24, 24 * 365])
def test_an_idle_jump_over_hours_takes_as_few_iterations_as_the_heap_loop(hours):
    """A tick-by-tick cursor would take 3.6 million moves per hour at 1 ms. The wheel
    jumps: deadline() finds the timer's own when, so the loop wakes once, as the heap
    loop does, and pop_due cascades it down the levels in a few moves."""
    iterations = {}
    for cls in (CountingWheelLoop, CountingHeapLoop):
        loop = cls(clock=VirtualClock())
        try:
            async def main():
                await loop.sleep(hours * 3600)
                return loop.time()

            assert loop.run_until_complete(main()) == hours * 3600
            iterations[cls] = loop.iterations
            if cls is CountingWheelLoop:
                assert loop._timers.moves <= 5, loop._timers.moves
        finally:
            loop.close()
    assert iterations[CountingWheelLoop] == iterations[CountingHeapLoop] <= 5, iterations


def test_a_timer_beyond_the_overflow_boundary_is_reached_in_one_jump():
    wheel = TimingWheel(tick=0.001)
    owner = Owner(wheel)
    when = 50 * SPAN * 0.001 + 0.1234          # 50 overflow periods away: 39 days
    arm(wheel, owner, when, "far")
    assert wheel.deadline() == when            # only the overflow holds timers: exact
    assert pop(wheel, when) == ["far"]
    assert wheel.moves <= 300


def test_arming_and_cancelling_100k_timers_keeps_a_few_hundred_entries():
    wheel = TimingWheel()
    owner = Owner(wheel)
    rng = random.Random(1)
    live = [arm(wheel, owner, 1000.0 + i, i) for i in range(150)]
    most = 0
    for _ in range(100_000):
        arm(wheel, owner, rng.choice([0.1, 10.0, 1000.0, 1e5]) * rng.random(), "churn").cancel()
        most = max(most, len(wheel))
    assert most <= 2 * len(live) + MIN_CANCELLED_TO_COMPACT + 2
    assert pop(wheel, 2000.0) == list(range(150))


def test_cancelled_timers_are_dropped_and_counted():
    wheel = TimingWheel()
    owner = Owner(wheel)
    timers = [arm(wheel, owner, w, w) for w in (0.5, 50.0, 5_000.0, 1e6)]
    for timer in timers:
        timer.cancel()
    assert wheel.cancelled == 4 and len(wheel) == 4
    now = 0.0
    while (d := wheel.deadline()) is not None:      # what the loop does when idle
        now = max(now, d)
        assert pop(wheel, now) == []
    assert wheel.cancelled == 0 and len(wheel) == 0


def test_cancel_only_counts_and_the_slots_change_on_the_arming_thread():
    """``cancel()`` may run on any thread (contract clause 9), so it must leave every
    slot as it is; the next push, on the thread that owns the wheel, rebuilds them."""
    wheel = TimingWheel()
    owner = Owner(wheel)
    timers = [arm(wheel, owner, w, "x") for w in (0.0, 0.1, 10.0, 1000.0, 1e5) for _ in range(200)]
    places = [wheel._current, wheel._overflow] + [slot for slots in wheel._levels for slot in slots]
    before = [list(place) for place in places]
    for timer in timers[:900]:
        timer.cancel()
    assert [list(place) for place in places] == before
    assert wheel.cancelled == 900 and len(wheel) == 1000
    arm(wheel, owner, 5.0, "y")
    assert len(wheel) == 101 and wheel.cancelled == 0


def test_push_answers_whether_the_timer_is_now_the_earliest():
    wheel = TimingWheel()
    owner = Owner(wheel)
    assert wheel.push(TimerHandle(0.050, print, (), owner)) is True
    assert wheel.push(TimerHandle(0.070, print, (), owner)) is False
    assert wheel.push(TimerHandle(0.050, print, (), owner)) is False   # FIFO: after the first
    assert wheel.push(TimerHandle(0.010, print, (), owner)) is True
    assert wheel.deadline() == 0.010
    assert wheel.push(TimerHandle(0.020, print, (), owner)) is False
    assert wheel.push(TimerHandle(0.005, print, (), owner)) is True


# --------------------------------------------------- property: vs a sorted list
TICKS = [0.001, 0.0037, 1.0, 0.25, 1e-6]
LEVEL_EDGES = [0, 1, 255, 256, 257, 2**14 - 1, 2**14, 2**14 + 1, 2**20 - 1, 2**20, 2**20 + 1,
               SPAN - 1, SPAN, SPAN + 1, 3 * SPAN + 12345]


@st.composite
def offsets(draw, tick):
    """A deadline relative to now, in seconds: near tick edges and level edges, or anywhere."""
    kind = draw(st.sampled_from(["ticks", "edge", "fraction", "anywhere", "negative"]))
    if kind == "ticks":
        return draw(st.integers(0, 600)) * tick
    if kind == "edge":
        nudge = draw(st.sampled_from([0.0, 0.5, -0.5, 1e-9, -1e-9, 0.999999]))
        return (draw(st.sampled_from(LEVEL_EDGES)) + nudge) * tick
    if kind == "fraction":
        return draw(st.floats(0, 3, allow_nan=False)) * tick
    if kind == "negative":
        return -draw(st.floats(0, 1000, allow_nan=False)) * tick
    return draw(st.floats(0, 4 * SPAN, allow_nan=False)) * tick


@st.composite
def scenarios(draw):
    tick = draw(st.sampled_from(TICKS))
    start = draw(st.sampled_from([0.0, 1234.5678, -50.0, 3 * SPAN * tick - 0.5 * tick]))
    ops = []
    for _ in range(draw(st.integers(1, 60))):
        kind = draw(st.sampled_from(["push", "push", "push", "again", "cancel", "advance", "wake"]))
        if kind == "push":
            ops.append(("push", draw(offsets(tick))))
        elif kind == "again":
            ops.append(("again", draw(st.integers(0, 10**6))))
        elif kind == "cancel":
            ops.append(("cancel", draw(st.integers(0, 10**6))))
        elif kind == "advance":
            ops.append(("advance", abs(draw(offsets(tick)))))
        else:
            ops.append(("wake", None))
    return tick, start, ops


def check_deadline(wheel, model, tick):
    """deadline() is the earliest live deadline, or earlier: the deadline of a cancelled
    timer the wheel has not dropped yet. Never later, so a jump never passes a timer."""
    cancelled = {when for when, _, _, timer in model if timer._cancelled}
    d = wheel.deadline()
    live = [when for when, _, _, timer in model if not timer._cancelled]
    if not len(wheel):
        assert d is None
    if not live:
        assert d is None or d in cancelled
        return d
    assert d == min(live) or (d < min(live) and d in cancelled)
    return d


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_pop_due_matches_a_sorted_list(scenario):
    tick, start, ops = scenario
    wheel = TimingWheel(tick=tick, start=start)
    owner = Owner(wheel)
    model: list = []                      # (when, seq, label, timer), cancelled ones included
    all_timers: list = []
    now = start

    def pop_and_compare(now):
        expected = sorted(e for e in model if e[0] <= now and not e[3]._cancelled)
        model[:] = [e for e in model if e[0] > now]
        got: list = []
        wheel.pop_due(now, got.append)
        assert [t._args[0] for t in got] == [e[2] for e in expected]
        assert all(not t._scheduled for t in got)

    for kind, arg in ops:
        if kind in ("push", "again"):
            if kind == "again":           # a deadline already used: equal deadlines, FIFO
                if not all_timers:
                    continue
                when = all_timers[arg % len(all_timers)]._when
            else:
                when = now + arg
            label = len(all_timers)
            timer = arm(wheel, owner, when, label)
            all_timers.append(timer)
            model.append((when, label, label, timer))
        elif kind == "cancel":
            if all_timers:
                all_timers[arg % len(all_timers)].cancel()
        elif kind == "advance":
            now = now + arg
            pop_and_compare(now)
        else:                             # what an idle loop does: jump to deadline(), pop
            d = check_deadline(wheel, model, tick)
            if d is not None:
                now = max(now, d)
                pop_and_compare(now)

    # Run out the rest as an idle loop on a virtual clock: every live timer fires at
    # exactly its own when (or now, if that was already past), in (when, sequence)
    # order, and a wake-up that fires nothing is one for a cancelled timer.
    expected = sorted((e[0], e[1]) for e in model if not e[3]._cancelled)
    cancelled = wheel.cancelled
    then = now
    fired: list = []
    idle = 0
    while True:
        d = check_deadline(wheel, model, tick)
        if d is None:
            break
        now = max(now, d)
        got: list = []
        wheel.pop_due(now, got.append)
        fired += [(t._when, t._args[0], now) for t in got]
        idle += not got
        model[:] = [e for e in model if e[0] > now]
        assert idle <= cancelled
    assert [(when, label) for when, label, _ in fired] == expected
    assert all(at == max(when, then) for when, _, at in fired)
    assert len(wheel) == 0 and wheel.cancelled == 0

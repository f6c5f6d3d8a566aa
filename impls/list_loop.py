"""The list loop: the slides' ``CallbackEventLoop`` and ``TimerEventLoop``, made complete.

Victor Stinner's "Discover asyncio event loop" (PyCon 2014) builds a loop from two
lists. This module keeps that design and names, and adds only what the contract
needs. Read it next to the slides (``shared/seed/discover-asyncio-event-loop.txt``)::

    class CallbackEventLoop:                 class TimerEventLoop(CallbackEventLoop):
        def call_soon(self, func):               def call_at(self, when, func):
            self.callbacks.append(func)              self.timers.append((when, func))
        def execute_callbacks(self):             def execute_timers(self):
            callbacks = self.callbacks               now = time.time()
            self.callbacks = []                      ...due ones -> call_soon, others kept
            for cb in callbacks: cb()                self.execute_callbacks()

What it teaches:

* **Callbacks are a list, swapped per iteration.** ``execute_callbacks`` takes the
  list and installs a fresh one, so a callback that schedules another does not run
  it in the same pass: it waits for the next iteration (contract clause 1).
* **Timers are a plain list, scanned every iteration.** ``execute_timers`` looks at
  *every* armed timer each tick: O(n) per iteration, so N timers cost O(N²) to fire.
  That is the design the talk draws, kept on purpose; the heap loop is the fix, and
  the benchmarks show the difference.

What we added to the slides, each for a contract clause:

* the due timers of one scan are sorted by deadline (a stable sort, so equal
  deadlines keep their arming order). The slide moves them in list order, which runs
  two timers that fall due in the same tick out of deadline order (clause 2);
* handles instead of bare functions, so a callback can be cancelled (clause 3); the
  scan drops cancelled timers, and ``_timer_cancelled`` compacts the list when more
  than half of it is cancelled, so arming and cancelling without iterating is bounded;
* an idle wait: with nothing ready the loop sleeps until the earliest timer (on a
  virtual clock, jumps to it) instead of spinning;
* ``time.monotonic()`` (through the clock) instead of ``time.time()``, which jumps
  when the system clock is set.

It cannot be woken by another thread: ``call_soon_threadsafe`` is safe to call, but
the callback only runs when the loop next wakes (its next timer). With nothing ready
and no timer armed, the loop would sleep forever, so it raises ``RuntimeError``.
"""

from __future__ import annotations

import time

from .base import BaseLoop
from .handles import Handle, TimerHandle
from .trace import DUE, SCAN, Event

#: Compact the timer list when more than this many cancelled timers are in it and
#: they are more than half of it (asyncio's numbers for its heap).
MIN_CANCELLED_TIMERS_TO_COMPACT = 100


class CallbackEventLoop(BaseLoop):
    """Slide "Callbacks": a list of ready callbacks, swapped and run each iteration."""

    def __init__(self, *, clock=None) -> None:
        super().__init__(clock=clock)
        self.callbacks: list[Handle] = []

    def _schedule(self, handle: Handle) -> None:          # call_soon
        self.callbacks.append(handle)

    def execute_callbacks(self) -> None:
        callbacks = self.callbacks
        self.callbacks = []
        for handle in callbacks:
            if not handle._cancelled:
                handle._run()


class TimerEventLoop(CallbackEventLoop):
    """Slide "Timers": a plain list of timers, scanned every iteration."""

    def __init__(self, *, clock=None) -> None:
        super().__init__(clock=clock)
        self.timers: list[TimerHandle] = []
        self._cancelled_timers = 0

    def _arm(self, timer: TimerHandle) -> None:           # call_at
        self.timers.append(timer)

    def execute_timers(self) -> None:
        now = self.time()
        if self._tracer is not None:
            self._tracer.event(Event(SCAN, now, None, len(self.timers)))
        # The scan: every timer, every iteration. (Written as list comprehensions, which
        # run the same O(n) loop about twice as fast as a for loop with appends.)
        timers = self.timers
        due = [timer for timer in timers if timer._when <= now and not timer._cancelled]
        if due or self._cancelled_timers:                 # the scan is also our garbage collector
            self.timers = [timer for timer in timers if timer._when > now and not timer._cancelled]
            self._cancelled_timers = 0
        for timer in due:
            timer._scheduled = False
        due.sort(key=TimerHandle.when)                    # stable: FIFO among equal deadlines
        if self._tracer is not None:
            self._trace_batch(DUE, due)
        self.callbacks.extend(due)                        # the slide's call_soon(func)
        self.execute_callbacks()

    def _timer_cancelled(self, timer: TimerHandle) -> None:
        self._cancelled_timers += 1
        if (self._cancelled_timers > MIN_CANCELLED_TIMERS_TO_COMPACT
                and self._cancelled_timers * 2 > len(self.timers)):
            self.timers = [t for t in self.timers if not t._cancelled]
            self._cancelled_timers = 0


class ListLoop(TimerEventLoop):
    """The slides' loop, run: idle wait, then ``execute_timers`` (which runs the callbacks)."""

    name = "list"
    capabilities = frozenset({"timers", "tasks"})

    def _run_once(self) -> None:
        threadsafe = self._threadsafe
        if not self.callbacks and not threadsafe and not self._stopping:
            deadline = min([t._when for t in self.timers if not t._cancelled], default=None)
            self._clock.wait_until(deadline, self._sleep, self._tracer)
        while threadsafe:
            self.callbacks.append(threadsafe.popleft())
        self.execute_timers()

    def _sleep(self, timeout: float | None) -> bool:
        if timeout is None:
            raise RuntimeError(
                "list loop: nothing is ready and no timer is armed, so it would sleep forever "
                "(this loop cannot be woken by another thread; use the heap or thread loop)")
        if timeout > 0:
            time.sleep(timeout)
        return False

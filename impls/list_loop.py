"""The list loop: the slides' ``CallbackEventLoop`` and ``TimerEventLoop``, made complete.

Victor Stinner's talk *Discover asyncio event loop* (PyCon 2014, Lyon) builds a loop
from two lists. This module keeps that design, its names and its code's shape, and
adds only what the contract needs. Read it next to the slides::

    class CallbackEventLoop:                 class TimerEventLoop(CallbackEventLoop):
        def call_soon(self, func):               def call_at(self, when, func):
            self.callbacks.append(func)              self.timers.append((when, func))
        def execute_callbacks(self):             def execute_timers(self):
            callbacks = self.callbacks               now = time.time()
            self.callbacks = []                      new_timers = []
            for cb in callbacks:                     for when, func in self.timers:
                cb()                                     if when <= now:
                                                             self.call_soon(func)
                                                         else:
                                                             new_timers.append((when, func))
                                                     self.timers = new_timers
                                                     self.execute_callbacks()

What it teaches:

* **Callbacks are a list, swapped per iteration.** ``execute_callbacks`` takes the
  list and installs a fresh one, so a callback that schedules another does not run
  it in the same pass: it waits for the next iteration (contract clause 1).
* **Timers are a plain list, scanned every iteration.** ``execute_timers`` looks at
  *every* armed timer each tick: O(n) per iteration, so N timers cost O(N²) to fire.
  That is the design the talk draws, kept on purpose, in the slide's own ``for``
  loop; the heap loop is the fix, and the benchmarks show the difference.
* **File descriptors are two more collections, handed to ``select.select()`` every
  iteration** (``select_io``). Not in the talk, in its spirit: the oldest way to wait
  on many sockets, O(n) in the fds watched, exactly as the timer scan is O(n) in the
  timers; ``select()`` also cannot watch an fd above ``FD_SETSIZE`` (1024). The heap
  loop's ``selectors`` (epoll) is the fix. Because the loop now waits in
  ``select()``, another thread can wake it by writing a byte to a socket pair it
  watches (the self-pipe trick, ``selfpipe.py``): so it is ``"threadsafe"`` too.

What we added to the slides, each for a contract clause:

* the due timers of one scan are sorted by deadline before they go to ``call_soon``
  (a stable sort, so equal deadlines keep their arming order). The slide calls
  ``call_soon`` in list order, which runs two timers that fall due in the same tick
  out of deadline order (clause 2);
* handles instead of bare functions, so a callback can be cancelled (clause 3); the
  scan drops cancelled timers, and ``call_at`` compacts the list when more than half
  of it is cancelled, so arming and cancelling without iterating is bounded (a cancel
  only counts: it may come from another thread);
* the base's checks in ``call_soon``/``call_at`` (clause 6): a non-callable, a NaN
  or infinite deadline, a closed loop;
* if ``KeyboardInterrupt`` or ``SystemExit`` escapes a callback, the rest of the
  batch goes back to the front of the list for the next run, as in every other loop;
* an idle wait: with nothing ready the loop sleeps in ``select()`` until the earliest
  timer (on a virtual clock, jumps to it) instead of spinning;
* ``time.monotonic()`` (through the clock) instead of ``time.time()``, which jumps
  when the system clock is set.
"""

from __future__ import annotations

import select
from typing import Any, Callable

from .base import BaseLoop, check_callable, check_time
from .handles import Handle, TimerHandle
from .readiness import READ, WRITE, Readiness
from .selfpipe import SelfPipe
from .trace import ARMED, DUE, SCAN, SCHEDULED, Event

#: Compact the timer list when more than this many cancelled timers are in it and
#: they are more than half of it (asyncio's numbers for its heap).
MIN_CANCELLED_TIMERS_TO_COMPACT = 100


class CallbackEventLoop(BaseLoop):
    """Slide "Callbacks": a list of ready callbacks, swapped and run each iteration."""

    def __init__(self, *, clock=None) -> None:
        super().__init__(clock=clock)
        self.callbacks: list[Handle] = []

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> Handle:
        """The slide's ``self.callbacks.append(func)``, checked, with a handle to cancel it."""
        if self._closed:
            self._raise_closed()
        check_callable(callback)
        handle = Handle(callback, args, self)
        self.callbacks.append(handle)
        if self._tracer is not None:
            self._tracer.event(Event(SCHEDULED, self.time(), handle))
        return handle

    def _schedule(self, handle: Handle) -> None:          # call_soon for a ready-made handle
        self.callbacks.append(handle)

    def execute_callbacks(self) -> None:
        """Run the callbacks scheduled so far; those they schedule wait for the next call."""
        callbacks = self.callbacks
        self.callbacks = []
        for index, handle in enumerate(callbacks):
            if handle._cancelled:
                continue
            try:
                handle._run()
            except BaseException:        # only KeyboardInterrupt and SystemExit get out of _run
                # Keep the rest of the batch for the next run, ahead of what this one scheduled.
                self.callbacks[:0] = callbacks[index + 1:]
                raise


class TimerEventLoop(CallbackEventLoop):
    """Slide "Timers": a plain list of timers, scanned every iteration."""

    def __init__(self, *, clock=None) -> None:
        super().__init__(clock=clock)
        self.timers: list[TimerHandle] = []
        self._cancelled_timers = 0

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """The slide's ``self.timers.append((when, func))``, checked, with a handle to cancel it."""
        if self._closed:
            self._raise_closed()
        when = check_time(when, "when")
        check_callable(callback)
        timer = TimerHandle(when, callback, args, self, True)
        if self._cancelled_timers > MIN_CANCELLED_TIMERS_TO_COMPACT:
            self._compact()                               # on the loop's side, never a canceller's
        self.timers.append(timer)
        if self._tracer is not None:
            self._tracer.event(Event(ARMED, self.time(), timer, when))
        return timer

    def execute_timers(self) -> None:
        """Move every due timer to the callbacks, in deadline order, then run the callbacks."""
        now = self.time()
        if self._tracer is not None:
            self._tracer.event(Event(SCAN, now, None, len(self.timers)))
        due = []
        new_timers = []
        for timer in self.timers:                         # every timer, every iteration
            if timer._cancelled:
                continue                                  # dropped: the scan is our garbage collector
            if timer._when <= now:
                due.append(timer)
            else:
                new_timers.append(timer)
        self.timers = new_timers
        self._cancelled_timers = 0
        due.sort(key=TimerHandle.when)                    # stable: FIFO among equal deadlines
        for timer in due:
            timer._scheduled = False
            if self._tracer is not None:
                self._tracer.event(Event(DUE, now, timer))
            self._schedule(timer)                         # the slide's self.call_soon(func)
        self.execute_callbacks()

    def _timer_cancelled(self, timer: TimerHandle) -> None:
        # Only count: cancel() may come from any thread (clause 9), and rebuilding the list
        # here could lose or repeat a timer the loop thread is scanning. call_at compacts.
        self._cancelled_timers += 1

    def _compact(self) -> None:
        """Drop cancelled timers once more than half of the list is cancelled (clause 3)."""
        if self._cancelled_timers * 2 > len(self.timers):
            self.timers = [t for t in self.timers if not t._cancelled]
            self._cancelled_timers = 0


class SelectEventLoop(Readiness, TimerEventLoop):
    """Not a slide, in their spirit: fds in two dicts, ``select.select()`` over them each iteration.

    As with asyncio, remove a reader or writer before closing its socket: ``select()``
    fails on a closed fd (``OSError`` from ``run_forever`` until it is removed).
    """

    def __init__(self, *, clock=None) -> None:
        super().__init__(clock=clock)
        self.readers: dict[int, Handle] = {}
        self.writers: dict[int, Handle] = {}
        self._wake = SelfPipe()         # another thread pokes it to wake a loop waiting in select()

    def _watch(self, fd: int, kind: str, handle: Handle) -> Handle | None:
        # The loop's own call, made now, checks the fd at the call: OSError if it is not
        # open, ValueError if it is FD_SETSIZE (1024) or more, which select() cannot watch.
        select.select([fd], [], [], 0)
        watched = self.readers if kind == READ else self.writers
        replaced = watched.get(fd)
        watched[fd] = handle
        return replaced

    def _unwatch(self, fd: int, kind: str) -> Handle | None:
        return (self.readers if kind == READ else self.writers).pop(fd, None)

    def select_io(self, timeout: float | None) -> bool:
        """Wait up to ``timeout`` (None: forever) for a watched fd or another thread; True if woken."""
        if timeout == 0 and not self.readers and not self.writers:
            return bool(self._threadsafe)       # a poll with nothing watched: no system call
        wake = self._wake.fileno()
        readable, writable, _ = select.select([wake, *self.readers], list(self.writers), [], timeout)
        ready = []
        for fd in readable:
            if fd == wake:
                self._wake.drain()
            else:
                ready.append((self.readers[fd], fd, READ))
        for fd in writable:
            ready.append((self.writers[fd], fd, WRITE))
        if self._tracer is not None and (self.readers or self.writers):
            self._trace_ready(len(self.readers) + len(self.writers), ready)
        for handle, _, _ in ready:
            self._schedule(handle)
        return bool(readable or writable) or bool(self._threadsafe)

    def _post_threadsafe(self, handle: Handle) -> None:
        self._threadsafe.append(handle)
        self._wake.poke()


class ListLoop(SelectEventLoop):
    """The slides' loop, run: wait in ``select_io``, then ``execute_timers`` (which runs the callbacks)."""

    name = "list"
    capabilities = frozenset({"timers", "tasks", "threadsafe", "io"})

    def _run_once(self) -> None:
        threadsafe = self._threadsafe
        if not self.callbacks and not threadsafe and not self._stopping:
            live = [timer._when for timer in self.timers if not timer._cancelled]
            self._clock.wait_until(min(live, default=None), self.select_io, self._tracer)
        elif self.readers or self.writers:
            self.select_io(0)                   # busy, but fds are watched: collect the ready ones
        while threadsafe:
            self.callbacks.append(threadsafe.popleft())
        self.execute_timers()

    def _close(self) -> None:
        self.callbacks.clear()
        self.timers.clear()
        self.readers.clear()                    # unwatched; the sockets are the user's to close
        self.writers.clear()
        self._wake.close()


__all__ = ["CallbackEventLoop", "ListLoop", "SelectEventLoop", "TimerEventLoop"]

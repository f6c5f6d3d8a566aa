"""The thread loop: waiting is done by threads, running by the loop thread.

Two threads split the work of the heap loop:

* the **timer thread** owns the timers. It keeps them in a heap guarded by a
  ``threading.Condition`` and sleeps on that condition until the earliest deadline
  (or until notified: a new earliest timer, a cancellation, ``close()``). When
  timers fall due it pops them and puts them, as one batch, on the inbox;
* the **loop thread** (whoever calls ``run_forever``) runs callbacks. When it has
  nothing to do it blocks on the **inbox**, a ``queue.SimpleQueue``; due timers and
  ``call_soon_threadsafe`` callbacks both arrive there, so one blocking ``get``
  waits for either. ``call_soon`` from the loop thread itself appends to a plain
  deque: no lock on the fast path.

One timer thread, however many timers: no thread per timer. It lives while the
loop runs: ``run_forever`` starts it and, before returning, tells it to stop (its
own stop flag, under the condition), and it ends by itself; ``close()`` joins it.
``run_forever`` joins nothing: a join would block the loop's thread (anyio flags
blocking calls there; asyncio's ``run_forever`` joins nothing either). A loop
dropped without ``close()`` leaves no thread behind, and a run right after the last
starts a fresh thread at once while the old one finishes (it has stopped for good:
it looks at its flag before anything else). If it dies (a clock that raises, say),
it tells the loop thread through the inbox, and ``run_forever`` raises
``RuntimeError`` instead of waiting forever for its timers.

What it teaches: a thread is a fine way to *wait* (the OS wakes it at the deadline)
and a poor way to *run* (every hand-over costs a lock, a queue and a GIL switch; the
benchmarks show how much). ``sys.getswitchinterval()`` (5 ms by default) bounds how
long a busy loop thread can delay the timer thread, and so the timers' lateness.

**The flush handshake.** If due timers only arrived whenever the timer thread got
scheduled, whether a due timer runs in this iteration or the next would depend on
the OS: the loop would be nondeterministic even on a virtual clock. So at each
iteration, if the top of the heap is due, the loop thread asks the timer thread to
flush (``_flush_requested``), and waits on the inbox for the batch and the
``FLUSHED`` marker that follows it. Due timers still cross only through the inbox,
but every timer due when the iteration begins runs in that iteration, as in the
heap loop.

On a virtual clock time does not pass by itself, so the timer thread waits without
a timeout; the idle loop thread jumps the clock to the earliest deadline, and the
handshake makes the timer thread deliver what became due.

**I/O: a selector thread** (capability ``"io"``, ``readiness.py``), started by the
first ``add_reader``/``add_writer``. It blocks in ``select()`` on the watched fds and
hands each batch of ready ones to the loop thread through the same inbox, where the
loop thread puts their callbacks on its ready queue. Then it waits until the loop
thread has run them (the last callback of the batch, ``_io_look_again``, tells it):
readiness is level-triggered, so looking again before the callbacks have read would
report the same fds again, and run them twice. The loop thread alone changes the
registrations and pokes the selector thread (a byte on its own self-pipe) so that
its next ``select()`` sees them. Every ready fd costs two hand-overs between
threads: the lesson of the timers, again.
"""

from __future__ import annotations

import queue
import selectors
import threading
import weakref
from collections import deque

from .base import BaseLoop
from .handles import Handle, TimerHandle
from .readiness import Readiness, SelectorWatch
from .selfpipe import SelfPipe
from .timerheap import TimerHeap
from .trace import DUE

#: Put on the inbox after a flushed batch, to tell the loop thread it has them all.
FLUSHED = object()


class TimerThreadDied:
    """Put on the inbox by a timer thread that failed: the error, for the loop thread to raise."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class IOReady:
    """Put on the inbox by the selector thread: the ``(fd, mask)`` pairs it found ready."""

    __slots__ = ("events",)

    def __init__(self, events: list[tuple[int, int]]) -> None:
        self.events = events


def _selector_thread(selector: selectors.BaseSelector, wake: SelfPipe, inbox: queue.SimpleQueue,
                     consumed: threading.Event, stop: threading.Event) -> None:
    """The selector thread: select(), hand the ready fds over, wait until their callbacks ran."""
    while not stop.is_set():
        ready = []
        for key, mask in selector.select():
            if key.fileobj is wake:               # poked: the watched fds changed, or stop
                wake.drain()
            else:
                ready.append((key.fd, mask))
        if ready and not stop.is_set():
            consumed.clear()
            inbox.put(IOReady(ready))
            consumed.wait()                       # until the loop thread ran their callbacks


def _stop_selector_thread(stop: threading.Event, wake: SelfPipe, consumed: threading.Event) -> None:
    stop.set()
    wake.poke()
    consumed.set()


class ThreadLoop(Readiness, BaseLoop):
    """Loop thread runs callbacks; one timer thread sleeps on a Condition until deadlines."""

    name = "thread"
    capabilities = frozenset({"timers", "tasks", "threadsafe", "io"})

    def __init__(self, *, clock=None) -> None:
        super().__init__(clock=clock)
        self._ready: deque[Handle] = deque()       # loop thread only
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        # Shared with the timer thread, guarded by _cond:
        self._cond = threading.Condition(threading.Lock())
        self._timers = TimerHeap()
        self._flush_requested = False
        self._timer_thread: threading.Thread | None = None
        self._timer_thread_stop = threading.Event()         # the current timer thread's stop flag
        self._stopped_timer_threads: list[threading.Thread] = []   # told to stop; close() joins them
        # I/O: the selector thread and what it shares with the loop thread (see _start_io).
        self._io: SelectorWatch | None = None
        self._io_thread: threading.Thread | None = None

    # ---------------------------------------------------------- loop thread
    def _schedule(self, handle: Handle) -> None:
        self._ready.append(handle)

    def _arm(self, timer: TimerHandle) -> None:
        with self._cond:
            if self._timers.push(timer):          # new earliest deadline: re-time the sleep
                self._cond.notify_all()           # (all: a stopped thread may still be waiting)

    def _timer_cancelled(self, timer: TimerHandle) -> None:
        with self._cond:
            if timer._scheduled:                  # not popped by the timer thread meanwhile
                self._timers.note_cancelled()

    def _post_threadsafe(self, handle: Handle) -> None:
        self._inbox.put(handle)

    def _before_run(self) -> None:
        if self._timer_thread is None:
            self._timer_thread_stop = stop = threading.Event()
            self._timer_thread = threading.Thread(
                target=self._timer_thread_main, args=(stop,), name=f"loopbench-timers-{id(self):x}", daemon=True)
            self._timer_thread.start()

    def _after_run(self) -> None:
        """The run is over: tell the timer thread to stop (timers stay armed for the next
        run). No join here, on the loop's thread: the thread ends by itself, close() joins it."""
        with self._cond:
            self._timer_thread_stop.set()
            self._cond.notify_all()
        if self._timer_thread is not None:
            alive = [t for t in self._stopped_timer_threads if t.is_alive()]
            self._stopped_timer_threads = alive + [self._timer_thread]
            self._timer_thread = None

    def _run_once(self) -> None:
        ready = self._ready
        # 1. Idle: block on the inbox (a real clock's timer thread wakes us at the
        #    deadline), or on a virtual clock poll it and jump to the deadline.
        if not ready and not self._stopping:
            with self._cond:
                deadline = self._timers.deadline()
            self._clock.wait_until(deadline, self._wait_inbox, self._tracer)
        # 2. Take everything that has arrived; flush timers that are due now.
        self._collect()
        # 3. Run what is ready.
        popleft = ready.popleft
        for _ in range(len(ready)):
            handle = popleft()
            if not handle._cancelled:
                handle._run()

    def _wait_inbox(self, timeout: float | None) -> bool:
        if timeout == 0:                          # a poll (virtual clock, or a deadline already due)
            try:
                self._accept(self._inbox.get_nowait())
            except queue.Empty:
                return False
            return True
        # Block until something arrives: the timer thread wakes us at the deadline,
        # so a positive timeout never needs to expire by itself.
        self._accept(self._inbox.get())
        return True

    def _collect(self) -> None:
        with self._cond:
            deadline = self._timers.deadline()
            flushing = deadline is not None and deadline <= self._clock.time()
            if flushing:
                self._flush_requested = True
                self._cond.notify_all()
        inbox = self._inbox
        while True:
            if flushing:
                item = inbox.get()                # the batch and FLUSHED are on their way
            else:
                try:
                    item = inbox.get_nowait()
                except queue.Empty:
                    return
            if item is FLUSHED:
                flushing = False
            else:
                self._accept(item)

    def _accept(self, item) -> None:
        if item is FLUSHED:                       # an unasked-for marker cannot happen; be safe
            return
        if type(item) is TimerThreadDied:
            raise RuntimeError(f"the {self.name} loop's timer thread died: "
                               f"{type(item.error).__name__}: {item.error}") from item.error
        if type(item) is list:                    # a batch of due timers, in deadline order
            if self._tracer is not None:
                self._trace_batch(DUE, item)
            self._ready.extend(item)
        elif type(item) is IOReady:               # fds the selector thread found ready
            self._accept_io(item)
        else:
            self._ready.append(item)

    # --------------------------------------------------------- timer thread
    def _timer_thread_main(self, stop: threading.Event) -> None:
        try:
            self._deliver_timers(stop)
        except BaseException as error:           # tell the loop thread, which would wait forever
            self._inbox.put(TimerThreadDied(error))

    def _deliver_timers(self, stop: threading.Event) -> None:
        cond, clock = self._cond, self._clock
        with cond:
            while not stop.is_set():
                deadline = self._timers.deadline()
                if deadline is not None and deadline <= clock.time():
                    due: list[TimerHandle] = []
                    self._timers.pop_due(clock.time(), due.append)
                    if due:
                        self._inbox.put(due)
                    continue
                if self._flush_requested:
                    self._flush_requested = False
                    self._inbox.put(FLUSHED)
                    continue
                timeout = None if deadline is None else clock.sleep_time(deadline)
                if timeout is None or timeout > 0:
                    cond.wait(timeout)

    # ---------------------------------------------------------------- I/O
    def _watch(self, fd: int, kind: str, handle: Handle) -> Handle | None:
        if self._io is None:
            self._start_io()
        replaced = self._io.watch(fd, kind, handle)
        self._io_wake.poke()                      # so the selector thread's next select() sees it
        return replaced

    def _unwatch(self, fd: int, kind: str) -> Handle | None:
        handle = self._io.unwatch(fd, kind) if self._io is not None else None
        if handle is not None:
            self._io_wake.poke()
        return handle

    def _start_io(self) -> None:
        self._io = SelectorWatch(selectors.DefaultSelector())
        self._io_wake = SelfPipe()                # the loop thread pokes the selector thread
        self._io.selector.register(self._io_wake, selectors.EVENT_READ)
        self._io_consumed = threading.Event()     # set: the loop thread ran the last batch
        self._io_consumed.set()
        self._io_stop = threading.Event()
        # The thread holds no reference to the loop: a loop dropped without close()
        # is still collected, and this finalizer then stops the thread.
        self._io_finalizer = weakref.finalize(self, _stop_selector_thread, self._io_stop,
                                              self._io_wake, self._io_consumed)
        self._io_thread = threading.Thread(
            target=_selector_thread, name=f"loopbench-selector-{id(self):x}", daemon=True,
            args=(self._io.selector, self._io_wake, self._inbox, self._io_consumed, self._io_stop))
        self._io_thread.start()

    def _accept_io(self, batch: IOReady) -> None:  # on the loop thread
        found = []
        for fd, mask in batch.events:
            found += self._io.ready(fd, mask)
        if self._tracer is not None:
            self._trace_ready(self._io.count, found)
        self._ready.extend(handle for handle, _, _ in found)
        self._ready.append(Handle(self._io_look_again, (), self))   # runs after them

    def _io_look_again(self) -> None:
        self._io_consumed.set()

    def _close_io(self) -> None:
        if self._io is None:
            return
        self._io_finalizer()                      # stop the selector thread (once)
        self._io_thread.join()
        self._io.close()                          # unregisters every fd; the sockets are the user's
        self._io_wake.close()

    def _close(self) -> None:
        self._close_io()
        self._after_run()                         # no thread after close; made sure of
        for thread in self._stopped_timer_threads:
            thread.join()
        self._stopped_timer_threads = []
        self._ready.clear()
        self._timers.clear()

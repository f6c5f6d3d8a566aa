"""What every loop shares: the checks, the lifecycle, errors and tasks.

Each implementation is a subclass that owns its *scheduling structures* (where
ready callbacks and armed timers wait) and its *iteration* (``_run_once``). The
rest of the contract is the same for all of them and lives here, once:

* input checks (contract clause 6): NaN or infinite deadlines -> ``ValueError``,
  non-callables -> ``TypeError``, anything on a closed loop -> ``RuntimeError``,
  ``run_forever`` inside a running loop -> ``RuntimeError``;
* the lifecycle: ``run_forever`` calls ``_run_once`` until ``stop()``;
  ``run_until_complete`` wraps a coroutine in a task and stops when it is done;
* the exception handler (clause 4);
* ``create_task`` and ``sleep``;
* the tracing hook, ``set_tracer`` (``trace.py``): the shared code reports calls,
  runs, task steps and idle waits; a subclass reports only what its own iteration
  does, with one-liners under ``if self._tracer is not None:`` (due timers moved to
  the ready queue: ``_trace_due`` or ``_trace_batch(DUE, timers)``).

A subclass implements these hooks (see ``heap_loop.py`` for the reference version):

``_schedule(handle)``         put a ready ``Handle`` at the back of the ready queue
``_arm(timer)``               store a ``TimerHandle`` until its deadline
``_timer_cancelled(timer)``   a stored timer was cancelled: count it (to compact the store
                              later). Called from whichever thread cancels (clause 9): it
                              must not change the store; compact on the loop's thread
``_run_once()``               one iteration (see below)
``_post_threadsafe(handle)``  optional: hand a handle over from another thread
``_before_run()``, ``_after_run()``  optional: set up and tear down around each run
``_close()``                  optional: release resources (threads, selectors)

One iteration, the same in every built-in loop (and what the reference model in
``tests/test_property.py`` simulates):

1. If nothing is ready and ``stop()`` was not called, wait: until the earliest
   deadline, or for another thread's ``call_soon_threadsafe``. On a virtual clock
   this wait is a jump of time to the deadline.
2. Callbacks handed over by other threads join the ready queue, then every timer
   whose deadline has passed (``when <= time()``) joins it too, in (when, sequence)
   order: by deadline, first armed first among equal deadlines.
3. Run the callbacks that are ready *now*; callbacks they schedule wait for the next
   iteration (the slides' swap of the callbacks list). Cancelled handles are skipped.
"""

from __future__ import annotations

import collections
import inspect
import logging
import math
import threading
from types import CoroutineType
from typing import Any, Awaitable, Callable, ClassVar

from .clock import Clock, MonotonicClock, check_clock
from .errors import CancelledError
from .handles import Handle, TimerHandle
from .tasks import Future, Task, is_coroutine, is_generator, not_fresh, sleep_for
from .trace import ARMED, DUE, ITERATION, SCHEDULED, Event, Tracer

logger = logging.getLogger("impls")

_running = threading.local()   # the loop running in this thread, if any
_new_object = object.__new__


def check_callable(callback: Any, what: str = "callback") -> None:
    if not callable(callback):
        raise TypeError(f"{what} must be callable, got {type(callback).__name__}: {callback!r}")


def check_time(value: Any, what: str) -> float:
    """A delay or deadline must be a finite real number (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number, got {type(value).__name__}: {value!r}")
    if math.isnan(value):
        raise ValueError(f"{what} is NaN; a timer needs a real deadline")
    if math.isinf(value):
        raise ValueError(f"{what} is infinite ({value!r}); a timer needs a finite deadline")
    return float(value)


class BaseLoop:
    """The parts of the protocol every implementation shares. Subclass and add scheduling."""

    #: The registry name of the implementation; subclasses override.
    name: ClassVar[str] = "base"
    #: What the implementation supports, e.g. ``{"timers", "tasks", "threadsafe"}``.
    capabilities: ClassVar[frozenset[str]] = frozenset({"timers", "tasks"})
    #: Who watches this loop (``impls/trace.py``); ``None``: nobody, and tracing costs nothing.
    _tracer: Tracer | None = None

    def __init__(self, *, clock: Clock | None = None) -> None:
        self._clock: Clock = check_clock(clock) if clock is not None else MonotonicClock()
        self._closed = False
        self._stopping = False
        self._thread_id: int | None = None          # set while running
        self._exception_handler: Callable[[Any, dict], Any] | None = None
        self._tracer = None
        # Handles from other threads; deque.append/popleft are atomic, so no lock.
        self._threadsafe: collections.deque[Handle] = collections.deque()

    # ---------------------------------------------------------------- clock
    @property
    def clock(self) -> Clock:
        return self._clock

    def time(self) -> float:
        """The loop's notion of now, in seconds, from its clock."""
        return self._clock.time()

    # ----------------------------------------------------------- scheduling
    def call_soon(self, callback: Callable[..., Any], *args: Any) -> Handle:
        """Run ``callback(*args)`` at the next iteration, after those scheduled before it (FIFO)."""
        if self._closed:
            self._raise_closed()
        if not callable(callback):
            check_callable(callback)
        # Hot path: Handle(callback, args, self) written out. In CPython 3.11 calling a
        # class runs its Python __init__ in a frame of its own, about 30 ns, a tenth of a
        # callback's cost here; object.__new__ and the four slots set inline cost less.
        handle = _new_object(Handle)
        handle._callback = callback
        handle._args = args
        handle._loop = self
        handle._cancelled = False
        self._schedule(handle)
        if self._tracer is not None:
            self._tracer.event(Event(SCHEDULED, self._clock.time(), handle))
        return handle

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` once ``delay`` seconds have passed. Negative: as soon as possible."""
        delay = check_time(delay, "delay")
        return self.call_at(self._clock.time() + delay, callback, *args)

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` once ``time() >= when``; in deadline order, FIFO among equals."""
        if self._closed:
            self._raise_closed()
        # Fast path for the usual deadline, a finite float: ``x - x`` is 0.0 for every
        # finite float and NaN for NaN and the infinities. Anything else gets the full
        # check (ints are converted, bools and strings refused, with the reason).
        if when.__class__ is not float or when - when != 0.0:
            when = check_time(when, "when")
        if not callable(callback):
            check_callable(callback)
        # Hot path, as in call_soon: TimerHandle(when, callback, args, self, True) written out.
        timer = _new_object(TimerHandle)
        timer._callback = callback
        timer._args = args
        timer._loop = self
        timer._cancelled = False
        timer._when = when
        timer._scheduled = True
        self._arm(timer)
        if self._tracer is not None:
            self._tracer.event(Event(ARMED, self._clock.time(), timer, when))
        return timer

    def call_soon_threadsafe(self, callback: Callable[..., Any], *args: Any) -> Handle:
        """``call_soon`` that may be called from any thread; wakes the loop if it can be woken."""
        if self._closed:
            self._raise_closed()
        check_callable(callback)
        handle = Handle(callback, args, self)
        self._post_threadsafe(handle)
        return handle

    # ------------------------------------------------------------- running
    def run_forever(self) -> None:
        """Run iterations until ``stop()`` is called; ``stop()`` lets the current iteration finish."""
        self._check_runnable()
        self._thread_id = threading.get_ident()
        _running.loop = self
        try:
            self._before_run()
            while True:
                if self._tracer is not None:
                    self._tracer.event(Event(ITERATION, self._clock.time()))
                self._run_once()
                if self._stopping:
                    break
        finally:
            self._stopping = False
            self._thread_id = None
            _running.loop = None
            self._after_run()

    def run_until_complete(self, awaitable: Any) -> Any:
        """Run until ``awaitable`` (a coroutine or a task of this loop) is done; return its result.

        Raises the coroutine's exception, or ``CancelledError`` if it was cancelled.
        A coroutine the loop refuses to run (closed, or already running) is closed.
        """
        try:
            self._check_runnable()
        except RuntimeError:
            _close_quietly(awaitable)
            raise
        if isinstance(awaitable, Future):
            if awaitable._loop is not self:
                raise ValueError(f"{awaitable!r} belongs to another loop")
            task = awaitable
        else:
            task = self.create_task(awaitable)
        task.add_done_callback(self._stop_when_done)
        try:
            self.run_forever()
        finally:
            task.remove_done_callback(self._stop_when_done)
        if not task.done():
            raise RuntimeError("the loop stopped before the task completed")
        return task.result()

    def _stop_when_done(self, future: Future) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop ``run_forever`` after the current iteration. Before a run: the next run does one iteration."""
        self._stopping = True

    def is_running(self) -> bool:
        return self._thread_id is not None

    def close(self) -> None:
        """Release the loop's resources. Pending callbacks are dropped. Idempotent."""
        if self.is_running():
            raise RuntimeError("cannot close a running event loop")
        if self._closed:
            return
        self._closed = True
        self._threadsafe.clear()
        self._close()

    def is_closed(self) -> bool:
        return self._closed

    # --------------------------------------------------------------- tasks
    def create_task(self, coro: Any) -> Task:
        """Wrap a coroutine in a task scheduled to start at the next iteration."""
        if self._closed:
            _close_quietly(coro)
            self._raise_closed()
        # A fresh coroutine passes three tests; one another task runs is refused. (A
        # finished one is not tested here: asking for cr_frame builds a frame object, and
        # its task fails at the first step with Python's "cannot reuse" RuntimeError.)
        if coro.__class__ is not CoroutineType or coro.cr_suspended or coro.cr_running:
            self._check_task_target(coro)
        return self._make_task(coro)

    def _make_task(self, coro: Any) -> Task:
        return Task(coro, self)

    def _check_task_target(self, coro: Any) -> None:
        if is_coroutine(coro) or (is_generator(coro) and "generators" in self.capabilities):
            problem = not_fresh(coro)
            if problem is not None:
                raise RuntimeError(f"create_task() needs a coroutine (or generator) that has not started; "
                                   f"{getattr(coro, '__qualname__', coro)!r} {problem}")
            return
        accepted = "a coroutine or a generator" if "generators" in self.capabilities else "a coroutine"
        hint = ""
        if inspect.iscoroutinefunction(coro) or inspect.isgeneratorfunction(coro):
            hint = f" (did you mean {coro.__name__}()?)"
        elif is_generator(coro):
            hint = f" ({self.name} does not run plain generators)"
        raise TypeError(f"create_task() needs {accepted}, got {type(coro).__name__}{hint}")

    def sleep(self, delay: float, result: Any = None) -> Awaitable[Any]:
        """An awaitable that completes with ``result`` after ``delay`` seconds. ``sleep(0)`` yields once."""
        if self._closed:
            self._raise_closed()
        # As in call_at: a finite int or float passes without a call (``x - x`` is 0 for
        # those, NaN for NaN and the infinities); anything else gets the full check.
        if (delay.__class__ is not int and delay.__class__ is not float) or delay - delay != 0:
            delay = check_time(delay, "delay")
        return sleep_for(self, delay, result)

    def create_future(self) -> Future:
        """A bare future of this loop, for callbacks that want to wake a task."""
        return Future(self)

    # ------------------------------------------------------------ tracing
    def set_tracer(self, tracer: Tracer | None) -> None:
        """Send this loop's events to ``tracer.event(event)`` (``impls/trace.py``); ``None``: stop."""
        if tracer is not None and not callable(getattr(tracer, "event", None)):
            raise TypeError(f"a tracer needs an event(event) method, got {tracer!r}")
        self._tracer = tracer

    def get_tracer(self) -> Tracer | None:
        return self._tracer

    def _trace_due(self, append: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """``append`` (onto the ready queue) that also reports each due timer to the tracer."""
        tracer, time = self._tracer, self._clock.time

        def append_due(timer: TimerHandle) -> None:
            tracer.event(Event(DUE, time(), timer))
            append(timer)
        return append_due

    def _trace_batch(self, kind: str, subjects: Any) -> None:
        """One event of ``kind`` per subject, in order (e.g. a batch of due timers)."""
        tracer, now = self._tracer, self._clock.time()
        for subject in subjects:
            tracer.event(Event(kind, now, subject))

    # ------------------------------------------------------------ errors
    def set_exception_handler(self, handler: Callable[[Any, dict], Any] | None) -> None:
        """``handler(loop, context)`` is called for exceptions in callbacks; ``None`` restores the default."""
        if handler is not None:
            check_callable(handler, "exception handler")
        self._exception_handler = handler

    def get_exception_handler(self) -> Callable[[Any, dict], Any] | None:
        return self._exception_handler

    def call_exception_handler(self, context: dict) -> None:
        """Report an error the loop caught. ``context["exception"]`` is the exception."""
        handler = self._exception_handler
        if handler is None:
            self.default_exception_handler(context)
            return
        try:
            handler(self, context)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self.default_exception_handler({
                "message": "Unhandled error in exception handler",
                "exception": exc,
                "context": context,
            })

    def default_exception_handler(self, context: dict) -> None:
        """Log the error with its traceback on the ``impls`` logger."""
        exc = context.get("exception")
        exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
        logger.error("%s: %s", self.name, context.get("message", "Unhandled error in event loop"),
                     exc_info=exc_info)

    # ------------------------------------------------------------ checks
    def _check_runnable(self) -> None:
        if self._closed:
            self._raise_closed()
        if self.is_running():
            raise RuntimeError("this event loop is already running")
        other = getattr(_running, "loop", None)
        if other is not None:
            raise RuntimeError(f"cannot run a loop while another loop ({other.name}) is running in this thread")

    def _raise_closed(self) -> None:
        raise RuntimeError(f"the {self.name} event loop is closed")

    # ---------------------------------------------- hooks for subclasses
    def _schedule(self, handle: Handle) -> None:
        raise NotImplementedError

    def _arm(self, timer: TimerHandle) -> None:
        raise NotImplementedError

    def _timer_cancelled(self, timer: TimerHandle) -> None:
        pass

    def _run_once(self) -> None:
        raise NotImplementedError

    def _post_threadsafe(self, handle: Handle) -> None:
        self._threadsafe.append(handle)

    def _before_run(self) -> None:
        pass

    def _after_run(self) -> None:
        pass

    def _close(self) -> None:
        pass

    def __repr__(self) -> str:
        state = "closed" if self._closed else "running" if self.is_running() else "idle"
        return f"<{type(self).__name__} {self.name!r} {state} clock={self._clock!r}>"


def _close_quietly(coro: Any) -> None:
    """Close a coroutine we refuse to run, so Python does not warn it was never awaited."""
    if is_coroutine(coro) or is_generator(coro):
        coro.close()


__all__ = ["BaseLoop", "CancelledError", "check_callable", "check_time"]

"""Futures and tasks: how a coroutine runs on a callback loop (talk, steps 4 and 5).

A loop only knows how to run callbacks. A *task* turns a coroutine into a chain of
callbacks: ``_step`` sends the coroutine a value; the coroutine runs until it awaits
something that is not ready, which surfaces here as a yielded :class:`Future`; the
task asks that future to call ``_wakeup`` when it is done, and returns to the loop.
When the future completes, ``_wakeup`` runs (through ``call_soon``) and steps again.

    coroutine ──yield future──▶ Task._step ──future.add_done_callback(_wakeup)──▶ loop
        ▲                                                                          │
        └──────────── send(result) / throw(exc) ◀── Task._wakeup ◀── call_soon ────┘

A bare ``yield`` (what ``await loop.sleep(0)`` does) means "let the others run":
the task reschedules itself with ``call_soon``.

A task's first step (``_step(START)``) checks that its coroutine is still its own:
one given to two tasks before either started is accepted by both ``create_task``
calls (it had not started), is run by the first, and is found suspended by the
second, which then ends with ``RuntimeError`` without touching it. asyncio's second
task ends with a ``RuntimeError`` too; neither task is left pending.

Cancellation (contract clause 5) follows asyncio: ``Task.cancel()`` cancels the
future the task is waiting on, so the task wakes up with ``CancelledError`` thrown
in at its current ``await``; ``finally`` blocks run, and unless the coroutine
swallows the error the task ends cancelled. A task not waiting on anything (it is
in the ready queue) gets the error thrown in at its next step.

This module is shared by the callback-based loops (list, heap, thread). The
trampoline loop drives generators with a task of its own (``trampoline_loop.py``).
"""

from __future__ import annotations

import types
from types import CoroutineType, GeneratorType
from typing import TYPE_CHECKING, Any, Callable, Generator

from .errors import CancelledError, InvalidStateError
from .handles import Handle, callback_name
from .trace import FINISHED, SCHEDULED, SLEEP, STEP, SUSPEND, Event

if TYPE_CHECKING:
    from .base import BaseLoop

_PENDING, _CANCELLED, _FINISHED = "PENDING", "CANCELLED", "FINISHED"
_new_object = object.__new__


class _Start:
    """What a task's first step is called with (``_step(START)``): check the coroutine is ours."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "START"


START = _Start()


class Future:
    """A result that is not there yet. Awaiting it suspends the awaiting task until it is.

    Done callbacks are called with the future, through ``loop.call_soon``, never
    synchronously: whoever completes a future never runs foreign code in its frame.
    """

    __slots__ = ("_loop", "_state", "_result", "_exception", "_callbacks")

    def __init__(self, loop: BaseLoop) -> None:
        self._loop = loop
        self._state = _PENDING
        self._result: Any = None
        self._exception: BaseException | None = None
        # Done callbacks; None until the first one (most tasks are never awaited by
        # another task, so most never need the list).
        self._callbacks: list[Callable[[Future], Any]] | None = None

    # -- inspecting --------------------------------------------------------------
    def done(self) -> bool:
        return self._state != _PENDING

    def cancelled(self) -> bool:
        return self._state == _CANCELLED

    def result(self) -> Any:
        """The result; raises the exception, ``CancelledError``, or ``InvalidStateError`` if pending."""
        if self._state == _CANCELLED:
            raise CancelledError()
        if self._state == _PENDING:
            raise InvalidStateError(f"{self!r} is not done yet")
        if self._exception is not None:
            raise self._exception.with_traceback(self._exception.__traceback__)
        return self._result

    def exception(self) -> BaseException | None:
        """The exception (None if it succeeded); raises ``CancelledError`` / ``InvalidStateError``."""
        if self._state == _CANCELLED:
            raise CancelledError()
        if self._state == _PENDING:
            raise InvalidStateError(f"{self!r} is not done yet")
        return self._exception

    # -- completing --------------------------------------------------------------
    def set_result(self, result: Any) -> None:
        if self._state != _PENDING:
            raise InvalidStateError(f"{self!r} is already done")
        self._result = result
        self._state = _FINISHED
        self._schedule_callbacks()

    def set_exception(self, exception: BaseException | type[BaseException]) -> None:
        """Complete with ``exception``; an exception class is instantiated (as asyncio does).

        ``TypeError`` for anything that is not an exception, and for ``StopIteration``,
        which a generator would turn into a plain return on its way out.
        """
        if self._state != _PENDING:
            raise InvalidStateError(f"{self!r} is already done")
        if isinstance(exception, type) and issubclass(exception, BaseException):
            exception = exception()
        if not isinstance(exception, BaseException):
            raise TypeError(f"set_exception() needs an exception, got {type(exception).__name__}: {exception!r}")
        if isinstance(exception, StopIteration):
            raise TypeError("StopIteration interacts badly with generators and cannot be raised into a future")
        self._exception = exception
        self._state = _FINISHED
        self._schedule_callbacks()

    def cancel(self) -> bool:
        """Cancel a pending future; returns False if it was already done."""
        if self._state != _PENDING:
            return False
        self._state = _CANCELLED
        self._schedule_callbacks()
        return True

    # -- callbacks -----------------------------------------------------------------
    def add_done_callback(self, fn: Callable[[Future], Any]) -> None:
        """Call ``fn(self)`` through the loop once done (at once, via ``call_soon``, if already done)."""
        if not callable(fn):
            raise TypeError(f"done callback must be callable, got {fn!r}")
        if self._state != _PENDING:
            self._loop.call_soon(fn, self)
        elif self._callbacks is None:
            self._callbacks = [fn]
        else:
            self._callbacks.append(fn)

    def remove_done_callback(self, fn: Callable[[Future], Any]) -> int:
        """Remove every registration of ``fn``; return how many were removed."""
        if not self._callbacks:
            return 0
        kept = [cb for cb in self._callbacks if cb != fn]
        removed = len(self._callbacks) - len(kept)
        self._callbacks[:] = kept
        return removed

    def _schedule_callbacks(self) -> None:
        tracer = self._loop._tracer
        if tracer is not None and isinstance(self, Task):
            tracer.event(Event(FINISHED, self._loop.time(), self, self._state.lower()))
        callbacks, self._callbacks = self._callbacks, None
        if callbacks:
            call_soon = self._loop.call_soon
            for fn in callbacks:
                call_soon(fn, self)

    def __await__(self) -> Generator[Future, None, Any]:
        if self._state == _PENDING:
            try:
                yield self                 # the task running us waits on us
            except BaseException:
                # Our exception, thrown in by the task's _wakeup, would hold this frame
                # in its traceback, and the frame us: a cycle only the cyclic GC frees.
                self = None
                raise
        return self.result()

    __iter__ = __await__                   # so generator code can ``yield from`` a future

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._state.lower()}>"


class Task(Future):
    """Runs a coroutine on a loop, step by step. Awaiting a task returns its result."""

    __slots__ = ("_coro", "_waiting_on", "_must_cancel", "__weakref__")

    def __init__(self, coro: Any, loop: BaseLoop) -> None:
        # Hot path (one per spawn): the first step is scheduled with the loop's _schedule
        # hook: call_soon's checks (closed loop, callable) are already answered,
        # create_task made them.
        Future.__init__(self, loop)
        self._coro = coro
        self._waiting_on: Future | None = None
        self._must_cancel = False
        handle = Handle(self._step, (START,), loop)
        loop._schedule(handle)
        if loop._tracer is not None:
            loop._tracer.event(Event(SCHEDULED, loop.time(), handle))

    def get_coro(self) -> Any:
        return self._coro

    def set_result(self, result: Any) -> None:
        """Refused: a task's result is what its coroutine returns (as in asyncio)."""
        raise RuntimeError("Task does not support set_result operation: its result comes from its coroutine")

    def set_exception(self, exception: BaseException) -> None:
        """Refused: a task's exception is what its coroutine raises (as in asyncio)."""
        raise RuntimeError("Task does not support set_exception operation: its exception comes from its coroutine")

    def cancel(self) -> bool:
        """Request cancellation: ``CancelledError`` is thrown into the coroutine at its current await.

        Returns False if the task is already done. The coroutine may catch the error;
        the task is then not cancelled (as in asyncio).
        """
        if self.done():
            return False
        waiting_on = self._waiting_on
        if waiting_on is not None and waiting_on.cancel():
            return True                    # we will wake up with CancelledError
        self._must_cancel = True           # thrown in at the next step
        return True

    def _step(self, exc: BaseException | None = None) -> None:
        if self._state is not _PENDING:    # e.g. a stale wakeup after completion
            return
        if exc is START:                   # the first step (one compare a step, O(1))
            if self._refused_at_start():
                return
            exc = None
        if self._loop._tracer is not None:
            self._loop._tracer.event(Event(STEP, self._loop.time(), self, exc))
        if self._must_cancel:
            exc = self._take_cancel(exc)
        self._waiting_on = None
        coro = self._coro
        try:
            yielded = coro.send(None) if exc is None else coro.throw(exc)
        except StopIteration as stop:
            if self._must_cancel:          # cancelled while finishing: asyncio marks it cancelled
                self._must_cancel = False
                super().cancel()
            else:                          # set_result, written out (once per task)
                self._result = stop.value
                self._state = _FINISHED
                if self._callbacks is not None or self._loop._tracer is not None:
                    self._schedule_callbacks()
        except CancelledError:
            super().cancel()
        except (KeyboardInterrupt, SystemExit) as error:
            super().set_exception(error)
            raise
        except BaseException as error:
            super().set_exception(without_our_frame(error))
        else:
            loop = self._loop
            if yielded is None and loop._tracer is None:
                # Hot path, sleep(0): _wait_for's first case and loop.call_soon written
                # out (two Python calls less a switch). The loop is running this task,
                # so it is open, and the bound method is callable.
                handle = _new_object(Handle)
                handle._callback = self._step
                handle._args = ()
                handle._loop = loop
                handle._cancelled = False
                loop._schedule(handle)
            else:
                self._wait_for(yielded)

    def _refused_at_start(self) -> bool:
        """At the first step: is the coroutine already running in another task (given to
        it first)? Then this task ends, with ``RuntimeError`` (cancelled, if that was
        asked), and the coroutine is left alone: stepping it would steal the other
        task's step and leave that one pending forever."""
        coro = self._coro
        if coro.__class__ is CoroutineType:
            taken = coro.cr_suspended or coro.cr_running
        elif coro.__class__ is GeneratorType:
            taken = coro.gi_suspended or coro.gi_running
        else:
            taken = False
        if not taken:
            return False
        if self._must_cancel:
            self._must_cancel = False
            Future.cancel(self)
        else:
            Future.set_exception(self, RuntimeError(
                f"task {self!r} cannot start: its coroutine is already being run by another task "
                "(a coroutine was given to create_task twice)"))
        return True

    def _take_cancel(self, exc: BaseException | None) -> CancelledError:
        """The step ``cancel()`` asked for has come: what to throw in (``exc``, if it is a
        ``CancelledError`` already; a new one otherwise). The request is used up."""
        self._must_cancel = False
        return exc if isinstance(exc, CancelledError) else CancelledError()

    def _wait_for(self, yielded: Any) -> None:
        loop = self._loop
        if loop._tracer is not None:
            loop._tracer.event(Event(SUSPEND, loop.time(), self, yielded))
        if yielded is None:                # bare yield: sleep(0), let the others run
            loop.call_soon(self._step)
        elif isinstance(yielded, Future) and yielded._loop is loop and yielded is not self:
            self._waiting_on = yielded
            yielded.add_done_callback(self._wakeup)
            if self._must_cancel and yielded.cancel():
                self._must_cancel = False
        else:
            reason = ("a task cannot await itself" if yielded is self else
                      "a future of another loop" if isinstance(yielded, Future) else
                      f"{yielded!r} (await a loopbench future, task or loop.sleep())")
            loop.call_soon(self._step, RuntimeError(f"Task got bad yield: {reason}"))

    def _wakeup(self, future: Future) -> None:
        # The outcome is read, not raised (as asyncio's C task does): raising it here
        # would add this frame, and result()'s, to the error's traceback: cycles through
        # ``self`` and ``future`` that only the cyclic GC frees.
        if future._state is _FINISHED:
            exc = future._exception
            if exc is None:
                self._step()               # the common case: no exception to fetch
            else:
                self._step(exc)
        else:
            self._step(CancelledError())

    def __repr__(self) -> str:
        coro = self._coro
        name = callback_name(coro)
        return f"<Task {self._state.lower()} {name}>"


class _Yield:
    """``await _Yield()`` is a bare yield: the task goes to the back of the ready queue."""

    __slots__ = ()

    def __await__(self):
        yield None

    __iter__ = __await__


YIELD = _Yield()


async def sleep_for(loop: BaseLoop, delay: float, result: Any = None) -> Any:
    """The coroutine behind ``loop.sleep()``: wait on a future a timer completes."""
    if delay <= 0:
        await YIELD
        return result
    future = Future(loop)
    if loop._tracer is not None:
        loop._tracer.event(Event(SLEEP, loop.time(), future, delay))
    timer = loop.call_later(delay, _set_result_unless_done, future, result)
    try:
        return await future
    finally:
        timer.cancel()


def _set_result_unless_done(future: Future, result: Any) -> None:
    if not future.done():
        future.set_result(result)


def without_our_frame(error: BaseException) -> BaseException:
    """``error``, caught in a task's step, minus the step's own frame in its traceback.

    The task keeps the error; a traceback entry for the step's frame would keep that
    frame, which holds the task (``self``) and, through ``f_back``, the handle and the
    loop's iteration that ran it: a cycle back to the error, freed only by the cyclic
    GC, with everything the failed coroutine's frames hold. asyncio's C task has no
    frame to leave there; its Python task clears ``self`` for the same reason. What is
    left starts at the coroutine, as asyncio's tracebacks do.
    """
    traceback = error.__traceback__
    if traceback is not None:
        error.__traceback__ = traceback.tb_next
    return error


def is_coroutine(obj: Any) -> bool:
    return isinstance(obj, types.CoroutineType)


def is_generator(obj: Any) -> bool:
    return isinstance(obj, types.GeneratorType)


def not_fresh(obj: Any) -> str | None:
    """Why a coroutine or generator cannot start a task: what it is doing already.

    ``None`` if it has not started. One that is suspended is being run by someone
    else (another task, most likely): a second task would steal its steps, and the
    first would wait forever. One that finished has nothing left to run.
    """
    if is_coroutine(obj):
        frame, running, suspended = obj.cr_frame, obj.cr_running, obj.cr_suspended
    else:
        frame, running, suspended = obj.gi_frame, obj.gi_running, obj.gi_suspended
    if frame is None:
        return "has already finished"
    if running:
        return "is already running"
    if suspended:
        return "is already suspended at an await (another task is running it)"
    return None

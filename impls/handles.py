"""Handles: a scheduled callback, and the object ``call_soon``/``call_at`` return.

A ``Handle`` is the unit a loop's ready queue holds: a callback, its arguments and
a cancelled flag. The loop runs a handle with ``handle._run()``, which routes any
exception to the loop's exception handler so that one failing callback cannot stop
the loop (contract clause 4). ``TimerHandle`` adds the deadline, ``when()``.

Cancellation is lazy, as in asyncio's ``events.py``: ``cancel()`` only sets a flag,
and the loop skips flagged handles when it meets them. Removing a timer from the
middle of a heap would cost O(n); skipping it when it reaches the top costs nothing.
The price is memory: a cancelled timer stays in the loop's timer store until it
reaches the top, so ``TimerHandle.cancel`` tells its loop (``_timer_cancelled``),
which counts it and compacts its store once cancelled entries outnumber live ones.
``cancel()`` may be called from any thread (contract clause 9): it only sets the
flag and has the loop count; the store is compacted on the loop's own thread.

``__slots__`` because a busy loop creates one handle per callback.
"""

from __future__ import annotations

import reprlib
from typing import TYPE_CHECKING, Any, Callable

from .trace import CANCELLED, RAN, RUN, Event

if TYPE_CHECKING:
    from .base import BaseLoop


def callback_name(callback: Any) -> str:
    """A short, readable name for a callback, for reprs and error messages.

    Never raises: it is called while the loop reports an error (and for a tracer), so
    a callable whose ``__qualname__``, ``__name__`` or ``__repr__`` raises is named by
    its type and address instead. (asyncio's handle repr lets such an error escape,
    out of ``run_forever``; contract clause 4 says a bad callback is reported, not fatal.)
    """
    try:
        name = getattr(callback, "__qualname__", None) or getattr(callback, "__name__", None)
        return name if isinstance(name, str) and name else reprlib.repr(callback)
    except Exception:
        return f"<{type(callback).__name__} object at {id(callback):#x}>"


class Handle:
    """A callback scheduled on a loop. ``cancel()`` before it runs and it never will."""

    __slots__ = ("_callback", "_args", "_loop", "_cancelled")

    def __init__(self, callback: Callable[..., Any], args: tuple, loop: BaseLoop) -> None:
        # BaseLoop.call_soon and Task._step set these four slots without calling this
        # (their hot paths); a slot added here must be added there.
        self._callback = callback
        self._args = args
        self._loop = loop
        self._cancelled = False

    def cancel(self) -> None:
        """Make sure the callback never runs. Cancelling twice, or after it ran, is harmless."""
        if not self._cancelled:
            if self._loop._tracer is not None and self._pending():
                self._loop._tracer.event(Event(CANCELLED, self._loop.time(), self))
            self._cancelled = True       # as asyncio outside debug mode: no repr kept, the
                                         # callback is released and the repr says "cancelled"
            self._callback = None        # release what the callback holds on to
            self._args = None

    def cancelled(self) -> bool:
        return self._cancelled

    def _pending(self) -> bool:
        """Is cancelling still news? (A plain handle cannot tell whether it ran.)"""
        return True

    def _run(self) -> None:
        if self._loop._tracer is not None:
            return self._run_traced()
        try:
            self._callback(*self._args)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._failed(exc)

    def _run_traced(self) -> None:
        # _run again, between the RUN and RAN events: kept apart, an untraced _run pays nothing for tracing.
        tracer, loop = self._loop._tracer, self._loop
        tracer.event(Event(RUN, loop.time(), self))
        try:
            self._callback(*self._args)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._failed(exc)
        finally:
            tracer.event(Event(RAN, loop.time(), self))

    def _failed(self, exc: BaseException) -> None:
        """The call raised ``exc``: hand it to the loop's exception handler (clause 4)."""
        if self._lost_to_cancel(exc):
            return
        self._loop.call_exception_handler({
            "message": f"Exception in callback {self!r}",
            "exception": exc,
            "handle": self,
        })

    def _lost_to_cancel(self, exc: BaseException) -> bool:
        """Did the call fail because ``cancel()``, from another thread, cleared the callback
        after the loop had checked ``_cancelled``? Then nothing ran, and nothing is wrong.

        The sign: the handle is cancelled and the error was raised by the call itself, in
        ``_run``'s frame (a Python callback that raised adds its own frame). Checked here,
        on the error path, so that running a callback costs nothing more.
        """
        return self._callback is None and exc.__traceback__ is not None and exc.__traceback__.tb_next is None

    def __repr__(self) -> str:
        if self._cancelled:
            return f"<{type(self).__name__} cancelled>"
        return f"<{type(self).__name__} {callback_name(self._callback)}>"


class TimerHandle(Handle):
    """A callback scheduled for a deadline (in the loop's ``time()``). Adds ``when()``.

    ``_scheduled`` is True while the handle sits in the loop's timer store; the loop
    clears it when the timer moves to the ready queue, so cancelling a timer that has
    already fired does not count toward compaction.
    """

    __slots__ = ("_when", "_scheduled")

    def __init__(self, when: float, callback: Callable[..., Any], args: tuple, loop: BaseLoop,
                 scheduled: bool = False) -> None:
        # The slots are set here, not through Handle.__init__. BaseLoop.call_at sets them
        # without calling this (its hot path); a slot added here must be added there.
        self._callback = callback
        self._args = args
        self._loop = loop
        self._cancelled = False
        self._when = when
        self._scheduled = scheduled

    def when(self) -> float:
        """The deadline: the timer never fires before ``loop.time() >= when()``."""
        return self._when

    def _pending(self) -> bool:
        return self._scheduled           # still stored; cancelling a fired timer is no news

    def cancel(self) -> None:
        # Hot path (timeouts are armed and cancelled by the thousand): Handle.cancel
        # written out, with the store's bookkeeping, in one call.
        if self._cancelled:
            return
        loop = self._loop
        if loop._tracer is not None and self._scheduled:
            loop._tracer.event(Event(CANCELLED, loop.time(), self))
        self._cancelled = True
        self._callback = None
        self._args = None
        if self._scheduled:
            loop._timer_cancelled(self)

    def __repr__(self) -> str:
        if self._cancelled:
            return f"<TimerHandle cancelled when={self._when!r}>"
        return f"<TimerHandle when={self._when!r} {callback_name(self._callback)}>"

"""The callback service: ``call_soon``/``call_at`` for a library that has no plain callbacks.

trio (timers only), curio and anyio have no loop of plain callbacks, so their
adapters run one service task per run that keeps the callbacks and runs them. The
same service runs on asyncio as the ``asyncio-emulated`` control, so its own cost can
be measured apart from any library's.

What the service keeps, and in which order it runs things, is the same everywhere:

* soon callbacks in a FIFO, timers in ``impls.timerheap.TimerHeap`` (by deadline,
  then arming order; lazy cancellation with compaction);
* one *round* at a time: every soon callback queued so far, then every due timer;
  callbacks those schedule wait for the next round, as on a real loop;
* the callbacks are ``impls`` handles whose loop is the service: ``cancel()`` is
  theirs, and a callback that raises goes to the service's exception handler, which
  re-raises it, so the exception ends the service task. What the run does next is
  the library's (or the adapter's) answer to a crashed task.

How the service *waits* is each library's own piece, a ``Wakeup``: ``wake()``, a
plain call made when there is new work; ``pause()``, let other tasks run once;
``wait(deadline)``, until ``wake()`` or the deadline (None: no deadline). Evidence
for why one service and not a task per timer: docs/research/NOTES.md (section 4).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from impls.handles import Handle, TimerHandle
from impls.timerheap import TimerHeap


class Wakeup(Protocol):
    """How a service task waits, in its library's terms."""

    def wake(self) -> None: ...

    async def pause(self) -> None: ...

    async def wait(self, deadline: float | None) -> None: ...


class CallbackService:
    """One task per run (``serve``) that runs ``call_soon`` callbacks FIFO and ``call_at`` ones by deadline.

    ``clock`` is the library's clock (deadlines are in its terms); ``wakeup`` is how the
    task waits. ``serve`` runs until it is cancelled or a callback raises.
    """

    _tracer = None                        # as a loop to its handles: nothing traces the service

    def __init__(self, clock: Callable[[], float], wakeup: Wakeup) -> None:
        self._clock, self._wakeup = clock, wakeup
        self._soon: deque[Handle] = deque()
        self._timers = TimerHeap()
        self._timer_cancelled = self._timers.note_cancelled

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> Handle:
        handle = Handle(callback, args, self)
        self._soon.append(handle)
        self._wakeup.wake()
        return handle

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        timer = TimerHandle(when, callback, args, self, scheduled=True)
        if self._timers.push(timer):      # a new earliest deadline: the waiting service must re-arm
            self._wakeup.wake()
        return timer

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        raise context["exception"]        # a raising callback ends the service task

    async def serve(self) -> None:
        soon, timers, wakeup = self._soon, self._timers, self._wakeup
        while True:
            deadline = timers.deadline()
            if soon or (deadline is not None and deadline <= self._clock()):
                await wakeup.pause()      # work is ready: let other tasks run first
            else:
                await wakeup.wait(deadline)
            ready = list(soon)            # one round: the soon callbacks queued so far ...
            soon.clear()
            timers.pop_due(self._clock(), ready.append)   # ... then the due timers
            for handle in ready:
                if not handle._cancelled:
                    handle._run()

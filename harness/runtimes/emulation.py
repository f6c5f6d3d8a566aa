"""The library-agnostic parts of emulated operations, shared by the trio, curio and anyio adapters.

Those libraries have no task handles (trio, anyio) or no plain callbacks (all
three), so their adapters build them. How a service task *waits* is each library's
own business and stays in its adapter; what is kept and in which order things run
is the same everywhere, and lives here:

* ``CallbackQueue``: ``call_soon`` callbacks (FIFO) and ``call_at`` timers in a heap
  of ``(when, sequence, callback)``, so equal deadlines fire in scheduling order.
  ``take_due(now)`` returns one round: every queued soon callback, then every due
  timer; callbacks those schedule wait for the next round, as on a real loop.
* ``ScheduledCallback``: what ``call_soon``/``call_at`` return; ``cancel()`` is a flag.
* ``TaskOutcome``: how an emulated task ended, for ``join``.
* ``ChildTally``: how a task group's children ended, for ``group_errors``.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import deque
from collections.abc import Callable
from typing import Any

from ..runtime import Cancelled


class ScheduledCallback:
    """A callback scheduled by an emulated ``call_soon``/``call_at``. ``cancel()`` stops it."""

    __slots__ = ("callback", "args", "cancelled")

    def __init__(self, callback: Callable[..., Any], args: tuple) -> None:
        self.callback, self.args, self.cancelled = callback, args, False

    def cancel(self) -> None:
        self.cancelled = True


class CallbackQueue:
    """Soon callbacks (FIFO) and timers (by deadline, then scheduling order)."""

    def __init__(self) -> None:
        self.soon: deque[ScheduledCallback] = deque()
        self.timers: list[tuple[float, int, ScheduledCallback]] = []
        self._sequence = itertools.count()

    def add_soon(self, callback, args) -> ScheduledCallback:
        entry = ScheduledCallback(callback, args)
        self.soon.append(entry)
        return entry

    def add_at(self, when: float, callback, args) -> tuple[ScheduledCallback, bool]:
        """Arm a timer; also say whether it is now the earliest (the service must re-arm its wait)."""
        entry = ScheduledCallback(callback, args)
        heapq.heappush(self.timers, (when, next(self._sequence), entry))
        return entry, self.timers[0][2] is entry

    def next_deadline(self) -> float:
        return self.timers[0][0] if self.timers else math.inf

    def take_due(self, now: float) -> list[ScheduledCallback]:
        """One round: every soon callback queued so far, then every timer due by ``now``."""
        due = list(self.soon)
        self.soon.clear()
        timers = self.timers
        while timers and timers[0][0] <= now:
            due.append(heapq.heappop(timers)[2])
        return due


class TaskOutcome:
    """How an emulated task ended: its result, its exception, or cancellation."""

    def __init__(self) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self.cancelled = False

    def outcome(self) -> Any:
        """The result; or raise the task's exception, or ``Cancelled``."""
        if self.cancelled:
            raise Cancelled()
        if self.error is not None:
            raise self.error
        return self.result


class ChildTally:
    """How a task group's children ended, for libraries with no task objects to ask afterwards."""

    def __init__(self, children: int, is_cancellation: Callable[[BaseException], bool]) -> None:
        self.running, self.cancelled = children, 0
        self._is_cancellation = is_cancellation

    async def watch(self, fn):
        try:
            return await fn()
        except BaseException as exc:
            if self._is_cancellation(exc):
                self.cancelled += 1
            raise
        finally:
            self.running -= 1

    def counts(self) -> dict[str, int]:
        return {"siblings_cancelled": self.cancelled, "siblings_still_running": self.running}

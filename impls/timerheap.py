"""A heap of timers with lazy cancellation: the timer store of the heap and thread loops.

Entries are ``(when, sequence, handle)`` tuples in a ``heapq``:

* the earliest deadline is ``entries[0]``: O(1) to peek, O(log n) to push or pop;
* ``sequence`` is a counter, so equal deadlines pop in the order they were armed
  (FIFO), and tuple comparison (in C) never reaches the handles;
* cancellation is lazy, as in asyncio: ``TimerHandle.cancel`` only sets a flag, and
  ``pop_due`` drops flagged entries when they reach the top. Flagged entries still
  hold memory, so the store counts them (``cancelled``) and rebuilds the heap
  without them once they are more than half of it and more than
  ``MIN_CANCELLED_TO_COMPACT``: an amortised O(1) per cancel.

**Who may change the heap.** ``cancel()`` may come from any thread (contract
clause 9), so ``note_cancelled``, the one method it reaches, only counts. The heap
itself is changed only by the thread that arms timers and runs the loop: the
rebuild happens there, at the next ``push`` or idle ``deadline()``. (A rebuild on
the cancelling thread would race ``pop_due``: a timer popped from the old list and
kept in the new one runs twice.) Cancelling never adds memory, and every push keeps
the heap within twice its live timers plus ``MIN_CANCELLED_TO_COMPACT``. The count
is a heuristic: a cancel racing a rebuild may leave it off by one, never more.

Not thread-safe otherwise: ``push``, ``deadline`` and ``pop_due`` belong to one
thread at a time (the thread loop holds its condition's lock around them).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

from .handles import TimerHandle

#: asyncio's numbers (``_MIN_SCHEDULED_TIMER_HANDLES``, ``_MIN_CANCELLED_TIMER_HANDLES_FRACTION``).
MIN_CANCELLED_TO_COMPACT = 100


class TimerHeap:
    __slots__ = ("entries", "cancelled", "_sequence")

    def __init__(self) -> None:
        self.entries: list[tuple[float, int, TimerHandle]] = []
        self.cancelled = 0
        self._sequence = itertools.count()

    def __len__(self) -> int:
        return len(self.entries)

    def push(self, timer: TimerHandle) -> bool:
        """Arm ``timer``; return True if it is now the earliest deadline."""
        entries = self.entries
        if self.cancelled > MIN_CANCELLED_TO_COMPACT and self.cancelled * 2 > len(entries):
            self.compact()
        entry = (timer._when, next(self._sequence), timer)
        heapq.heappush(entries, entry)
        return entries[0] is entry

    def deadline(self) -> float | None:
        """The earliest live deadline (dropping cancelled timers from the top), or None."""
        entries = self.entries
        if self.cancelled > MIN_CANCELLED_TO_COMPACT and self.cancelled * 2 > len(entries):
            self.compact()
        while entries and entries[0][2]._cancelled:
            heapq.heappop(entries)
            self.cancelled -= 1
        return entries[0][0] if entries else None

    def pop_due(self, now: float, append: Callable[[TimerHandle], object]) -> None:
        """Pass every live timer with ``when <= now`` to ``append``, in (when, sequence) order."""
        entries = self.entries
        while entries and entries[0][0] <= now:
            timer = heapq.heappop(entries)[2]
            if timer._cancelled:
                self.cancelled -= 1
                continue
            timer._scheduled = False
            append(timer)

    def note_cancelled(self, timer: TimerHandle | None = None) -> None:
        """A timer still in the heap was cancelled: count it. Safe from any thread.

        Only counts; the heap is rebuilt by the thread that owns it (``push``,
        ``deadline``). Takes the timer (unused) so that it can serve as a loop's
        ``_timer_cancelled`` hook.
        """
        self.cancelled += 1

    def compact(self) -> None:
        """Rebuild the heap without its cancelled timers (in place: ``entries`` stays the same list)."""
        entries = self.entries
        entries[:] = [e for e in entries if not e[2]._cancelled]
        heapq.heapify(entries)
        self.cancelled = 0

    def clear(self) -> None:
        self.entries.clear()
        self.cancelled = 0

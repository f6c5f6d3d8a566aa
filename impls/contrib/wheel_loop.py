"""The wheel loop: the heap loop with its timer heap swapped for a hierarchical timing wheel.

Everything but the timer store is the heap loop's (``impls/heap_loop.py``): the
ready deque, the selector idle wait, the self-pipe wake-up, I/O on the same selector
(capability ``"io"``: ``add_reader``, the ``sock_*`` coroutines), one iteration that
runs only what was ready when it began. ``self._timers`` is a ``TimingWheel``
(``timingwheel.py``, whose docstring explains the design) instead of a
``TimerHeap``. The two have the same interface, so ``_run_once`` cannot tell them
apart. That is the point of the exercise: one data structure changes, the
conformance suite stays the same, and the benchmarks show what changed.

What changes for the loop:

* **arming and cancelling are O(1)**, with no comparisons: a timer is appended to
  the slot of its tick. Loops that arm many timeouts and cancel most of them before
  they fire (network servers, RPC deadlines) are the case wheels were invented for.
  Firing costs amortised O(1) per timer, plus sorting each batch of due timers.
  In CPython this does not make it faster: ``heapq`` runs its O(log n) in C, the
  wheel runs its O(1) in bytecode, and a timer far away pays for a cascade at each
  level on its way down. The benchmarks say by how much;
* **the idle wait is the same as the heap loop's.** ``deadline()`` is the earliest
  deadline, so the loop wakes when a timer is due, not at every tick or cascade on
  the way. ``pop_due`` then moves the wheel's cursor straight there, however far.
  The one difference: a timer cancelled since it was armed may still count, so the
  loop can wake once for it and find nothing to do;
* **``tick``** (seconds, 1 ms by default) sets the size of a slot, not the precision
  of firing. Due timers are found by comparing ``when <= now``, so nothing fires
  early or late because of the tick. A coarse tick crowds more timers into each
  tick, whose timers the wheel keeps in a small heap once the tick is current. A fine
  tick sends the same delays to higher levels, so more cascades.

The wheel's cursor starts at the clock's time when the loop is made, because it
must never run ahead of the clock (see ``timingwheel.py``).
"""

from __future__ import annotations

from impls.clock import Clock, MonotonicClock, check_clock
from impls.heap_loop import HeapLoop

from .timingwheel import TimingWheel


class WheelLoop(HeapLoop):
    """Ready deque + hierarchical timing wheel + selector idle wait."""

    name = "wheel"
    capabilities = HeapLoop.capabilities

    def __init__(self, *, clock: Clock | None = None, tick: float = 0.001) -> None:
        clock = check_clock(clock) if clock is not None else MonotonicClock()
        wheel = TimingWheel(tick, start=clock.time())     # a bad tick fails before sockets open
        super().__init__(clock=clock, timers=wheel)

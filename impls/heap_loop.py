"""The heap loop: a ready deque, a heap of timers, and a selector to wait on.

This is the shape of asyncio's ``BaseEventLoop._run_once`` (``base_events.py``) and
of curio's kernel, reduced to what the contract needs. It fixes the list loop's
O(n)-per-tick scan:

* **ready** is a ``collections.deque``: O(1) append and popleft.
* **timers** is a binary heap (``heapq``) of ``(when, sequence, handle)`` tuples. The
  earliest deadline is ``timers[0]``: arming is O(log n), finding what is due is O(1)
  per due timer plus O(log n) to pop it. ``sequence`` is a counter, so equal
  deadlines pop in the order they were armed (FIFO), and tuples compare in C
  without ever comparing two handles.
* **cancellation is lazy**: ``cancel()`` sets a flag; a cancelled timer is skipped
  when it reaches the top of the heap. Cancelled timers still take memory, so the
  loop counts them and rebuilds the heap without them when they are more than half
  of it (and more than ``MIN_CANCELLED_TIMERS_TO_COMPACT``): asyncio's rule, an
  amortised O(1) per cancel.
* **the idle wait goes through** ``selectors``: with nothing ready, the loop blocks
  in ``select(timeout)`` until the earliest deadline. Another thread wakes it early
  by writing a byte to a socket pair the selector watches (the self-pipe trick), so
  ``call_soon_threadsafe`` works on an idle loop; sockets can be added to the same
  selector later. A busy loop does not call ``select`` at all: nothing to wait for.
* **each iteration runs only what was ready when it began** (``ntodo``), so a
  callback that keeps rescheduling itself cannot starve due timers.
"""

from __future__ import annotations

import heapq
import itertools
import selectors
import socket
from collections import deque

from .base import BaseLoop
from .handles import Handle, TimerHandle

MIN_CANCELLED_TIMERS_TO_COMPACT = 100


class HeapLoop(BaseLoop):
    """Ready deque + timer heap + selector idle wait. The reference implementation."""

    name = "heap"
    capabilities = frozenset({"timers", "tasks", "threadsafe"})

    def __init__(self, *, clock=None) -> None:
        super().__init__(clock=clock)
        self._ready: deque[Handle] = deque()
        self._timers: list[tuple[float, int, TimerHandle]] = []
        self._sequence = itertools.count()
        self._cancelled_timers = 0
        self._selector = selectors.DefaultSelector()
        self._wake_recv, self._wake_send = socket.socketpair()
        self._wake_recv.setblocking(False)
        self._wake_send.setblocking(False)
        self._selector.register(self._wake_recv, selectors.EVENT_READ)

    # ------------------------------------------------------------ hooks
    def _schedule(self, handle: Handle) -> None:
        self._ready.append(handle)

    def _arm(self, timer: TimerHandle) -> None:
        heapq.heappush(self._timers, (timer._when, next(self._sequence), timer))

    def _timer_cancelled(self, timer: TimerHandle) -> None:
        self._cancelled_timers += 1
        if (self._cancelled_timers > MIN_CANCELLED_TIMERS_TO_COMPACT
                and self._cancelled_timers * 2 > len(self._timers)):
            self._timers = [entry for entry in self._timers if not entry[2]._cancelled]
            heapq.heapify(self._timers)
            self._cancelled_timers = 0

    def _post_threadsafe(self, handle: Handle) -> None:
        self._threadsafe.append(handle)
        try:
            self._wake_send.send(b"\0")
        except OSError:          # buffer full (the loop is already awake) or closing
            pass

    # ------------------------------------------------------- iteration
    def _run_once(self) -> None:
        ready, timers, threadsafe = self._ready, self._timers, self._threadsafe

        # Drop cancelled timers from the top so the idle wait uses a live deadline.
        while timers and timers[0][2]._cancelled:
            heapq.heappop(timers)
            self._cancelled_timers -= 1

        # 1. Wait, if there is nothing to do.
        if not ready and not threadsafe and not self._stopping:
            deadline = timers[0][0] if timers else None
            self._clock.wait_until(deadline, self._select)

        # 2. Callbacks from other threads, then due timers, join the ready queue.
        while threadsafe:
            ready.append(threadsafe.popleft())
        if timers:
            now = self._clock.time()
            while timers and timers[0][0] <= now:
                timer = heapq.heappop(timers)[2]
                if timer._cancelled:
                    self._cancelled_timers -= 1
                    continue
                timer._scheduled = False
                ready.append(timer)

        # 3. Run what was ready when the iteration began; newcomers wait.
        popleft = ready.popleft
        for _ in range(len(ready)):
            handle = popleft()
            if not handle._cancelled:
                handle._run()

    def _select(self, timeout: float | None) -> bool:
        events = self._selector.select(timeout)
        for key, _ in events:
            if key.fileobj is self._wake_recv:
                try:
                    while self._wake_recv.recv(4096):
                        pass
                except (BlockingIOError, InterruptedError):
                    pass
        return bool(events) or bool(self._threadsafe)

    def _close(self) -> None:
        self._ready.clear()
        self._timers.clear()
        self._selector.close()
        self._wake_recv.close()
        self._wake_send.close()

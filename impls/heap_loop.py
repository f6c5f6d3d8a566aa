"""The heap loop: a ready deque, a heap of timers, and a selector to wait on.

This is the shape of asyncio's ``BaseEventLoop._run_once`` (``base_events.py``) and
of curio's kernel, reduced to what the contract needs. It fixes the list loop's
O(n)-per-tick scan:

* **ready** is a ``collections.deque``: O(1) append and popleft.
* **timers** is a binary heap (``heapq``) of ``(when, sequence, handle)`` tuples
  (``timerheap.py``). The earliest deadline is at the top: arming is O(log n),
  finding what is due is O(1) plus O(log n) per due timer. ``sequence`` makes equal
  deadlines pop first-armed first (FIFO).
* **cancellation is lazy**: ``cancel()`` sets a flag; a cancelled timer is skipped
  when it reaches the top of the heap, and the heap is rebuilt without cancelled
  timers once they are more than half of it: asyncio's rule, amortised O(1) per cancel.
* **the idle wait goes through** ``selectors``: with nothing ready, the loop blocks
  in ``select(timeout)`` until the earliest deadline. Another thread wakes it early
  by writing a byte to a socket pair the selector watches (the self-pipe trick,
  ``selfpipe.py``), so ``call_soon_threadsafe`` works on an idle loop.
* **I/O waits in that same selector** (capability ``"io"``, ``readiness.py``):
  ``add_reader(fd, ...)`` registers ``fd`` with it, keeping a ``[reader, writer]``
  pair of handles per fd as asyncio does, and the wait puts the handle of every ready
  fd on the ready queue. One system call waits for a timer, another thread and any
  number of sockets; epoll makes it O(ready fds), not O(watched fds). A busy loop
  does not wait, but while fds are watched it still polls them (``select(0)``) at
  every iteration, so a busy loop cannot starve I/O; with none watched it makes no
  system call, and no check, at all.
* **each iteration runs only what was ready when it began** (``ntodo``), so a
  callback that keeps rescheduling itself cannot starve due timers.
"""

from __future__ import annotations

import selectors
from collections import deque

from .base import BaseLoop
from .handles import Handle
from .readiness import Readiness, SelectorWatch
from .selfpipe import SelfPipe
from .timerheap import TimerHeap


class HeapLoop(Readiness, BaseLoop):
    """Ready deque + timer heap + selector idle wait. The reference implementation."""

    name = "heap"
    capabilities = frozenset({"timers", "tasks", "threadsafe", "io"})

    def __init__(self, *, clock=None, timers: TimerHeap | None = None) -> None:
        super().__init__(clock=clock)
        self._ready: deque[Handle] = deque()
        #: The timer store: a ``TimerHeap``, or anything with its interface (the wheel loop's).
        self._timers = timers if timers is not None else TimerHeap()
        # The hooks are the structures' own bound methods, set on the instance: one
        # Python call less per call_soon (_schedule), call_at (_arm) and cancel.
        # (So self._ready and self._timers are never replaced, only cleared.)
        self._schedule = self._ready.append
        self._arm = self._timers.push
        self._timer_cancelled = self._timers.note_cancelled
        self._selector = selectors.DefaultSelector()
        self._wake = SelfPipe()                         # another thread's way into the wait
        self._selector.register(self._wake, selectors.EVENT_READ)
        self._io = SelectorWatch(self._selector)        # the fds add_reader/add_writer watch

    # ------------------------------------------------------------ hooks
    def _post_threadsafe(self, handle: Handle) -> None:
        self._threadsafe.append(handle)
        self._wake.poke()

    # ------------------------------------------------------- iteration
    def _run_once(self) -> None:
        ready, timers, threadsafe = self._ready, self._timers, self._threadsafe

        # 1. Wait, if there is nothing to do: until the earliest live deadline.
        if not ready and not threadsafe and not self._stopping:
            self._clock.wait_until(timers.deadline(), self._select, self._tracer)

        # 2. Callbacks from other threads, then due timers, join the ready queue.
        while threadsafe:
            ready.append(threadsafe.popleft())
        if timers.entries:
            timers.pop_due(self._clock.time(), ready.append if self._tracer is None else self._trace_due(ready.append))

        # 3. Run what was ready when the iteration began; newcomers wait.
        popleft = ready.popleft
        for _ in range(len(ready)):
            handle = popleft()
            if not handle._cancelled:
                handle._run()

    def _run_once_watching(self) -> None:
        """The iteration while fds are watched: if busy, first collect the ready ones (no wait)."""
        if self._ready or self._threadsafe or self._stopping:
            self._select(0)
        type(self)._run_once(self)             # the class's iteration (a subclass's, if it has one)

    def _select(self, timeout: float | None) -> bool:
        if timeout == 0 and not self._io.handles:
            # A poll (a virtual clock asks before each jump; a real one when the deadline
            # has passed). The selector watches only the wake-up socket, and a thread
            # writes to it after appending to _threadsafe, so the deque answers without
            # a system call; the byte is drained at the next real wait.
            return bool(self._threadsafe)
        events = self._selector.select(timeout)
        found = []
        for key, mask in events:
            if key.fileobj is self._wake:
                self._wake.drain()
            else:
                found += self._io.ready(key.fd, mask)
        for handle, _, _ in found:          # ready fds' callbacks join the ready queue
            self._ready.append(handle)
        if self._tracer is not None and self._io.handles:
            self._trace_ready(self._io.count, found)
        return bool(events) or bool(self._threadsafe)

    # ------------------------------------------------------------ I/O
    # While an fd is watched, run_forever calls _run_once_watching instead of
    # _run_once (an instance attribute, like the hooks above): with none watched the
    # busy path has no I/O check at all (a check cost 3-5% on a call_soon chain).
    def _watch(self, fd: int, kind: str, handle: Handle) -> Handle | None:
        replaced = self._io.watch(fd, kind, handle)
        self._run_once = self._run_once_watching
        return replaced

    def _unwatch(self, fd: int, kind: str) -> Handle | None:
        handle = self._io.unwatch(fd, kind)
        if not self._io.handles:
            self.__dict__.pop("_run_once", None)     # back to the plain iteration
        return handle

    def _close(self) -> None:
        self._ready.clear()
        self._timers.clear()
        self._io.close()                             # the selector, and the watched fds' handles
        self.__dict__.pop("_run_once", None)         # a bound method of self: a cycle
        self._wake.close()

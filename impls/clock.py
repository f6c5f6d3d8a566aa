"""Clocks: where a loop's time comes from, and how an idle loop lets it pass.

A loop never reads ``time.monotonic()`` or calls ``time.sleep()`` itself; it asks
its clock. That one indirection (trio's ``Clock``, ``_mock_clock.py``) is what makes
virtual time possible: on a :class:`VirtualClock` a loop with nothing to do jumps
straight to its next deadline, so ``await loop.sleep(3600)`` takes microseconds and
every test that depends on time is exact and repeatable.

The contract between a loop and its clock is three methods:

``time()``
    The current time, in seconds. Never goes backwards.
``sleep_time(deadline)``
    How many *real* seconds must pass before ``time()`` reaches ``deadline`` by itself.
    ``None`` means "never": virtual time only moves when a loop jumps it.
``jump_to(deadline)``
    Called by a loop that is idle until ``deadline``: every task and callback is
    waiting for time to pass. A virtual clock moves to ``deadline``; a real clock
    ignores it (real time has passed on its own while the loop waited).

and one convenience built on them, :meth:`Clock.wait_until`, which is all a
single-threaded loop needs for its idle wait.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from .trace import IDLE, JUMP, Event, Tracer

#: A real idle wait is never longer than this (asyncio uses the same bound), so a
#: far-away deadline cannot overflow a selector's timeout.
MAXIMUM_WAIT = 24 * 3600.0

#: ``wait(timeout)`` blocks for at most ``timeout`` real seconds (``None``: until
#: woken) and returns True if it was woken by an event, False if it timed out.
Wait = Callable[[float | None], bool]


class Clock:
    """Base class for clocks; subclasses provide ``time``, ``sleep_time``, ``jump_to``."""

    def time(self) -> float:
        raise NotImplementedError

    def sleep_time(self, deadline: float) -> float | None:
        raise NotImplementedError

    def jump_to(self, deadline: float) -> None:
        raise NotImplementedError

    def wait_until(self, deadline: float | None, wait: Wait, tracer: Tracer | None = None) -> None:
        """Idle until ``deadline`` (``None``: no deadline) or until ``wait`` reports an event.

        ``wait`` is the loop's way of blocking (a selector, a queue, ``time.sleep``).
        On a real clock we block for the time left; on a virtual clock we only poll
        for events (``wait(0)``) and, if none came, jump time to the deadline.
        ``tracer`` (the loop's, see ``trace.py``) is told of the wait and of any jump.
        """
        if tracer is not None:
            tracer.event(Event(IDLE, self.time(), None, None if deadline is None else deadline - self.time()))
        if deadline is None:
            wait(None)
            return
        timeout = self.sleep_time(deadline)
        if timeout is None:          # time stands still until somebody jumps it
            if not wait(0):
                before = self.time()
                self.jump_to(deadline)
                if tracer is not None and self.time() != before:
                    tracer.event(Event(JUMP, self.time(), None, before))
        else:
            wait(timeout)


#: What a loop calls on its clock.
CLOCK_METHODS = ("time", "sleep_time", "jump_to", "wait_until")


def check_clock(clock: object) -> Clock:
    """``clock`` if it is a clock (a ``Clock``, or anything with its methods); else ``TypeError``."""
    if isinstance(clock, Clock):
        return clock
    if isinstance(clock, type) or not all(callable(getattr(clock, m, None)) for m in CLOCK_METHODS):
        hint = f" (did you mean {clock.__name__}()?)" if isinstance(clock, type) else ""
        raise TypeError(f"clock must be a Clock (with {', '.join(CLOCK_METHODS)}) or None, "
                        f"got {type(clock).__name__}: {clock!r}{hint}")
    return clock  # type: ignore[return-value]


def _finite(value: object, what: str) -> float:
    """``value`` as a float, if it is a finite real number (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, got {type(value).__name__}: {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number of seconds, got {value!r}")
    return float(value)


class MonotonicClock(Clock):
    """Real time from ``time.monotonic()``: the default clock of every loop."""

    def time(self) -> float:
        return time.monotonic()

    def sleep_time(self, deadline: float) -> float:
        return min(max(deadline - time.monotonic(), 0.0), MAXIMUM_WAIT)

    def jump_to(self, deadline: float) -> None:
        pass                          # real time cannot be jumped

    def __repr__(self) -> str:
        return "MonotonicClock()"


class VirtualClock(Clock):
    """Virtual time: starts at ``start`` (default 0.0) and moves only when told.

    A loop using it never sleeps for real: when nothing is ready, it jumps to its
    next deadline. Tests may also move time themselves with :meth:`advance`.
    Starting at 0.0 keeps traces readable: ``call_at(1, hello_world)`` means "at 1s".
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = _finite(start, "VirtualClock start")

    def time(self) -> float:
        return self._now

    def sleep_time(self, deadline: float) -> None:
        return None

    def jump_to(self, deadline: float) -> None:
        if deadline > self._now:
            self._now = deadline

    def wait_until(self, deadline: float | None, wait: Wait, tracer: Tracer | None = None) -> None:
        """``Clock.wait_until`` for virtual time: poll for events, and if none came, jump.

        The same steps as the base version, without the calls that only a real clock
        needs: a loop firing a million timers on a virtual clock goes through here once
        per timer.
        """
        if tracer is not None or deadline is None:
            return super().wait_until(deadline, wait, tracer)
        if not wait(0) and deadline > self._now:
            self._now = deadline

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (finite, >= 0), as a test's "meanwhile"."""
        seconds = _finite(seconds, "advance()")
        if seconds < 0:
            raise ValueError(f"can only advance by a non-negative amount, got {seconds!r}")
        now = self._now + seconds
        if not math.isfinite(now):
            raise ValueError(f"advance({seconds!r}) would take the time past any finite value")
        self._now = now

    def __repr__(self) -> str:
        return f"VirtualClock(now={self._now!r})"

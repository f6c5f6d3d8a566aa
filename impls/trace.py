"""Tracing: watch a loop work, event by event, at no cost when nobody watches.

``loop.set_tracer(tracer)`` hands a loop an object with one method,
``tracer.event(event)``; ``loop.set_tracer(None)`` (the default) turns tracing off.
As in trio's instruments, the hot paths check one attribute (``loop._tracer``) and
do nothing else while it is ``None``, so an untraced loop runs as fast as before.

Most events come from shared code, so a loop built on ``BaseLoop`` emits them
without a line of its own: ``call_soon``/``call_at`` (``base.py``), ``Handle._run``
and ``cancel`` (``handles.py``), ``Task._step`` (``tasks.py``), the idle wait
(``Clock.wait_until``). A loop adds one-liners only where the work is its own: the
due timers its iteration moves to the ready queue, the list loop's scan, the file
descriptors it watches and finds ready (``impls/readiness.py`` does most of that).

The vocabulary (``Event.kind``; ``subject`` is the handle, timer, task or future
concerned; ``detail`` says more, as listed):

==============  ==============================================================
``iteration``   an iteration begins (``_run_once``)
``scheduled``   ``call_soon``: a handle joined the ready queue
``armed``       ``call_at``/``call_later``: a timer was stored; detail: its deadline
``cancelled``   a pending handle or stored timer was cancelled
``scan``        the list loop looks at every stored timer; detail: how many
``due``         a timer's deadline passed: it moved to the ready queue
``run``         a callback starts running
``ran``         ... and is done (even if it raised)
``step``        a task is resumed (its coroutine is sent a value or an exception)
``suspend``     a task gave the loop back; detail: what it waits on (a future,
                a task, a ``SleepFuture``... ) or ``None`` for a bare yield
``sleep``       ``loop.sleep(d)`` made a future; subject: that future, detail: d
``push``        a trampoline task calls a sub-generator; detail: its name
``pop``         ... which returned; detail: its name
``finished``    a task is done (result, exception or cancelled)
``idle``        nothing is ready: the loop waits; detail: seconds until the
                deadline (``None``: no deadline)
``jump``        a virtual clock jumped; detail: the time it jumped from
``watch``       ``add_reader``/``add_writer``: a file descriptor is watched;
                subject: the callback's handle, detail: ``(fd, "read"|"write")``
``unwatch``     ``remove_reader``/``remove_writer``; detail: ``(fd, "read"|"write")``
``select``      the loop asked the OS which watched fds are ready (only when
                some are watched); detail: how many it watches
``ready``       a watched fd is ready: its callback joined the ready queue;
                subject: the handle, detail: ``(fd, "read"|"write")``
==============  ==============================================================

``Recorder`` is the simplest tracer: it keeps every event in a list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

ITERATION = "iteration"
SCHEDULED = "scheduled"
ARMED = "armed"
CANCELLED = "cancelled"
SCAN = "scan"
DUE = "due"
RUN = "run"
RAN = "ran"
STEP = "step"
SUSPEND = "suspend"
SLEEP = "sleep"
PUSH = "push"
POP = "pop"
FINISHED = "finished"
IDLE = "idle"
JUMP = "jump"
WATCH = "watch"
UNWATCH = "unwatch"
SELECT = "select"
READY = "ready"

KINDS = (ITERATION, SCHEDULED, ARMED, CANCELLED, SCAN, DUE, RUN, RAN, STEP, SUSPEND, SLEEP,
         PUSH, POP, FINISHED, IDLE, JUMP, WATCH, UNWATCH, SELECT, READY)


@dataclass(frozen=True, slots=True)
class Event:
    """One thing a loop did: what (``kind``), when (loop time), to what, and more."""

    kind: str
    time: float
    subject: Any = None
    detail: Any = None


@runtime_checkable
class Tracer(Protocol):
    """What ``loop.set_tracer`` accepts. Called on the loop's thread, synchronously."""

    def event(self, event: Event) -> None: ...


class Recorder:
    """A tracer that keeps every event, in order, in ``events``."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def event(self, event: Event) -> None:
        self.events.append(event)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


__all__ = ["Event", "KINDS", "Recorder", "Tracer", *[k.upper() for k in KINDS]]

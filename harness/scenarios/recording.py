"""Callbacks that record into a scenario's trace and tell the scenario when it may end.

A callback scenario arms its callbacks, then waits on one event (``done``) that the
last of them sets; these build the callbacks that do the recording and the setting,
so each scenario states only what it arms and in which order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def recorder(trace: list, *, until: int, done) -> Callable[[Any], None]:
    """A callback ``record(what)`` that appends ``what`` to ``trace`` and sets ``done``
    once the trace holds ``until`` entries."""
    def record(what):
        trace.append(what)
        if len(trace) == until:
            done.set()
    return record


def final_step(trace: list, what: Any, done) -> Callable[[], None]:
    """A callback that appends ``what`` to ``trace`` and sets ``done``: the step the scenario waits for."""
    def finish():
        trace.append(what)
        done.set()
    return finish

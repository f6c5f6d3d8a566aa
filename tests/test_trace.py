"""The tracing hook (``impls/trace.py``): what every built-in loop reports, exactly.

On a virtual clock the events of a program are a fixed sequence, so each is checked
in full, on every registered implementation. Loops add their own events to the
shared ones (the list loop's ``scan``, the trampoline's ``push``/``pop``); those are
checked separately and left out of the common sequence. Deadlines stay under 0.256 s
so that a timing wheel (1 ms ticks, 256 slots on its finest level) has no cascade
wake-ups to add.
"""

from __future__ import annotations

import socket

import pytest

import impls
from impls import trace as T
from impls.handles import callback_name

LOOP_SPECIFIC = {T.SCAN, T.PUSH, T.POP}


class Names:
    """A tracer recording (kind, time, subject's name, detail) at the moment of the event."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def event(self, event: T.Event) -> None:
        self.events.append((event.kind, event.time, name(event.subject), detail(event.detail)))


def name(subject) -> str:
    if subject is None:
        return ""
    if hasattr(subject, "get_coro"):
        return f"task {subject.get_coro().__qualname__.rsplit('.', 1)[-1]}"
    callback = getattr(subject, "_callback", None)
    if callback is None:
        return type(subject).__name__
    text = callback_name(callback).rsplit(".", 1)[-1]
    return f"{text}{subject._args!r}" if subject._args and isinstance(subject._args[0], str) else text


def detail(value):
    return type(value).__name__ if hasattr(value, "_loop") else value


def program(loop, out: list) -> None:
    """call_soon, two timers (one cancelled, one never due), and a task that sleeps."""
    def say(text):
        out.append((loop.time(), text))

    loop.call_soon(say, "a")
    loop.call_at(0.2, say, "late")
    loop.call_at(0.1, say, "never").cancel()

    async def main():
        await loop.sleep(0.1)
        say("task")
        return "done"

    assert loop.run_until_complete(main()) == "done"


EXPECTED = [
    ("scheduled", 0.0, "say('a',)", None),
    ("armed", 0.0, "say('late',)", 0.2),
    ("armed", 0.0, "say('never',)", 0.1),
    ("cancelled", 0.0, "say('never',)", None),
    ("scheduled", 0.0, "_step", None),                    # create_task
    ("iteration", 0.0, "", None),
    ("run", 0.0, "say('a',)", None),
    ("ran", 0.0, "say('a',)", None),
    ("run", 0.0, "_step", None),
    ("step", 0.0, "task main", None),
    ("sleep", 0.0, "Future", 0.1),
    ("armed", 0.0, "_set_result_unless_done", 0.1),
    ("suspend", 0.0, "task main", "Future"),               # on the sleep's future
    ("ran", 0.0, "_step", None),
    ("iteration", 0.0, "", None),
    ("idle", 0.0, "", 0.1),                                # nothing ready: 0.1 s to the deadline
    ("jump", 0.1, "", 0.0),                                # virtual time jumps from 0
    ("due", 0.1, "_set_result_unless_done", None),
    ("run", 0.1, "_set_result_unless_done", None),
    ("scheduled", 0.1, "_wakeup", None),
    ("ran", 0.1, "_set_result_unless_done", None),
    ("iteration", 0.1, "", None),
    ("run", 0.1, "_wakeup", None),
    ("step", 0.1, "task main", None),
    ("finished", 0.1, "task main", "finished"),
    ("scheduled", 0.1, "_stop_when_done", None),
    ("ran", 0.1, "_wakeup", None),
    ("iteration", 0.1, "", None),
    ("run", 0.1, "_stop_when_done", None),
    ("ran", 0.1, "_stop_when_done", None),
]


def traced_run(impl: str, tracer) -> list:
    loop = impls.create(impl, clock=impls.VirtualClock())
    try:
        if tracer is not None:
            loop.set_tracer(tracer)
        out: list = []
        program(loop, out)
        return out
    finally:
        loop.close()


@pytest.mark.parametrize("impl", impls.names())
def test_events_of_a_small_program_are_exact(impl):
    tracer = Names()
    out = traced_run(impl, tracer)
    assert out == [(0.0, "a"), (0.1, "task")]
    assert [e for e in tracer.events if e[0] not in LOOP_SPECIFIC] == EXPECTED


def test_a_loop_that_only_swaps_its_timer_store_emits_the_same_events():
    """The wheel loop (impls/contrib) adds no tracing code: it inherits the heap loop's."""
    wheel_loop = pytest.importorskip("impls.contrib.wheel_loop", reason="impls.contrib.wheel_loop is not present")
    loop = wheel_loop.WheelLoop(clock=impls.VirtualClock())
    tracer = Names()
    loop.set_tracer(tracer)
    out: list = []
    program(loop, out)
    loop.close()
    assert out == [(0.0, "a"), (0.1, "task")]
    assert tracer.events == EXPECTED


def test_the_list_loop_reports_its_scan_of_every_timer():
    tracer = Names()
    traced_run("list", tracer)
    scans = [e[3] for e in tracer.events if e[0] == T.SCAN]
    # one scan per iteration, over every stored timer: the cancelled one is dropped by
    # the first scan, the sleep's timer leaves once due, "late" stays to the end
    assert scans == [2, 2, 1, 1]


def test_the_trampoline_reports_its_generator_stack():
    loop = impls.create("trampoline", clock=impls.VirtualClock())
    tracer = Names()
    loop.set_tracer(tracer)

    def child():
        yield loop.sleep(0.1)
        return 42

    def parent():
        return (yield child())

    assert loop.run_until_complete(loop.create_task(parent())) == 42
    loop.close()
    stack = [(e[0], e[3]) for e in tracer.events if e[0] in (T.PUSH, T.POP)]
    names = [(kind, getattr(obj, "__name__", obj)) for kind, obj in stack]
    assert names == [("push", "child"), ("push", "sleep_for"), ("pop", "sleep_for"),
                     ("pop", "child"), ("pop", "parent")]


@pytest.mark.parametrize("impl", impls.names())
def test_tracer_off_means_no_events_and_the_same_behaviour(impl):
    recorder = T.Recorder()
    assert traced_run(impl, None) == traced_run(impl, recorder) == [(0.0, "a"), (0.1, "task")]
    loop = impls.create(impl, clock=impls.VirtualClock())
    assert loop.get_tracer() is None
    loop.set_tracer(recorder)
    loop.set_tracer(None)                       # switched off again: nothing more arrives
    before = len(recorder.events)
    program(loop, [])
    loop.close()
    assert len(recorder.events) == before


def test_a_tracer_needs_an_event_method():
    loop = impls.create("heap", clock=impls.VirtualClock())
    with pytest.raises(TypeError, match="event"):
        loop.set_tracer(object())
    assert isinstance(T.Recorder(), T.Tracer)
    loop.close()


def test_cancelling_a_timer_that_already_fired_is_not_reported():
    loop = impls.create("heap", clock=impls.VirtualClock())
    recorder = T.Recorder()
    loop.set_tracer(recorder)
    timer = loop.call_at(0.1, loop.stop)
    loop.run_forever()
    timer.cancel()
    loop.close()
    assert T.CANCELLED not in recorder.kinds()


@pytest.mark.parametrize("impl", impls.names())
def test_io_events_watch_select_ready_unwatch(impl):
    """A reader: watched, found ready by the loop's look at its fds, run, unwatched as it runs."""
    loop = impls.create(impl, clock=impls.VirtualClock())
    if "io" not in loop.capabilities:
        loop.close()
        pytest.skip(f"{impl} does not declare 'io'")
    a, b = socket.socketpair()
    a.setblocking(False)
    tracer = Names()
    try:
        def on_readable():
            a.recv(10)
            loop.remove_reader(a)
            loop.stop()

        loop.set_tracer(tracer)
        loop.add_reader(a, on_readable)
        b.send(b"x")
        loop.run_forever()
    finally:
        loop.close()
        a.close()
        b.close()
    fd = a.fileno() if a.fileno() >= 0 else None
    io_kinds = {T.WATCH, T.UNWATCH, T.SELECT, T.READY, T.RUN, T.RAN, T.CANCELLED}
    seen = [(kind, subject, detail) for kind, _, subject, detail in tracer.events
            if kind in io_kinds and subject in ("on_readable", "", "Handle")]
    watched = seen[0][2]
    assert watched[1] == "read" and fd is None
    assert seen == [
        ("watch", "on_readable", watched),
        ("select", "", 1),                         # the loop looked at the one fd it watches
        ("ready", "on_readable", watched),
        ("run", "on_readable", None),
        ("cancelled", "on_readable", None),        # remove_reader, as it runs: never again
        ("unwatch", "", watched),
        ("ran", "Handle", None),                   # (the cancel released its callback)
    ]


def test_a_loop_with_no_fd_watched_reports_no_select():
    for impl in ("list", "heap", "trampoline"):
        tracer = Names()
        traced_run(impl, tracer)
        assert not any(e[0] in (T.SELECT, T.READY, T.WATCH) for e in tracer.events), impl

"""The tinyio runtime: its contract through the neutral interface, and proof that tinyio does the work.

The native-path tests wrap tinyio's own functions in spies that record the call and
then call the real function, so each test shows both that the adapter went through
tinyio and that the behaviour is still tinyio's. tinyio reads ``time.monotonic``
itself, so these tests use short real delays (at most 20 ms) and assert no duration.
"""

from __future__ import annotations

import threading

import pytest
import tinyio

from harness import runtimes
from harness.runtimes.interface import EMULATED, NATIVE, UNSUPPORTED, Unsupported
from harness.runtimes.tinyio_rt import TinyioRuntime
from harness.execution.worker import run_cell

LONG = 5.0          # a sleep that the run always ends long before


@pytest.fixture
def rt():
    return runtimes.create("tinyio")


@pytest.fixture
def stepped(monkeypatch):
    """Every (coroutine, value sent in) that tinyio's loop steps, in order."""
    steps = []
    real_step = tinyio.Loop._step

    def spy(self, todo, *rest):
        steps.append((todo.coro, todo.value))
        return real_step(self, todo, *rest)

    monkeypatch.setattr(tinyio.Loop, "_step", spy)
    return steps


def spy_on(monkeypatch, owner, name):
    """Replace ``owner.name`` by a wrapper that records each call's arguments and calls the real one."""
    calls = []
    real = getattr(owner, name)

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, spy)
    return calls


# ------------------------------------------------------------------ registration and support
def test_tinyio_is_a_registered_peer_with_its_version():
    rt = runtimes.create("tinyio")
    assert isinstance(rt, TinyioRuntime)
    assert rt.family == "peer"
    assert rt.version().split(".")[0:2] >= ["0", "4"]


def test_support_table():
    rt = runtimes.create("tinyio")
    for op in ("run", "now", "sleep", "spawn", "join", "event", "lock", "is_cancellation", "group_errors"):
        assert rt.how(op) == NATIVE, op
    assert rt.how("call_soon_threadsafe") == EMULATED
    for op in ("cancel", "timeout", "call_soon", "call_at", "call_later", "queue", "gather_errors",
               "run_forever", "stop"):
        assert rt.how(op) == UNSUPPORTED, op


@pytest.mark.parametrize("call", [
    lambda rt: rt.cancel(object()),
    lambda rt: rt.timeout(1.0),
    lambda rt: rt.call_soon(print),
    lambda rt: rt.call_at(0.0, print),
    lambda rt: rt.call_later(1.0, print),
    lambda rt: rt.queue(),
    lambda rt: rt.run_forever(lambda: None),
])
def test_unsupported_operations_say_why(rt, call):
    with pytest.raises(Unsupported, match="tinyio"):
        call(rt)


# ------------------------------------------------------------------ the native path
def test_sleep_is_tinyios_sleep_yielded_to_its_loop(rt, monkeypatch, stepped):
    sleeps = spy_on(monkeypatch, tinyio, "sleep")

    async def main():
        await rt.sleep(0.002)
        return "woke"

    assert rt.run(main) == "woke"
    assert sleeps == [(0.002,)]
    # the sleep coroutine was stepped by tinyio's loop as a coroutine of its own
    assert any(getattr(coro, "__name__", "") == "sleep" for coro, _ in stepped)


def test_sleep_zero_is_a_bare_yield_not_a_timer(rt, monkeypatch, stepped):
    sleeps = spy_on(monkeypatch, tinyio, "sleep")
    trace = []

    async def other():
        trace.append("other ran")

    async def main():
        rt.spawn(other)
        await rt.sleep(0)
        trace.append("main after sleep(0)")

    rt.run(main)
    assert sleeps == []
    assert trace == ["other ran", "main after sleep(0)"]


def test_spawn_yields_a_set_and_join_gets_the_result_from_tinyio(rt, stepped):
    async def child(x):
        await rt.sleep(0.001)
        return x * 2

    refs = []

    async def main():
        ref = rt.spawn(child, 21)
        refs.append(ref)
        return await rt.join(ref)

    assert rt.run(main) == 42
    child_coroutine = refs[0].coroutine
    assert child_coroutine in {coro for coro, _ in stepped}        # tinyio stepped the child itself
    # the parent was resumed by tinyio with the child's return value (tinyio's result store)
    parent_values = [value for coro, value in stepped if coro is not child_coroutine]
    assert 42 in parent_values


def test_join_of_a_long_finished_task_returns_its_kept_result(rt):
    async def child():
        return "kept"

    async def main():
        ref = rt.spawn(child)
        for _ in range(5):
            await rt.sleep(0)
        return await rt.join(ref), await rt.join(ref)

    assert rt.run(main) == ("kept", "kept")


def test_event_and_lock_are_tinyios(rt, monkeypatch):
    sets = spy_on(monkeypatch, tinyio.Event, "set")
    waits = spy_on(monkeypatch, tinyio.Event, "wait")
    acquires = spy_on(monkeypatch, tinyio.Semaphore, "__call__")     # tinyio.Lock() is a Semaphore(1)
    trace = []

    async def main():
        event, lock = rt.event(), rt.lock()

        async def waiter():
            await event.wait()
            async with lock:
                trace.append("waiter has the lock")

        ref = rt.spawn(waiter)
        async with lock:
            await rt.sleep(0.002)
            event.set()
            trace.append("main releases the lock")
        await rt.join(ref)

    rt.run(main)
    assert trace == ["main releases the lock", "waiter has the lock"]
    assert len(sets) >= 1 and len(waits) >= 1 and len(acquires) == 2


def test_group_errors_runs_the_children_as_a_list_inside_tinyio_isolate(rt, monkeypatch):
    isolates = spy_on(monkeypatch, tinyio, "isolate")
    seen = []

    async def sleeper():
        try:
            await rt.sleep(LONG)
        except BaseException as exc:
            seen.append(rt.is_cancellation(exc))
            raise

    async def fails():
        await rt.sleep(0.002)
        raise ValueError("child failed")

    async def main():
        report = await rt.group_errors([fails, sleeper])
        await rt.sleep(0)
        return report, "parent still runs"

    report, after = rt.run(main)
    assert len(isolates) == 1
    assert after == "parent still runs"
    assert report["raised"] == {"type": "ValueError", "message": "child failed"}
    assert report["siblings_cancelled"] == 1 and report["siblings_still_running"] == 0
    assert seen == [True]                              # tinyio.CancelledError, at the sleep


def test_threadsafe_callbacks_wake_the_loop_through_a_tinyio_event(rt, monkeypatch):
    sets = spy_on(monkeypatch, tinyio.Event, "set")
    ran = []

    async def main():
        done = rt.event()

        def post():
            rt.call_soon_threadsafe(lambda: ran.append(threading.get_ident()))
            rt.call_soon_threadsafe(done.set)

        threading.Thread(target=post).start()
        await done.wait()
        return threading.get_ident()

    loop_thread = rt.run(main)
    assert ran == [loop_thread]
    assert len(sets) >= 3            # two posts, then done.set() on the loop


# ------------------------------------------------------------------ run and errors
def test_run_ends_when_main_returns_and_cancels_what_still_runs(rt):
    seen = []

    async def sleeper():
        try:
            await rt.sleep(LONG)
            seen.append("slept to the end")
        except BaseException as exc:
            seen.append(rt.is_cancellation(exc))
            raise
        finally:
            seen.append("finally")

    async def main():
        rt.spawn(sleeper)
        await rt.sleep(0.002)
        return "done"

    assert rt.run(main) == "done"
    assert seen == [True, "finally"]


def test_an_error_in_main_cancels_every_task_the_tinyio_way(rt):
    seen = []

    async def sleeper():
        try:
            await rt.sleep(LONG)
        except tinyio.CancelledError:
            seen.append("cancelled by tinyio")
            raise

    async def main():
        rt.spawn(sleeper)
        await rt.sleep(0.002)
        raise KeyError("main failed")

    with pytest.raises(KeyError, match="main failed"):
        rt.run(main)
    assert seen == ["cancelled by tinyio"]


def test_sleep_rejects_nan_at_the_call(rt):
    async def main():
        with pytest.raises(ValueError, match="NaN"):
            rt.sleep(float("nan"))
        return "ok"

    assert rt.run(main) == "ok"


def test_spawn_rejects_a_plain_function_at_the_call(rt):
    async def main():
        with pytest.raises(TypeError, match="async function"):
            rt.spawn(lambda: 1)
        return "ok"

    assert rt.run(main) == "ok"


def test_a_spawn_right_before_main_returns_still_starts(rt):
    started = []

    async def child():
        started.append("child")

    async def main():
        rt.spawn(child)                 # no await after it: the driver yields it as main ends

    rt.run(main)
    assert started == ["child"]


def test_each_run_is_a_fresh_loop(rt):
    async def main():
        await rt.sleep(0)
        return rt.now()

    first, second = rt.run(main), rt.run(main)
    assert second >= first


# ------------------------------------------------------------------ through the worker
def test_a_scenario_runs_and_an_unsupported_one_says_why():
    spawn = run_cell("tinyio", "coroutines.spawn_runs_first", repeat=2)
    assert spawn["status"] == "observed" and spawn["support"] == "native"
    cancel = run_cell("tinyio", "coroutines.cancel_at_await", repeat=1)
    assert cancel["status"] == "unsupported" and "cancel" in cancel["reason"]

"""Promises particular to one implementation, beyond the shared contract."""

import collections
import gc
import os
import socket
import threading

import pytest

import impls
from impls import VirtualClock
from impls.trace import DUE


def make(name):
    return impls.create(name, clock=VirtualClock())


# ------------------------------------------------------------------ list
def test_list_loop_has_the_slides_structure():
    from impls.list_loop import CallbackEventLoop, TimerEventLoop

    # the slides' methods, defined by the slides' classes themselves
    assert {"call_soon", "execute_callbacks"} <= set(vars(CallbackEventLoop))
    assert {"call_at", "execute_timers"} <= set(vars(TimerEventLoop))
    loop = make("list")
    try:
        loop.call_at(1, print)
        loop.call_soon(print)
        assert type(loop.timers) is list and type(loop.callbacks) is list
        assert len(loop.timers) == 1 and len(loop.callbacks) == 1
    finally:
        loop.close()


def test_list_loop_watches_fds_in_plain_collections_handed_to_select():
    loop = make("list")
    a, b = socket.socketpair()
    try:
        loop.add_reader(a, print)
        loop.add_writer(b, print)
        assert list(loop.readers) == [a.fileno()] and list(loop.writers) == [b.fileno()]
        loop.remove_reader(a)
        assert loop.readers == {}
    finally:
        loop.close()
        a.close()
        b.close()


def test_list_loop_refuses_an_fd_that_select_cannot_watch_at_the_call():
    """select() takes fds below FD_SETSIZE (1024); the heap loop's epoll has no such limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if max(soft, hard) <= 1500:
        pytest.skip(f"cannot open fd 1500 here (RLIMIT_NOFILE {soft}/{hard})")
    a, b = socket.socketpair()
    raised = soft < 1501
    if raised:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1501, hard))
    high = os.dup2(a.fileno(), 1500)
    try:
        for name in ("list", "heap"):
            loop = make(name)
            try:
                if name == "list":
                    with pytest.raises(ValueError):
                        loop.add_reader(high, print)
                    assert loop.readers == {}
                else:
                    loop.add_reader(high, print)
                    assert loop.remove_reader(high) is True
            finally:
                loop.close()
    finally:
        os.close(high)
        a.close()
        b.close()
        if raised:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_list_loop_compacts_its_timer_list_on_mass_cancellation():
    loop = make("list")
    try:
        timers = [loop.call_later(10, print) for _ in range(1000)]
        for t in timers[:600]:
            t.cancel()
        loop.call_later(10, print)               # a cancel only counts; the next call_at compacts
        assert len(loop.timers) < 1001 - 500
    finally:
        loop.close()


# ------------------------------------------------------------------ heap
@pytest.mark.parametrize("name", ["heap", "trampoline"])
def test_heap_is_compacted_when_cancelled_timers_outnumber_live_ones(name):
    loop = make(name)
    try:
        timers = [loop.call_later(10, print) for _ in range(1000)]
        for t in timers[:400]:
            t.cancel()
        loop.call_later(10, print)
        assert len(loop._timers) == 1001         # under half cancelled: lazy, nothing moved
        for t in timers[400:600]:
            t.cancel()
        loop.call_later(10, print)
        assert len(loop._timers) < 1002 - 500    # over half: rebuilt without them at the next arm
        cancelled_left = sum(entry[2].cancelled() for entry in loop._timers.entries)
        assert cancelled_left * 2 <= len(loop._timers)
    finally:
        loop.close()


@pytest.mark.parametrize("name", ["heap", "trampoline", "thread"])
def test_cancel_only_counts_and_the_heap_changes_on_the_loop_thread(name):
    """``cancel()`` may run on any thread, so it must not touch the heap's entries."""
    loop = make(name)
    try:
        timers = [loop.call_later(10, print) for _ in range(1000)]
        entries = loop._timers.entries
        before = list(entries)
        for t in timers[:900]:
            t.cancel()
        assert loop._timers.entries is entries and entries == before
        assert loop._timers.cancelled == 900
        loop.call_later(10, print)               # the arming thread rebuilds it
        assert len(loop._timers) == 101 and loop._timers.cancelled == 0
    finally:
        loop.close()


@pytest.mark.parametrize("traced", [False, True])
def test_a_cancel_between_the_loops_check_and_the_run_is_no_error(traced):
    """Another thread's cancel() can land after the loop checked ``_cancelled`` and
    before the call: nothing runs and nothing is reported. A callback's own error,
    even from a callback that cancelled its own handle, is still reported."""
    loop = make("heap")
    try:
        errors, ran = [], []
        loop.set_exception_handler(lambda _loop, context: errors.append(context["exception"]))
        if traced:
            loop.set_tracer(impls.trace.Recorder())
        handle = loop.call_soon(ran.append, "too late")
        timer = loop.call_later(1, ran.append, "too late")
        for h in (handle, timer):
            h.cancel()                   # as if from another thread, just after the check
            h._run()                     # what the loop does next
        assert ran == [] and errors == []

        def raises_after_cancelling_itself():
            me[0].cancel()
            raise ValueError("my own error")

        me = [loop.call_soon(raises_after_cancelling_itself)]
        me[0]._run()
        assert [type(e) for e in errors] == [ValueError]
    finally:
        loop.close()


class CancelFromAnotherThreadOnFirstDue:
    """A tracer that, when the loop reports its first due timer, has another thread
    cancel ``victims`` and waits for it: a cancel landing in the middle of a due batch."""

    def __init__(self, victims):
        self.victims = victims
        self.done = False

    def event(self, event):
        if event.kind == DUE and not self.done:
            self.done = True
            thread = threading.Thread(target=lambda: [t.cancel() for t in self.victims])
            thread.start()
            thread.join()


@pytest.mark.parametrize("name", ["list", "heap", "trampoline", "thread", "wheel"])
def test_a_cancel_from_another_thread_during_a_due_batch_runs_no_timer_twice(name):
    loop = make(name)
    try:
        runs = collections.Counter()
        for i in range(10):
            loop.call_at(1, runs.update, [i])                          # one due batch
        far = [loop.call_at(100, print) for _ in range(400)]           # enough to compact
        loop.set_tracer(CancelFromAnotherThreadOnFirstDue(far))
        loop.call_at(2, loop.stop)
        loop.run_forever()
        assert runs == {i: 1 for i in range(10)}
    finally:
        loop.close()


def test_heap_loop_closes_its_selector_and_wake_sockets():
    loop = make("heap")
    wake = loop._wake
    loop.close()
    assert wake.closed


# ---------------------------------------------------------------- thread
def test_thread_loop_runs_one_timer_thread_while_it_runs_and_close_joins_it():
    before = set(threading.enumerate())
    loop = impls.create("thread")
    assert set(threading.enumerate()) == before          # nothing started by creation
    for i in range(50):
        loop.call_later(0.001 * (i % 5), lambda: None)  # many timers, still one thread
    seen = []
    loop.call_later(0.01, lambda: (seen.append(set(threading.enumerate()) - before), loop.stop()))
    loop.run_forever()
    assert len(seen[0]) == 1
    (timer_thread,) = seen[0]
    assert timer_thread.name.startswith("loopbench-timers")
    loop.close()
    assert not timer_thread.is_alive()                   # told to stop by the run's end, joined by close
    assert set(threading.enumerate()) == before


def test_thread_loop_run_forever_joins_no_thread(monkeypatch):
    """A join inside run_forever blocks the event loop's thread (anyio's blocking-call
    check flags it; asyncio's run_forever joins nothing): the run's end only tells the
    timer thread to stop, close() joins it. The next run starts a fresh one at once."""
    joined_in_run: list[str] = []
    in_run: list[bool] = []
    join = threading.Thread.join

    def recording_join(thread, timeout=None):
        if in_run:
            joined_in_run.append(thread.name)
        return join(thread, timeout)

    monkeypatch.setattr(threading.Thread, "join", recording_join)
    loop = impls.create("thread")
    try:
        for run in range(3):                             # stopped and started again: no join either
            loop.call_later(0.001, loop.stop)
            in_run.append(True)
            loop.run_forever()
            in_run.clear()
        assert joined_in_run == []
    finally:
        loop.close()
    assert not [t for t in threading.enumerate() if t.name == f"loopbench-timers-{id(loop):x}"]


def test_thread_loop_leaks_no_threads_across_many_loops():
    before = threading.active_count()
    for _ in range(20):
        loop = make("thread")
        loop.run_until_complete(loop.sleep(1))
        loop.close()
    assert threading.active_count() == before


def selector_threads(before: set) -> set:
    """Threads started since ``before``, but the timer thread (ending by itself after a run)."""
    return {t for t in set(threading.enumerate()) - before if not t.name.startswith("loopbench-timers")}


def test_thread_loop_starts_a_selector_thread_on_the_first_watched_fd_and_close_joins_it():
    before = set(threading.enumerate())
    loop = make("thread")
    a, b = socket.socketpair()
    a.setblocking(False)
    try:
        async def main():
            loop.call_soon(b.send, b"hello")           # after the receive has started waiting
            return await loop.sock_recv(a, 100)

        loop.run_until_complete(loop.sleep(1))
        assert selector_threads(before) == set()         # no I/O yet: no selector thread
        assert loop.run_until_complete(main()) == b"hello"
        started = selector_threads(before)
        assert sorted(t.name.split("-")[1] for t in started) == ["selector"]
        loop.close()
        assert not any(t.is_alive() for t in started)
    finally:
        loop.close()
        a.close()
        b.close()


def test_thread_loop_dropped_without_close_stops_its_selector_thread():
    import gc

    before = set(threading.enumerate())
    a, b = socket.socketpair()
    try:
        loop = make("thread")
        loop.add_reader(a, print)
        (selector_thread,) = set(threading.enumerate()) - before
        del loop
        gc.collect()
        selector_thread.join(10)
        assert not selector_thread.is_alive()
    finally:
        a.close()
        b.close()


def test_thread_loops_dropped_without_close_leave_no_timer_threads():
    before = threading.active_count()
    for _ in range(1000):
        loop = make("thread")
        loop.run_until_complete(loop.sleep(1))
        del loop                                     # dropped, never closed
    gc.collect()
    assert threading.active_count() == before


class TimerThreadKillingClock(VirtualClock):
    """A virtual clock that fails when the thread loop's timer thread reads it."""

    def time(self):
        if threading.current_thread().name.startswith("loopbench-timers"):
            raise OSError("the clock is unplugged")
        return super().time()


@pytest.mark.timeout(20)
def test_thread_loop_raises_when_its_timer_thread_dies_instead_of_hanging():
    loop = impls.create("thread", clock=TimerThreadKillingClock())
    try:
        with pytest.raises(RuntimeError, match="timer thread") as raised:
            loop.run_until_complete(loop.sleep(1))
        assert isinstance(raised.value.__cause__, OSError)
        assert not loop.is_running()
    finally:
        loop.close()


# ------------------------------------------------------------ trampoline
def test_trampoline_tasks_wait_for_sockets_by_yielding_pyos8_requests():
    from impls.trampoline_loop import ReadWait, WriteWait

    loop = make("trampoline")
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    try:
        def echo_once():                      # pyos8's style: the task yields the system call
            yield ReadWait(a)
            data = a.recv(100)
            yield WriteWait(a)
            a.send(data.upper())

        def client():
            task = loop.create_task(echo_once())
            yield None
            b.send(b"hello")
            yield task
            reply = yield loop.sock_recv(b, 100)      # a generator can call the coroutines too
            return reply

        assert loop.run_until_complete(client()) == b"HELLO"
        assert loop.remove_reader(a) is False and loop.remove_writer(a) is False
    finally:
        loop.close()
        a.close()
        b.close()


def test_trampoline_throws_a_bad_fd_back_in_at_the_yield():
    from impls.trampoline_loop import ReadWait

    loop = make("trampoline")
    closed = socket.socket()
    closed.close()
    try:
        def gen():
            try:
                yield ReadWait(closed)
            except ValueError as exc:
                return f"refused: {exc}"

        assert loop.run_until_complete(gen()).startswith("refused: invalid file descriptor")
    finally:
        loop.close()


def test_trampoline_sends_return_values_through_three_levels_of_sub_generators():
    loop = make("trampoline")
    trace = []
    try:
        def level3():
            yield loop.sleep(1)
            trace.append(("level3", loop.time()))
            return 3

        def level2():
            x = yield level3()
            trace.append(("level2 got", x))
            return x + 20

        def level1():
            y = yield level2()
            trace.append(("level1 got", y))
            return y + 100

        assert loop.run_until_complete(level1()) == 123
        assert trace == [("level3", 1.0), ("level2 got", 3), ("level1 got", 23)]
    finally:
        loop.close()


def test_trampoline_throws_exceptions_up_the_generator_stack():
    loop = make("trampoline")
    try:
        def inner():
            yield None
            raise KeyError("deep")

        def middle():
            try:
                yield inner()
            except KeyError as exc:
                return f"caught {exc.args[0]}"

        assert loop.run_until_complete(middle()) == "caught deep"
    finally:
        loop.close()


def test_trampoline_waits_on_tasks_and_mixes_generators_with_coroutines():
    loop = make("trampoline")
    try:
        async def coroutine_child():
            await loop.sleep(2)
            return "from coroutine"

        def generator_child():
            yield loop.sleep(1)
            return "from generator"

        def parent():
            task = loop.create_task(coroutine_child())
            a = yield generator_child()
            b = yield task                       # wait on a task
            return a, b, loop.time()

        assert loop.run_until_complete(parent()) == ("from generator", "from coroutine", 2.0)
    finally:
        loop.close()


def test_trampoline_cancellation_unwinds_every_generator_on_the_stack():
    loop = make("trampoline")
    unwound = []
    try:
        def leaf():
            try:
                yield loop.sleep(100)
            finally:
                unwound.append("leaf")

        def root():
            try:
                yield leaf()
            finally:
                unwound.append("root")

        task = loop.create_task(root())
        loop.call_later(1, task.cancel)
        with pytest.raises(impls.CancelledError):
            loop.run_until_complete(task)
        assert unwound == ["leaf", "root"] and task.cancelled()
    finally:
        loop.close()


def test_trampoline_rejects_a_bad_yield_at_the_yield():
    loop = make("trampoline")
    try:
        def gen():
            try:
                yield 42
            except RuntimeError as exc:
                return str(exc)

        assert "cannot wait on 42" in loop.run_until_complete(gen())
    finally:
        loop.close()


def test_trampoline_refuses_an_exhausted_generator_at_create_task():
    loop = make("trampoline")
    try:
        def gen():
            yield None
            return "done"

        exhausted = gen()
        assert loop.run_until_complete(exhausted) == "done"
        with pytest.raises(RuntimeError, match="already finished"):
            loop.create_task(exhausted)
        with pytest.raises(RuntimeError, match="already finished"):
            loop.run_until_complete(exhausted)
    finally:
        loop.close()


def test_trampoline_refuses_a_generator_that_yields_itself():
    loop = make("trampoline")
    try:
        def narcissus():
            yield me[0]
            return "completed as if it had run"

        me = [narcissus()]
        with pytest.raises(RuntimeError, match="yields itself"):
            loop.run_until_complete(me[0])
    finally:
        loop.close()


def test_trampoline_refuses_to_call_an_exhausted_or_busy_sub_generator_at_the_yield():
    loop = make("trampoline")
    try:
        def child():
            yield loop.sleep(1)
            return "child"

        def caller_of(sub):
            try:
                return (yield sub)
            except RuntimeError as exc:
                return str(exc)

        finished = child()
        assert loop.run_until_complete(finished) == "child"
        assert "already finished" in loop.run_until_complete(caller_of(finished))

        busy = child()
        owner = loop.create_task(busy)
        thief = loop.create_task(caller_of(busy))
        assert "already suspended" in loop.run_until_complete(thief)
        assert loop.run_until_complete(owner) == "child"        # the owner was not robbed
    finally:
        loop.close()


@pytest.mark.parametrize("cls", ["ListLoop", "HeapLoop", "ThreadLoop", "TrampolineLoop", "WheelLoop"])
def test_a_loop_class_refuses_a_clock_that_is_not_a_clock(cls):
    from impls.contrib.wheel_loop import WheelLoop
    from impls.heap_loop import HeapLoop
    from impls.list_loop import ListLoop
    from impls.thread_loop import ThreadLoop
    from impls.trampoline_loop import TrampolineLoop

    classes = {c.__name__: c for c in (ListLoop, HeapLoop, ThreadLoop, TrampolineLoop, WheelLoop)}
    loop_class = classes[cls]
    with pytest.raises(TypeError, match="clock"):
        loop_class(clock=5)

"""Promises particular to one implementation, beyond the shared contract."""

import os
import socket
import threading

import pytest

import impls
from impls import VirtualClock


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
        assert len(loop.timers) < 1000 - 500
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
        assert len(loop._timers) == 1000         # under half cancelled: lazy, nothing moved
        for t in timers[400:600]:
            t.cancel()
        assert len(loop._timers) < 1000 - 500    # over half: rebuilt without them
        cancelled_left = sum(entry[2].cancelled() for entry in loop._timers.entries)
        assert cancelled_left * 2 <= len(loop._timers)
    finally:
        loop.close()


def test_heap_loop_closes_its_selector_and_wake_sockets():
    loop = make("heap")
    sockets = (loop._wake_recv, loop._wake_send)
    loop.close()
    assert all(s.fileno() == -1 for s in sockets)


# ---------------------------------------------------------------- thread
def test_thread_loop_starts_one_timer_thread_on_run_and_close_joins_it():
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
    assert not timer_thread.is_alive()
    assert set(threading.enumerate()) == before


def test_thread_loop_leaks_no_threads_across_many_loops():
    before = threading.active_count()
    for _ in range(20):
        loop = make("thread")
        loop.run_until_complete(loop.sleep(1))
        loop.close()
    assert threading.active_count() == before


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
        assert [t.name for t in set(threading.enumerate()) - before] == [
            f"loopbench-timers-{id(loop):x}"]                    # no I/O yet: no selector thread
        assert loop.run_until_complete(main()) == b"hello"
        started = set(threading.enumerate()) - before
        assert sorted(t.name.split("-")[1] for t in started) == ["selector", "timers"]
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

"""asyncio programs on our loops: ``impls.asyncio_loop(name)`` (``impls/asyncio_host.py``).

Every test runs on every registered loop (``impl`` is parametrized over
``impls.names()``), through ``asyncio.Runner(loop_factory=...)``, with asyncio's own
Future, Task, TaskGroup, timeout, Queue, Event and Lock. Time is virtual unless a
test needs real threads to finish; no test asserts how long anything took.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import gc
import logging
import math
import socket
import threading
import time
import weakref

import pytest

import impls
from impls.asyncio_host import IO_METHODS, NOT_IMPLEMENTED, AsyncioLoop
from impls.base import BaseLoop
from impls.heap_loop import HeapLoop


@pytest.fixture
def runner(impl, clock):
    with asyncio.Runner(loop_factory=functools.partial(impls.asyncio_loop, impl, clock=clock)) as runner:
        yield runner


@pytest.fixture
def aloop(impl, clock):
    loop = impls.asyncio_loop(impl, clock=clock)
    yield loop
    if not loop.is_running():
        loop.close()


# ------------------------------------------------------------- the loop itself
def test_is_an_asyncio_loop_backed_by_the_named_loop(aloop, impl):
    assert isinstance(aloop, asyncio.AbstractEventLoop)
    assert aloop.inner.name == impl
    assert isinstance(aloop.create_future(), asyncio.Future)


def test_an_hour_of_virtual_sleep_returns_at_once(runner, clock):
    async def main():
        await asyncio.sleep(3600)
        return asyncio.get_running_loop().time()

    assert runner.run(main()) == 3600.0
    assert clock.time() == 3600.0


def test_tasks_are_asyncio_tasks_and_the_running_loop_is_ours(runner):
    async def main():
        task = asyncio.current_task()
        return type(task), asyncio.get_running_loop()

    task_type, loop = runner.run(main())
    assert issubclass(task_type, asyncio.Task)
    assert loop is runner.get_loop() and isinstance(loop, AsyncioLoop)


def test_callbacks_and_timers_run_in_deadline_order(aloop):
    ran = []
    aloop.call_later(2, ran.append, "late")
    aloop.call_at(1, ran.append, "early")
    aloop.call_at(1, ran.append, "early, armed second")
    aloop.call_soon(ran.append, "soon")
    cancelled = aloop.call_later(1.5, ran.append, "cancelled")
    cancelled.cancel()
    aloop.call_later(3, aloop.stop)
    aloop.run_forever()
    assert ran == ["soon", "early", "early, armed second", "late"]
    assert aloop.time() == 3.0
    assert cancelled.cancelled()


def test_handles_are_asyncio_handles(aloop):
    handle = aloop.call_soon(print)
    timer = aloop.call_at(5, print)
    assert isinstance(handle, asyncio.Handle)
    assert isinstance(timer, asyncio.TimerHandle) and timer.when() == 5
    handle.cancel()
    timer.cancel()
    assert handle.cancelled() and timer.cancelled()


def test_cancelled_callbacks_and_timers_never_run(aloop):
    ran = []
    aloop.call_soon(ran.append, "kept")
    aloop.call_soon(ran.append, "cancelled").cancel()
    aloop.call_later(1, ran.append, "cancelled timer").cancel()
    aloop.call_later(2, aloop.stop)
    aloop.run_forever()
    assert ran == ["kept"]


def test_cancelled_timers_do_not_pile_up_in_the_inner_store(aloop):
    # asyncio's own cancel() reports each stored timer; the inner store counts it and
    # compacts, as it does for its own timers (10k armed and cancelled: a few hundred kept).
    for i in range(10_000):
        aloop.call_later(3600 + i, print).cancel()
    aloop.call_later(1, print)                   # arming again is where a store compacts
    inner = aloop.inner
    store = getattr(inner, "_timers", None)
    if store is None:
        store = inner.timers                     # the list loop's plain list
    assert len(store) < 500


def test_a_bad_deadline_is_refused_and_arms_nothing(aloop):
    for bad in (math.nan, -math.inf):
        with pytest.raises(ValueError):
            aloop.call_at(bad, print)
        with pytest.raises(ValueError):
            aloop.call_later(bad, print)
    with pytest.raises(TypeError):
        aloop.call_at("soon", print)
    never = aloop.call_at(math.inf, print)       # asyncio's "never": accepted, not armed
    aloop.call_soon(aloop.stop)
    aloop.run_forever()
    never.cancel()
    assert never.cancelled()


def test_callbacks_run_in_their_context(aloop):
    var = contextvars.ContextVar("var", default="unset")
    context = contextvars.copy_context()
    context.run(var.set, "in the given context")
    seen = []
    aloop.call_soon(lambda: seen.append(var.get()), context=context)
    aloop.call_later(1, lambda: seen.append(var.get()), context=context)
    aloop.call_soon(lambda: seen.append(var.get()))
    aloop.call_later(2, aloop.stop)
    aloop.run_forever()
    assert seen == ["in the given context", "unset", "in the given context"]


def test_task_context_is_kept_across_awaits(runner):
    var = contextvars.ContextVar("var")

    async def child(value):
        var.set(value)
        await asyncio.sleep(1)
        return var.get()

    async def main():
        return await asyncio.gather(child("a"), child("b"))

    assert runner.run(main()) == ["a", "b"]


def test_run_until_complete_returns_the_result_or_raises(aloop):
    async def answer():
        await asyncio.sleep(1)
        return 42

    async def fail():
        await asyncio.sleep(1)
        raise KeyError("boom")

    assert aloop.run_until_complete(answer()) == 42
    with pytest.raises(KeyError):
        aloop.run_until_complete(fail())
    assert not aloop.is_running()


def test_stop_before_run_forever_runs_one_iteration(aloop):
    ran = []
    aloop.call_soon(ran.append, 1)
    aloop.stop()
    aloop.run_forever()
    assert ran == [1]


def test_running_twice_or_closing_while_running_is_refused(aloop):
    async def main():
        with pytest.raises(RuntimeError):
            aloop.run_forever()
        with pytest.raises(RuntimeError):
            aloop.close()
        return "still fine"

    assert aloop.run_until_complete(main()) == "still fine"


def test_a_closed_loop_refuses_everything(aloop):
    aloop.close()
    aloop.close()                                   # idempotent
    assert aloop.is_closed()
    coro = asyncio.sleep(0)
    for call in (lambda: aloop.call_soon(print), lambda: aloop.call_later(1, print),
                 aloop.run_forever, lambda: aloop.create_task(coro)):
        with pytest.raises(RuntimeError, match="closed"):
            call()
    coro.close()


def test_bad_callbacks_get_a_type_error(aloop):
    with pytest.raises(TypeError):
        aloop.call_soon(42)
    with pytest.raises(TypeError):
        aloop.call_later(None, print)
    aloop.set_debug(True)
    with pytest.raises(TypeError, match="coroutines cannot be used"):
        aloop.call_soon(asyncio.sleep)


# -------------------------------------------------------------- asyncio's tools
def test_gather_returns_results_in_argument_order(runner, clock):
    async def main():
        return await asyncio.gather(asyncio.sleep(3, "slow"), asyncio.sleep(1, "fast"))

    assert runner.run(main()) == ["slow", "fast"]
    assert clock.time() == 3.0


def test_task_group_cancels_the_others_when_one_fails(runner):
    cleaned_up = []

    async def sleeper():
        try:
            await asyncio.sleep(10)
        finally:
            cleaned_up.append("sleeper")

    async def failer():
        await asyncio.sleep(1)
        raise ValueError("failed")

    async def main():
        async with asyncio.TaskGroup() as group:
            group.create_task(sleeper())
            group.create_task(failer())

    with pytest.raises(ExceptionGroup) as caught:
        runner.run(main())
    assert [type(e) for e in caught.value.exceptions] == [ValueError]
    assert cleaned_up == ["sleeper"]


def test_timeout_raises_at_its_deadline(runner):
    async def main():
        loop = asyncio.get_running_loop()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(2):
                await asyncio.sleep(10)
        return loop.time()

    assert runner.run(main()) == 2.0


def test_sleeping_forever_ends_by_cancellation(runner):
    async def main():
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(5):
                await asyncio.sleep(math.inf)             # asyncio's idiom for "forever"
        return asyncio.get_running_loop().time()

    assert runner.run(main()) == 5.0


def test_wait_for_times_out(runner):
    async def main():
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.sleep(10), 1)
        return asyncio.get_running_loop().time()

    assert runner.run(main()) == 1.0


def test_queue_hands_items_over_in_order(runner):
    async def main():
        queue: asyncio.Queue = asyncio.Queue(maxsize=2)
        received = []

        async def producer():
            for i in range(5):
                await queue.put(i)
                await asyncio.sleep(0.5)
            await queue.put(None)

        async def consumer():
            while (item := await queue.get()) is not None:
                received.append((item, asyncio.get_running_loop().time()))

        await asyncio.gather(producer(), consumer())
        return received

    assert runner.run(main()) == [(0, 0.0), (1, 0.5), (2, 1.0), (3, 1.5), (4, 2.0)]


def test_event_wakes_every_waiter(runner):
    async def main():
        event = asyncio.Event()

        async def waiter(name):
            await event.wait()
            return name

        tasks = [asyncio.create_task(waiter(n)) for n in "abc"]
        await asyncio.sleep(1)
        assert not any(t.done() for t in tasks)
        event.set()
        return await asyncio.gather(*tasks)

    assert runner.run(main()) == ["a", "b", "c"]


def test_lock_excludes_and_is_fair(runner):
    async def main():
        lock = asyncio.Lock()
        log = []

        async def worker(name):
            async with lock:
                log.append(f"{name} in")
                await asyncio.sleep(1)
                log.append(f"{name} out")

        await asyncio.gather(*(worker(n) for n in "abc"))
        return log, asyncio.get_running_loop().time()

    log, now = runner.run(main())
    assert log == ["a in", "a out", "b in", "b out", "c in", "c out"]
    assert now == 3.0


def test_cancelling_a_task_raises_at_its_await_and_runs_finally(runner):
    steps = []

    async def victim():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            steps.append("cancelled at the await")
            raise
        finally:
            steps.append("finally")

    async def main():
        task = asyncio.create_task(victim())
        await asyncio.sleep(1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return task.cancelled(), asyncio.get_running_loop().time()

    assert runner.run(main()) == (True, 1.0)
    assert steps == ["cancelled at the await", "finally"]


def test_task_factory_and_task_names(runner):
    made = []

    def factory(loop, coro, **kwargs):
        task = asyncio.Task(coro, loop=loop, **kwargs)
        made.append(task)
        return task

    async def main():
        asyncio.get_running_loop().set_task_factory(factory)
        task = asyncio.get_running_loop().create_task(asyncio.sleep(1, "done"), name="named")
        return task.get_name(), await task

    assert runner.run(main()) == ("named", "done")
    assert len(made) == 1


# ---------------------------------------------------------------- other threads
def test_run_in_executor_returns_the_thread_result(runner):
    def blocking(x):
        time.sleep(0.01)
        return threading.current_thread() is not threading.main_thread(), x * 2

    async def main():
        loop = asyncio.get_running_loop()
        results = await asyncio.gather(*(loop.run_in_executor(None, blocking, i) for i in range(4)))
        also = await asyncio.to_thread(blocking, 10)
        return results, also

    results, also = runner.run(main())
    assert results == [(True, 0), (True, 2), (True, 4), (True, 6)]
    assert also == (True, 20)


def test_run_in_executor_job_cancelled_by_a_timeout(runner):
    release = threading.Event()

    async def main():
        loop = asyncio.get_running_loop()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(loop.run_in_executor(None, release.wait), 1)
        release.set()
        return "loop still fine", await asyncio.sleep(0, "yes")

    assert runner.run(main()) == ("loop still fine", "yes")


def test_call_soon_threadsafe_from_another_thread(impl):
    # Real clock: the other thread's call must wake the loop, not a timer.
    loop = impls.asyncio_loop(impl)
    threads = []
    try:
        async def main():
            woken = loop.create_future()
            thread = threading.Thread(target=lambda: (time.sleep(0.01),
                                                      loop.call_soon_threadsafe(woken.set_result, "woken")))
            threads.append(thread)
            thread.start()
            return await woken

        if "threadsafe" in loop.inner.capabilities:
            assert loop.run_until_complete(main()) == "woken"
        else:
            # Documented: a loop that cannot be woken, with nothing ready and no timer armed,
            # refuses to sleep forever instead of hanging.
            with pytest.raises(RuntimeError, match="forever"):
                loop.run_until_complete(main())
    finally:
        for thread in threads:
            thread.join()
        loop.close()


class UnwakeableLoop(HeapLoop):
    """The heap loop without its wake-up: a thread's call_soon_threadsafe only queues the
    callback (BaseLoop's own _post_threadsafe), and an idle loop sleeps until its next timer."""

    name = "unwakeable"
    capabilities = frozenset({"timers", "tasks"})
    _post_threadsafe = BaseLoop._post_threadsafe


@pytest.mark.timeout(60)             # without the adapter's polling this hangs: fail, not wait two minutes
@pytest.mark.parametrize("clock", [None, impls.VirtualClock()], ids=["real clock", "virtual clock"])
def test_executor_results_reach_a_loop_that_cannot_be_woken(clock):
    def job(x):
        time.sleep(0.05)
        return x + 1

    async def main():
        loop = asyncio.get_running_loop()
        # The guard: were the loop not polling, it would sleep until this timeout.
        return await asyncio.wait_for(asyncio.gather(loop.run_in_executor(None, job, 1),
                                                     asyncio.to_thread(job, 2)), 3600)

    with asyncio.Runner(loop_factory=lambda: AsyncioLoop(UnwakeableLoop(clock=clock))) as runner:
        start = runner.get_loop().time()
        assert runner.run(main()) == [2, 3]
        assert runner.get_loop().time() - start < 3600     # woken by the results, not by the guard


def test_shutdown_default_executor(runner):
    async def main():
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, time.sleep, 0.01)
        await loop.shutdown_default_executor()
        with pytest.raises(RuntimeError, match="shutdown"):
            loop.run_in_executor(None, print)
        return "shut down"

    assert runner.run(main()) == "shut down"


# ---------------------------------------------------- errors, debug, generators
def test_callback_errors_go_to_the_exception_handler(aloop):
    seen = []
    aloop.set_exception_handler(lambda loop, context: seen.append(context))
    ran = []
    aloop.call_soon(lambda: 1 / 0)
    aloop.call_soon(ran.append, "next callback")
    aloop.call_later(1, aloop.stop)
    aloop.run_forever()
    assert ran == ["next callback"]
    assert len(seen) == 1 and isinstance(seen[0]["exception"], ZeroDivisionError)
    assert isinstance(seen[0]["handle"], asyncio.Handle)


def test_default_exception_handler_logs_on_asyncio_logger(aloop, caplog):
    aloop.call_soon(lambda: 1 / 0)
    aloop.call_later(1, aloop.stop)
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        aloop.run_forever()
    [record] = [r for r in caplog.records if r.name == "asyncio"]
    assert "Exception in callback" in record.getMessage()
    assert record.exc_info[0] is ZeroDivisionError


def test_a_failing_exception_handler_is_reported(aloop, caplog):
    def handler(loop, context):
        raise RuntimeError("handler broke")

    aloop.set_exception_handler(handler)
    aloop.call_soon(lambda: 1 / 0)
    aloop.call_later(1, aloop.stop)
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        aloop.run_forever()
    assert any("Unhandled error in exception handler" in r.getMessage() for r in caplog.records)


def test_never_retrieved_task_exception_is_reported(runner):
    seen = []

    async def fail():
        raise ValueError("never retrieved")

    async def main():
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: seen.append(context))
        task = asyncio.create_task(fail())
        await asyncio.sleep(1)
        del task

    runner.run(main())
    import gc
    gc.collect()
    assert any(isinstance(c.get("exception"), ValueError) for c in seen)


def test_debug_mode_reports_slow_callbacks(impl, caplog):
    with asyncio.Runner(debug=True, loop_factory=functools.partial(impls.asyncio_loop, impl)) as runner:
        loop = runner.get_loop()
        assert loop.get_debug()
        loop.slow_callback_duration = 0.0

        async def main():
            await asyncio.sleep(0)

        with caplog.at_level(logging.WARNING, logger="asyncio"):
            runner.run(main())
    assert any("Executing" in r.getMessage() for r in caplog.records)


# ------------------------------------------------- what the loop lets go of
# asyncio frees a callback's arguments as soon as its handle has run: a finished task,
# the exception it ended with and the frames of its traceback go when the program
# drops them, not at the garbage collector's next pass (anyio's TaskGroup tests check
# this with gc.get_referrers). These tests turn the collector off, so a reference cycle
# left behind keeps what it holds alive, as it would between two collections.
@contextlib.contextmanager
def no_garbage_collection():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Failure(Exception):
    """An exception a weak reference can follow."""


def fail_now():
    raise Failure("from the executor")


@pytest.mark.parametrize("debug", [False, True], ids=["", "debug"])
def test_a_failed_task_and_its_exception_are_freed_once_dropped(impl, clock, debug):
    async def fail():
        await asyncio.sleep(1)
        raise Failure("from a task")

    async def main():
        task = asyncio.create_task(fail())
        try:
            await task
        except Failure as exc:
            exception = weakref.ref(exc)
        finished = weakref.ref(task)
        del task
        await asyncio.sleep(0)                   # off the handle that woke this step (it holds the task)
        return finished, exception, finished() is None, exception() is None

    with no_garbage_collection(), asyncio.Runner(
            debug=debug, loop_factory=functools.partial(impls.asyncio_loop, impl, clock=clock)) as runner:
        finished, exception, task_freed, exception_freed = runner.run(main())
        assert (task_freed, exception_freed) == (True, True)
        assert finished() is None and exception() is None


def test_an_executor_jobs_exception_is_freed_once_dropped(runner):
    async def main():
        try:
            await asyncio.get_running_loop().run_in_executor(None, fail_now)
        except Failure as exc:
            exception = weakref.ref(exc)
        await asyncio.sleep(0)                   # off the handle that brought the outcome back
        return exception() is None

    with no_garbage_collection():
        assert runner.run(main())


@pytest.mark.parametrize("debug", [False, True], ids=["", "debug"])
def test_a_closed_loop_is_freed_once_dropped(impl, debug):
    async def main():
        await asyncio.sleep(0)
        await asyncio.to_thread(lambda: None)

    watched, peer = socket.socketpair()
    try:
        with no_garbage_collection():
            loop = impls.asyncio_loop(impl)
            loop.set_debug(debug)
            if "io" in loop.inner.capabilities:
                loop.add_reader(watched, lambda: None)       # still watched when the loop closes
            loop.run_until_complete(main())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()
            closed = weakref.ref(loop)
            del loop
            assert closed() is None
    finally:
        watched.close()
        peer.close()


def test_a_cancelled_call_soon_threadsafe_never_runs(runner):
    ran = []

    async def main():
        loop = asyncio.get_running_loop()
        loop.call_soon_threadsafe(ran.append, "cancelled").cancel()
        loop.call_soon_threadsafe(ran.append, "kept")
        await asyncio.sleep(1)

    errors = []
    runner.get_loop().set_exception_handler(lambda loop, context: errors.append(context))
    runner.run(main())
    assert (ran, errors) == (["kept"], [])


def test_a_call_from_another_thread_is_freed_once_run_even_before_the_call_returns(runner):
    # The loop may run the callback before call_soon_threadsafe has returned in the
    # thread that called it; here it always does (the inner loop's post lags behind).
    class Payload:
        pass

    ran = threading.Event()
    lagged, left = [], []

    async def main():
        loop = asyncio.get_running_loop()
        post = loop.inner.call_soon_threadsafe

        def post_then_lag(*args):
            handle = post(*args)
            if not lagged:                       # the first post (the job's result comes back by it too)
                lagged.append(ran.wait(timeout=30))   # the loop runs the callback meanwhile
            return handle

        loop.inner.call_soon_threadsafe = post_then_lag

        def from_thread():
            payload = Payload()
            left.append(weakref.ref(payload))
            loop.call_soon_threadsafe(lambda payload: ran.set(), payload)

        await asyncio.to_thread(from_thread)
        await asyncio.sleep(0)
        return left[0]() is None

    with no_garbage_collection():
        freed = runner.run(main())
    assert lagged == [True]
    assert freed


def test_debug_mode_reports_a_slow_callback_without_keeping_its_arguments(impl, caplog):
    class Payload:
        pass

    def callback(payload):
        pass

    async def main():
        payload = Payload()
        asyncio.get_running_loop().call_soon(callback, payload)
        left = weakref.ref(payload)
        del payload
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return left() is None

    with no_garbage_collection(), caplog.at_level(logging.WARNING, logger="asyncio"), asyncio.Runner(
            debug=True, loop_factory=functools.partial(impls.asyncio_loop, impl)) as runner:
        runner.get_loop().slow_callback_duration = 0.0
        assert runner.run(main())
    assert any("Executing <Handle" in r.getMessage() and "callback" in r.getMessage() for r in caplog.records)


def test_debug_mode_refuses_calls_from_other_threads(runner):
    async def main():
        loop = asyncio.get_running_loop()
        loop.set_debug(True)
        errors = []

        def from_thread():
            try:
                loop.call_soon(print)
            except RuntimeError as exc:
                errors.append(exc)

        await asyncio.to_thread(from_thread)
        return errors

    [error] = runner.run(main())
    assert "thread" in str(error)


def test_async_generators_are_finalized_at_shutdown(runner):
    closed = []

    async def ticker():
        try:
            for i in range(10):
                yield i
                await asyncio.sleep(1)
        finally:
            closed.append("ticker")

    async def main():
        agen = ticker()
        assert await agen.__anext__() == 0
        return agen                               # left unfinished: the runner must close it

    agen = runner.run(main())
    runner.close()
    assert closed == ["ticker"]
    del agen


# ------------------------------------------------------------ not implemented
@pytest.mark.parametrize("method", NOT_IMPLEMENTED)
def test_what_is_not_implemented_says_so(aloop, method):
    with pytest.raises(NotImplementedError, match=method):
        getattr(aloop, method)()


class NoIOLoop(HeapLoop):
    """A loop that does not declare "io" (every built-in does): what asyncio code meets there."""

    name = "no-io"
    capabilities = frozenset({"timers", "tasks", "threadsafe"})


def test_io_without_the_io_capability_names_the_method():
    aloop = AsyncioLoop(NoIOLoop(clock=impls.VirtualClock()))
    for method in ("add_reader", "add_writer"):
        with pytest.raises(NotImplementedError, match=method):
            getattr(aloop, method)(0, print)
    for method in ("remove_reader", "remove_writer"):
        with pytest.raises(NotImplementedError, match=method):
            getattr(aloop, method)(0)
    sock = socket.socket()
    try:
        for method, args in [("sock_recv", (sock, 1)), ("sock_sendall", (sock, b"x")),
                             ("sock_accept", (sock,)), ("sock_connect", (sock, ("127.0.0.1", 1))),
                             ("sock_recv_into", (sock, bytearray(1))),
                             ("create_connection", (asyncio.Protocol, "127.0.0.1", 1)),
                             ("create_server", (asyncio.Protocol, "127.0.0.1", 0))]:
            with pytest.raises(NotImplementedError, match=method):
                aloop.run_until_complete(getattr(aloop, method)(*args))
    finally:
        sock.close()
        aloop.close()
    assert set(IO_METHODS) >= {"add_reader", "sock_recv"}


# ------------------------------------------------------------------------ I/O
def test_echo_server(impl):
    """start_server/open_connection on the loop's own I/O (capability "io"), on 127.0.0.1."""
    loop = impls.asyncio_loop(impl)
    if "io" not in loop.inner.capabilities:
        loop.close()
        pytest.skip(f"the {impl} loop has no 'io' capability yet")
    loop.close()

    async def handle(reader, writer):
        while data := await reader.read(1024):
            writer.write(data.upper())
            await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            replies = []
            for word in (b"hello", b"world" * 5000):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(word)
                writer.write_eof()
                replies.append(await reader.read())
                writer.close()
                await writer.wait_closed()
        return replies

    with asyncio.Runner(loop_factory=functools.partial(impls.asyncio_loop, impl)) as runner:
        assert runner.run(asyncio.wait_for(main(), 10)) == [b"HELLO", b"WORLD" * 5000]


def test_await_inner_runs_the_inner_loops_own_coroutines(runner):
    inner_cancelled = []

    async def main():
        loop = asyncio.get_running_loop()
        value = await loop.await_inner(loop.inner.sleep(2, "inner result"))

        async def inner_sleeper():                 # a coroutine of the inner loop, not of asyncio
            try:
                await loop.inner.sleep(10)
            except impls.CancelledError:
                inner_cancelled.append(loop.time())
                raise

        waiting = asyncio.create_task(loop.await_inner(inner_sleeper()))
        await asyncio.sleep(1)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await asyncio.sleep(1)                     # the inner task's cancellation runs meanwhile
        return value, loop.time()

    assert runner.run(main()) == ("inner result", 4.0)
    assert inner_cancelled == [3.0]


def test_await_inner_passes_exceptions_on(runner):
    async def main():
        loop = asyncio.get_running_loop()

        async def fails():
            await loop.inner.sleep(1)
            raise KeyError("inner")

        with pytest.raises(KeyError):
            await loop.await_inner(fails())
        return "ok"

    assert runner.run(main()) == "ok"


def test_readiness_callbacks_and_sock_methods(impl):
    """add_reader and the sock_* coroutines, delegated to the loop's own I/O (capability "io")."""
    with asyncio.Runner(loop_factory=functools.partial(impls.asyncio_loop, impl)) as runner:
        loop = runner.get_loop()
        if "io" not in loop.inner.capabilities:
            pytest.skip(f"the {impl} loop has no 'io' capability yet")

        async def main():
            left, right = socket.socketpair()
            listener = socket.socket()
            client = socket.socket()
            with left, right, listener, client:
                for sock in (left, right, listener, client):
                    sock.setblocking(False)
                readable = loop.create_future()
                loop.add_reader(left, lambda: readable.done() or readable.set_result(left.recv(100)))
                right.send(b"ready")
                got = await readable
                removed = loop.remove_reader(left), loop.remove_reader(left)

                listener.bind(("127.0.0.1", 0))
                listener.listen()
                accepting = asyncio.create_task(loop.sock_accept(listener))
                await loop.sock_connect(client, listener.getsockname())
                conn, _ = await accepting
                with conn:
                    await loop.sock_sendall(client, b"ping" * 100_000)
                    received = bytearray()
                    while len(received) < 400_000:
                        received += await loop.sock_recv(conn, 65536)
                    await loop.sock_sendall(conn, b"pong")
                    buffer = bytearray(4)
                    count = await loop.sock_recv_into(client, buffer)
                return got, removed, bytes(received) == b"ping" * 100_000, bytes(buffer[:count])

        assert runner.run(asyncio.wait_for(main(), 10)) == (b"ready", (True, False), True, b"pong")


# ------------------------------------------- sock_* the way asyncio's selector loop does them
def io_loop_factories(impl, clock):
    """asyncio's own loop (the reference), then ours on ``impl`` on ``clock``."""
    probe = impls.create(impl)
    probe.close()
    if "io" not in probe.capabilities:
        pytest.skip(f"the {impl} loop has no 'io' capability")
    return {"asyncio": asyncio.new_event_loop,
            impl: functools.partial(impls.asyncio_loop, impl, clock=clock)}


def run_on_each(impl, scenario):
    """``scenario()`` on asyncio's loop and on ours: {loop name: what it returned}.

    On the real clock, as the other socket tests: a scenario bounds its waits with
    ``wait_for`` (a failure ends, it does not hang), and a virtual clock would jump to
    that deadline while the thread loop's selector thread (or an executor thread) is
    about to report. No duration is asserted."""
    outcomes = {}
    for name, factory in io_loop_factories(impl, impls.MonotonicClock()).items():
        with asyncio.Runner(loop_factory=factory) as runner:
            outcomes[name] = runner.run(scenario())
    return outcomes


def nonblocking_pair():
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    return a, b


def test_sock_recv_with_data_waiting_completes_without_suspending_so_a_cancel_loses_nothing(impl):
    """asyncio's sock_recv tries recv() before it registers (selector_events.sock_recv):
    with a byte waiting, the task is done after its first step, and a cancel that
    comes after that finds it done. The byte is delivered, never dropped."""
    async def scenario():
        loop = asyncio.get_running_loop()
        a, b = nonblocking_pair()
        with a, b:
            b.send(b"x")
            task = asyncio.create_task(loop.sock_recv(a, 1))
            await asyncio.sleep(0)                     # the task ran its first step
            task.cancel()
            try:
                return "result", await task
            except asyncio.CancelledError:
                try:                                   # cancelled: the byte must still be there
                    return "cancelled, then", await asyncio.wait_for(loop.sock_recv(a, 1), 5)
                except TimeoutError:
                    return "lost", None

    outcomes = run_on_each(impl, scenario)
    assert outcomes["asyncio"] == ("result", b"x")
    assert outcomes[impl] == ("result", b"x")


@pytest.mark.parametrize("method", ["sock_sendall", "sock_accept", "sock_recv_into"])
def test_every_sock_call_that_can_complete_at_once_does_so_in_its_first_step(impl, method):
    """asyncio's sock_sendall/sock_accept/sock_recv_into also try first: a task doing
    one that can complete at once is done after its first step."""
    async def scenario():
        loop = asyncio.get_running_loop()
        a, b = nonblocking_pair()
        listener, client = socket.socket(), socket.socket()
        with a, b, listener, client:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            listener.setblocking(False)
            client.connect(listener.getsockname())     # queued in the backlog: accept() succeeds
            b.send(b"data")
            call = {"sock_sendall": lambda: loop.sock_sendall(a, b"small"),
                    "sock_accept": lambda: loop.sock_accept(listener),
                    "sock_recv_into": lambda: loop.sock_recv_into(a, bytearray(10))}[method]
            task = asyncio.create_task(call())
            await asyncio.sleep(0)
            done = task.done()
            result = await task
            if method == "sock_accept":
                result[0].close()
            return done

    assert run_on_each(impl, scenario) == {"asyncio": True, impl: True}


def test_when_one_of_two_tasks_in_sock_recv_is_cancelled_the_other_gets_the_data(impl):
    """The second sock_recv on a socket replaces the first's reader; cancelling the
    first must not remove it (asyncio's _sock_read_done removes the reader only if
    its own handle is not cancelled), so the second task gets the data."""
    async def scenario():
        loop = asyncio.get_running_loop()
        a, b = nonblocking_pair()
        with a, b:
            first = asyncio.create_task(loop.sock_recv(a, 100))
            second = asyncio.create_task(loop.sock_recv(a, 100))
            await asyncio.sleep(0)
            first.cancel()
            await asyncio.sleep(0)
            b.send(b"for the second")
            try:
                return await asyncio.wait_for(second, 5)
            except TimeoutError:
                return "the second task was never woken"

    assert run_on_each(impl, scenario) == {"asyncio": b"for the second", impl: b"for the second"}


def test_sock_connect_resolves_a_host_name(impl):
    """asyncio's sock_connect resolves names (base_events._ensure_resolved, through
    getaddrinfo in the executor) instead of refusing them."""
    async def scenario():
        loop = asyncio.get_running_loop()
        listener, client = socket.socket(), socket.socket()
        with listener, client:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            client.setblocking(False)
            await asyncio.wait_for(loop.sock_connect(client, ("localhost", listener.getsockname()[1])), 5)
            return client.getpeername() == listener.getsockname()

    assert run_on_each(impl, scenario) == {"asyncio": True, impl: True}


def test_remove_reader_of_a_socket_closed_since_returns_true_and_frees_its_fd(impl):
    """asyncio's selector finds a closed socket's registration by identity: True."""
    async def scenario():
        loop = asyncio.get_running_loop()
        a, b = nonblocking_pair()
        loop.add_reader(a, print)
        a.close()
        b.close()
        removed = loop.remove_reader(a)
        c, d = nonblocking_pair()                     # reuses the numbers
        with c, d:
            got = loop.create_future()
            loop.add_reader(c, lambda: got.done() or got.set_result(c.recv(10)))
            d.send(b"fresh")
            data = await asyncio.wait_for(got, 5)
            loop.remove_reader(c)
            return removed, data

    assert run_on_each(impl, scenario) == {"asyncio": (True, b"fresh"), impl: (True, b"fresh")}


def test_a_buffered_protocol_is_read_into_its_own_buffer(impl):
    """asyncio.BufferedProtocol on our transport, on every loop, as on asyncio's: the
    data arrives through get_buffer()/buffer_updated(), then EOF, then connection_lost."""
    class Buffered(asyncio.BufferedProtocol):
        def __init__(self):
            self.buffer, self.received, self.events = bytearray(5), bytearray(), []
            self.lost = asyncio.get_running_loop().create_future()

        def get_buffer(self, sizehint):
            return self.buffer

        def buffer_updated(self, nbytes):
            self.received += self.buffer[:nbytes]

        def eof_received(self):
            self.events.append("eof")

        def connection_lost(self, exc):
            self.lost.set_result(exc)

    async def scenario():
        loop = asyncio.get_running_loop()
        left, right = socket.socketpair()
        with right:
            _, protocol = await loop.connect_accepted_socket(Buffered, left)
            right.sendall(b"asyncpg reads this way")
            right.shutdown(socket.SHUT_WR)
            lost = await asyncio.wait_for(protocol.lost, 5)
        return bytes(protocol.received), protocol.events, lost

    expected = (b"asyncpg reads this way", ["eof"], None)
    assert run_on_each(impl, scenario) == {"asyncio": expected, impl: expected}


def test_create_server_with_an_empty_host_listens_on_every_interface_as_asyncio_does():
    """host "" is every interface in asyncio's create_server (websockets' serve() passes it);
    getaddrinfo refuses "" itself, so it must not reach it."""
    for make in (asyncio.new_event_loop, lambda: impls.asyncio_loop("heap")):
        loop = make()
        try:
            async def main():
                server = await loop.create_server(asyncio.Protocol, "", 0, family=socket.AF_INET)
                host, port = server.sockets[0].getsockname()[:2]
                reader, writer = await asyncio.open_connection("127.0.0.1", port)     # reachable on loopback
                writer.close()
                server.close()
                await server.wait_closed()
                return host

            assert loop.run_until_complete(main()) == "0.0.0.0"
        finally:
            loop.close()

"""Contract clause 5: tasks, results, exceptions and cancellation."""

import pytest

import impls
from impls import CancelledError, InvalidStateError

pytestmark = pytest.mark.contract(5)


class Boom(Exception):
    pass


def test_run_until_complete_returns_the_coroutine_result(loop):
    async def main():
        await loop.sleep(1)
        return "result"

    assert loop.run_until_complete(main()) == "result"


def test_run_until_complete_raises_the_coroutine_exception(loop):
    async def main():
        await loop.sleep(1)
        raise Boom("from the coroutine")

    with pytest.raises(Boom, match="from the coroutine"):
        loop.run_until_complete(main())


def test_run_until_complete_accepts_a_task(loop):
    async def main():
        return 7

    task = loop.create_task(main())
    assert isinstance(task, impls.Task)
    assert loop.run_until_complete(task) == 7


def test_awaiting_a_task_returns_its_result_or_raises_its_exception(loop):
    async def child(x):
        await loop.sleep(x)
        if x == 2:
            raise Boom(x)
        return x * 10

    async def main():
        ok = loop.create_task(child(1))
        bad = loop.create_task(child(2))
        got = [await ok]
        try:
            await bad
        except Boom as exc:
            got.append(("boom", exc.args[0]))
        return got

    assert loop.run_until_complete(main()) == [10, ("boom", 2)]


def test_sleep_returns_its_result_and_advances_time(loop):
    async def main():
        start = loop.time()
        value = await loop.sleep(2.5, result="done")
        return value, loop.time() - start

    value, elapsed = loop.run_until_complete(main())
    assert value == "done" and elapsed >= 2.5


def test_sleep_zero_lets_other_tasks_run(loop):
    order = []

    async def worker(name):
        for i in range(3):
            order.append(f"{name}{i}")
            await loop.sleep(0)

    async def main():
        a, b = loop.create_task(worker("a")), loop.create_task(worker("b"))
        await a
        await b

    loop.run_until_complete(main())
    assert order == ["a0", "b0", "a1", "b1", "a2", "b2"]


def test_cancel_raises_at_the_current_await_and_runs_finally(loop):
    events = []

    async def victim():
        try:
            events.append("started")
            await loop.sleep(100)
            events.append("not reached")
        except CancelledError:
            events.append("cancelled at await")
            raise
        finally:
            events.append("finally")

    async def main():
        task = loop.create_task(victim())
        await loop.sleep(1)
        assert task.cancel() is True
        with pytest.raises(CancelledError):
            await task
        return task

    task = loop.run_until_complete(main())
    assert events == ["started", "cancelled at await", "finally"]
    assert task.cancelled() and task.done()
    with pytest.raises(CancelledError):
        task.result()
    with pytest.raises(CancelledError):
        loop.run_until_complete(task)


def test_a_cancelled_task_does_not_wait_for_its_timer(loop):
    async def victim():
        await loop.sleep(1000)

    async def main():
        task = loop.create_task(victim())
        await loop.sleep(1)
        task.cancel()
        try:
            await task
        except CancelledError:
            pass
        return loop.time()

    assert loop.run_until_complete(main()) < 1000


def test_cancel_before_the_task_starts_means_its_body_never_runs(loop):
    ran = []

    async def never():
        ran.append("body")

    task = loop.create_task(never())
    task.cancel()
    with pytest.raises(CancelledError):
        loop.run_until_complete(task)
    assert ran == [] and task.cancelled()


def test_cancelling_a_task_that_awaits_another_task_cancels_both(loop):
    """As in asyncio: the outer task's current await is the inner task, so it is cancelled too."""
    cleanup = []

    async def inner_body():
        try:
            await loop.sleep(10)
        finally:
            cleanup.append("inner finally")

    async def outer_body(t):
        try:
            return await t
        finally:
            cleanup.append("outer finally")

    async def main():
        inner = loop.create_task(inner_body())
        outer = loop.create_task(outer_body(inner))
        await loop.sleep(1)
        outer.cancel()
        for task in (outer, inner):
            with pytest.raises(CancelledError):
                await task
        return inner, outer

    inner, outer = loop.run_until_complete(main())
    assert inner.cancelled() and outer.cancelled()
    assert cleanup == ["inner finally", "outer finally"]


def test_cancelling_a_done_task_returns_false(loop):
    async def quick():
        return 1

    task = loop.create_task(quick())
    loop.run_until_complete(task)
    assert task.cancel() is False
    assert not task.cancelled() and task.result() == 1


def test_a_task_that_swallows_cancellation_goes_on_and_is_not_cancelled(loop):
    async def stubborn():
        try:
            await loop.sleep(10)
        except CancelledError:
            pass
        await loop.sleep(1)
        return "survived"

    async def main():
        task = loop.create_task(stubborn())
        await loop.sleep(1)
        task.cancel()
        return await task

    assert loop.run_until_complete(main()) == "survived"


def test_a_task_can_cancel_itself(loop):
    async def self_cancel():
        task = self_cancel.task
        task.cancel()
        await loop.sleep(0)
        return "not reached"

    task = loop.create_task(self_cancel())
    self_cancel.task = task
    with pytest.raises(CancelledError):
        loop.run_until_complete(task)


def test_result_and_exception_of_a_pending_task_raise_invalid_state(loop):
    async def main():
        await loop.sleep(1)

    task = loop.create_task(main())
    with pytest.raises(InvalidStateError):
        task.result()
    with pytest.raises(InvalidStateError):
        task.exception()
    loop.run_until_complete(task)
    assert task.exception() is None


def test_exception_returns_the_task_exception(loop):
    async def main():
        raise Boom("x")

    task = loop.create_task(main())
    with pytest.raises(Boom):
        loop.run_until_complete(task)
    assert isinstance(task.exception(), Boom)


def test_done_callbacks_get_the_task_and_run_through_the_loop(loop):
    seen = []

    async def main():
        return 5

    task = loop.create_task(main())
    task.add_done_callback(seen.append)
    loop.run_until_complete(task)
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert seen == [task]
    task.add_done_callback(seen.append)       # already done: scheduled, not called here
    assert seen == [task]
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert seen == [task, task]


def test_awaiting_something_that_is_not_a_loop_future_fails_the_task(loop):
    class Weird:
        def __await__(self):
            yield 42

    async def main():
        await Weird()

    with pytest.raises(RuntimeError, match="bad yield"):
        loop.run_until_complete(main())


def test_many_tasks_complete(loop):
    async def child(i):
        await loop.sleep(i % 7)
        return i

    async def main():
        tasks = [loop.create_task(child(i)) for i in range(500)]
        return [await t for t in tasks]

    assert loop.run_until_complete(main()) == list(range(500))


def test_a_task_result_comes_only_from_its_coroutine(loop):
    """``set_result``/``set_exception`` on a task raise ``RuntimeError`` (as asyncio's do):
    a forged result would leave the coroutine suspended and its ``finally`` unrun."""
    unwound = []

    async def main():
        try:
            await loop.sleep(1)
            return "own result"
        finally:
            unwound.append("finally")

    task = loop.create_task(main())
    forgers = [getattr(task, name) for name in ("set_result", "set_exception") if hasattr(task, name)]
    for forge in forgers:
        with pytest.raises(RuntimeError, match="Task"):
            forge(Boom("forged"))
    assert not task.done()
    assert loop.run_until_complete(task) == "own result"
    assert unwound == ["finally"]


class Held:
    """Something a failing coroutine's frame holds: freed only if that frame is."""


@pytest.mark.parametrize("how", ["exception() read", "awaited and caught"])
def test_a_failed_tasks_exception_is_freed_without_the_cyclic_gc(loop, how):
    """The traceback of a task's exception holds the failed coroutine's frames. If it
    also held a frame that holds the task (or a handle to it), the task, its exception
    and every object those frames hold would wait for the cyclic GC. asyncio frees
    them at once (its C task leaves no frame; its Python code clears ``self``/``exc``);
    so must every loop: with the GC off, a weak reference to an object held by the
    failed frame is dead once nobody holds the task."""
    import gc
    import weakref

    held: list[weakref.ref] = []

    async def failing():
        thing = Held()
        held.append(weakref.ref(thing))
        await loop.sleep(0)
        raise Boom("held in a traceback")

    async def main():
        task = loop.create_task(failing())
        if how == "exception() read":
            while not task.done():
                await loop.sleep(0)
            outcome = type(task.exception())
        else:
            try:
                await task
            except Boom as error:
                outcome = type(error)
        del task
        return outcome

    enabled = gc.isenabled()
    gc.disable()
    try:
        assert loop.run_until_complete(main()) is Boom
        assert held[0]() is None, "the failed coroutine's frame is kept alive by a reference cycle"
    finally:
        if enabled:
            gc.enable()

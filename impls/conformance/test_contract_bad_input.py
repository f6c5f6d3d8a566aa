"""Contract clause 6: bad input gets a clear error at the call and leaves the loop healthy."""

import math

import pytest

import impls
from impls.conformance.helpers import run_soon

pytestmark = pytest.mark.contract(6)


def assert_healthy(loop):
    ran = []
    loop.call_soon(ran.append, "soon")
    loop.call_later(0.5, ran.append, "later")
    loop.call_later(1, loop.stop)
    loop.run_forever()
    assert ran == ["soon", "later"]


@pytest.mark.parametrize("bad", [math.nan, -math.nan, math.inf, -math.inf])
def test_nan_or_infinite_delay_is_a_value_error(loop, bad):
    with pytest.raises(ValueError, match="delay"):
        loop.call_later(bad, print)
    with pytest.raises(ValueError, match="delay"):
        loop.sleep(bad)
    assert_healthy(loop)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_nan_or_infinite_deadline_is_a_value_error(loop, bad):
    with pytest.raises(ValueError, match="when"):
        loop.call_at(bad, print)
    assert_healthy(loop)


@pytest.mark.parametrize("bad", ["1", None, [1], True])
def test_a_non_number_delay_or_deadline_is_a_type_error(loop, bad):
    with pytest.raises(TypeError, match="delay"):
        loop.call_later(bad, print)
    with pytest.raises(TypeError, match="when"):
        loop.call_at(bad, print)
    assert_healthy(loop)


@pytest.mark.parametrize("bad", [None, 42, "print", object()])
def test_a_non_callable_is_a_type_error(loop, bad):
    with pytest.raises(TypeError, match="callable"):
        loop.call_soon(bad)
    with pytest.raises(TypeError, match="callable"):
        loop.call_later(1, bad)
    with pytest.raises(TypeError, match="callable"):
        loop.call_at(1, bad)
    with pytest.raises(TypeError, match="callable"):
        loop.call_soon_threadsafe(bad)
    assert_healthy(loop)


@pytest.mark.parametrize("bad", [42, "print", object()])   # None means "restore the default"
def test_a_non_callable_exception_handler_is_a_type_error(loop, bad):
    with pytest.raises(TypeError, match="callable"):
        loop.set_exception_handler(bad)
    assert loop.get_exception_handler() is None
    assert_healthy(loop)


def test_a_non_callable_done_callback_is_a_type_error(loop):
    async def main():
        return 1

    task = loop.create_task(main())
    with pytest.raises(TypeError, match="callable"):
        task.add_done_callback("not callable")
    assert loop.run_until_complete(task) == 1


async def a_coroutine_function():
    return 1


def a_generator():
    yield


@pytest.mark.parametrize("bad", [42, None, lambda: None, a_coroutine_function, print])
def test_create_task_of_a_non_coroutine_is_a_type_error(loop, bad):
    with pytest.raises(TypeError, match="create_task"):
        loop.create_task(bad)
    with pytest.raises(TypeError):
        loop.run_until_complete(bad)
    assert_healthy(loop)


def test_create_task_of_a_coroutine_function_suggests_calling_it(loop):
    with pytest.raises(TypeError, match=r"a_coroutine_function\(\)"):
        loop.create_task(a_coroutine_function)


def test_create_task_of_a_coroutine_another_task_runs_is_a_runtime_error(loop):
    """Two tasks cannot share one coroutine: the second is refused at the call, and the
    first goes on to its end (it would otherwise stay pending forever)."""
    refused = []

    async def child():
        await loop.sleep(1)
        await loop.sleep(1)
        return "child"

    coro = child()
    first = loop.create_task(coro)

    def second():
        with pytest.raises(RuntimeError, match="already"):
            loop.create_task(coro)
        refused.append(True)

    loop.call_later(0.5, second)
    assert loop.run_until_complete(first) == "child"
    assert refused == [True]
    assert_healthy(loop)


@pytest.mark.timeout(30)                     # the bug it guards against left a task pending forever
def test_a_coroutine_given_to_a_second_task_before_the_first_started_runs_only_in_the_first(loop):
    """Both calls are accepted (the coroutine has not started; asyncio 3.11 accepts
    both too). The first task runs it to its end; the second, at its first step,
    finds it suspended in the first and ends with ``RuntimeError`` without touching
    it (asyncio's second task also ends with a ``RuntimeError``, "cannot reuse
    already awaited coroutine"). Neither is left pending. The same for a plain
    generator on a loop that runs them."""
    async def child():
        await loop.sleep(1)
        await loop.sleep(1)
        return "child"

    def child_generator():
        yield loop.sleep(1)
        yield loop.sleep(1)
        return "child"

    kinds = [child] + ([child_generator] if "generators" in loop.capabilities else [])
    for make in kinds:
        coro = make()
        first = loop.create_task(coro)
        second = loop.create_task(coro)

        async def main():
            result = await first
            try:
                await second
            except RuntimeError as error:
                return result, str(error)
            return result, "the second task did not fail"

        result, error = loop.run_until_complete(main())
        assert result == "child", make.__name__
        assert "another task" in error, make.__name__
        assert first.done() and second.done()
    assert_healthy(loop)


def test_a_finished_coroutine_cannot_run_again(loop):
    """Refused at the call, or its task fails at once with Python's own ``RuntimeError``
    ("cannot reuse already awaited coroutine"); it never completes as if it had run."""
    coro = a_coroutine_function()
    assert loop.run_until_complete(coro) == 1
    with pytest.raises(RuntimeError, match="already"):
        loop.run_until_complete(coro)
    assert_healthy(loop)


class Boom(Exception):
    pass


@pytest.mark.parametrize("bad", [5, "boom", None, StopIteration(), StopIteration, int])
def test_future_set_exception_refuses_what_is_not_an_exception(loop, bad):
    """Not an exception, or a ``StopIteration`` (which generators turn into a return):
    ``TypeError`` at the call, and the future stays pending (as asyncio's)."""
    if not hasattr(loop, "create_future"):
        pytest.skip(f"{loop.name} has no create_future()")
    future = loop.create_future()
    with pytest.raises(TypeError):
        future.set_exception(bad)
    assert not future.done()
    future.set_result("still usable")
    assert loop.run_until_complete(future) == "still usable"


def test_future_set_exception_instantiates_an_exception_class(loop):
    if not hasattr(loop, "create_future"):
        pytest.skip(f"{loop.name} has no create_future()")
    future = loop.create_future()
    future.set_exception(Boom)
    assert isinstance(future.exception(), Boom)
    with pytest.raises(Boom):
        loop.run_until_complete(future)


@pytest.mark.parametrize("bad", [5, "virtual", object(), impls.VirtualClock])
def test_create_refuses_a_clock_that_is_not_a_clock(impl, bad):
    with pytest.raises(TypeError, match="clock"):
        impls.create(impl, clock=bad)
    loop = impls.create(impl, clock=impls.VirtualClock())
    try:
        assert_healthy(loop)
    finally:
        loop.close()


def test_plain_generators_are_tasks_only_where_declared(loop):
    if "generators" in loop.capabilities:
        assert loop.run_until_complete(a_generator()) is None
    else:
        gen = a_generator()
        with pytest.raises(TypeError, match="generator"):
            loop.create_task(gen)
    assert_healthy(loop)


def test_every_use_of_a_closed_loop_is_a_runtime_error(loop):
    loop.close()
    assert loop.is_closed()
    loop.close()                                   # idempotent
    refused = [a_coroutine_function(), a_coroutine_function()]
    calls = {
        "call_soon": lambda: loop.call_soon(print),
        "call_later": lambda: loop.call_later(1, print),
        "call_at": lambda: loop.call_at(1, print),
        "call_soon_threadsafe": lambda: loop.call_soon_threadsafe(print),
        "run_forever": loop.run_forever,
        "run_until_complete": lambda: loop.run_until_complete(refused[0]),
        "create_task": lambda: loop.create_task(refused[1]),
        "sleep": lambda: loop.sleep(1),
    }
    for name, call in calls.items():
        with pytest.raises(RuntimeError, match="closed"):
            call()
    # A refused coroutine is closed, so Python does not warn that it was never awaited.
    assert all(coro.cr_frame is None for coro in refused)


def test_run_forever_while_running_is_a_runtime_error(loop, errors):
    def reenter():
        loop.run_forever()

    run_soon(loop, reenter)
    assert [type(c["exception"]) for c in errors] == [RuntimeError]
    assert "already running" in str(errors[0]["exception"])
    assert_healthy(loop)


def test_run_until_complete_inside_a_task_is_a_runtime_error(loop):
    async def inner():
        return 1

    async def outer():
        coro = inner()
        try:
            loop.run_until_complete(coro)
        finally:
            assert coro.cr_frame is None           # refused, and closed

    with pytest.raises(RuntimeError, match="already running"):
        loop.run_until_complete(outer())
    assert_healthy(loop)


def test_close_while_running_is_a_runtime_error(loop, errors):
    run_soon(loop, loop.close)
    assert [type(c["exception"]) for c in errors] == [RuntimeError]
    assert not loop.is_closed()
    assert_healthy(loop)


def test_running_a_second_loop_inside_a_running_loop_is_a_runtime_error(loop, impl, errors):
    import impls

    other = impls.create(impl, clock=impls.VirtualClock())
    try:
        def nested():
            other.call_soon(other.stop)
            other.run_forever()

        run_soon(loop, nested)
        assert [type(c["exception"]) for c in errors] == [RuntimeError]
        assert "another loop" in str(errors[0]["exception"])
    finally:
        other.close()
    assert_healthy(loop)

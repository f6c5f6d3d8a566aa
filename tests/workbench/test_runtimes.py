"""Every runtime keeps the contract of ``harness.runtime``, checked through the neutral interface only.

The tests cover our loops, asyncio/uvloop and the peer adapters, all in the same way.
An operation a runtime reports as unsupported (``rt.how(op) == "unsupported"``) must
raise ``Unsupported``; the test checks that rather than skipping. Where runtimes
legitimately differ (FIFO for equal ``call_at`` deadlines, wake order, what a task
group raises), that is a scenario finding, not asserted here.

Delays are real and short (at most 20 ms), and nothing asserts a duration. Waits for
callbacks poll (``poll_until``), so a slow machine makes a test slower, not flaky.
"""

from __future__ import annotations

import pytest

from harness import runtimes
from harness.runtime import EMULATED, NATIVE, UNSUPPORTED, Cancelled, Unavailable, Unsupported

LONG = 5.0        # a sleep that is always cancelled long before it ends
POLL = 0.002
POLL_LIMIT = 5.0

#: Every operation of the interface (the keys a ``support`` table may use).
OPERATIONS = {"run", "now", "sleep", "spawn", "join", "cancel", "is_cancellation", "call_soon",
              "call_at", "call_later", "run_forever", "stop", "event", "lock", "queue", "timeout",
              "group_errors", "gather_errors", "call_soon_threadsafe"}


@pytest.fixture(params=runtimes.names())
def rt(request):
    try:
        return runtimes.create(request.param)
    except Unavailable as exc:          # e.g. uvloop on Windows
        pytest.skip(str(exc))


async def poll_until(rt, condition) -> None:
    """Sleep in short steps until ``condition()`` holds (how callbacks are awaited here)."""
    for _ in range(int(POLL_LIMIT / POLL)):
        if condition():
            return
        await rt.sleep(POLL)
    raise AssertionError(f"{rt.name}: condition not reached within {POLL_LIMIT} s")


def ran_unsupported(rt, main, *ops) -> bool:
    """If ``rt`` reports one of ``ops`` unsupported, check that running ``main`` raises Unsupported; say whether it did."""
    if not any(rt.how(op) == UNSUPPORTED for op in ops):
        return False
    with pytest.raises(Unsupported):
        rt.run(main)
    return True


# ------------------------------------------------------------------ the table
def test_support_table_names_known_operations_and_statuses(rt):
    assert set(rt.support) <= OPERATIONS
    assert set(rt.support.values()) <= {NATIVE, EMULATED, UNSUPPORTED}


# ------------------------------------------------------------------ lifecycle
def test_run_returns_main_result(rt):
    async def main():
        await rt.sleep(0)
        return "result"
    assert rt.run(main) == "result"


def test_run_raises_mains_own_exception(rt):
    async def main():
        await rt.sleep(0)
        raise KeyError("from main")
    with pytest.raises(KeyError, match="from main"):
        rt.run(main)


def test_run_ends_when_main_returns(rt):
    """Neither a pending timer nor a sleeping child keeps the run going after main returns."""
    fired = []

    async def sleeper():
        await rt.sleep(LONG)
        fired.append("child")

    async def main():
        rt.call_later(LONG, fired.append, "timer")
        rt.spawn(sleeper)
        await rt.sleep(0)
        return "done"
    if ran_unsupported(rt, main, "call_later"):
        return
    assert rt.run(main) == "done"
    assert fired == []


# ------------------------------------------------------------------ tasks
def test_sleep_orders_two_spawned_tasks(rt):
    trace = []

    async def sleeper(label, seconds):
        await rt.sleep(seconds)
        trace.append(label)

    async def main():
        slow = rt.spawn(sleeper, "slow", 0.015)
        fast = rt.spawn(sleeper, "fast", 0.005)
        await rt.join(slow)
        await rt.join(fast)
    rt.run(main)
    assert trace == ["fast", "slow"]


def test_join_returns_the_result(rt):
    async def child(x):
        await rt.sleep(0.001)
        return x * 2

    async def main():
        return await rt.join(rt.spawn(child, 21))
    assert rt.run(main) == 42


def test_join_reraises_the_childs_error_and_the_run_goes_on(rt):
    async def child():
        await rt.sleep(0.001)
        raise ValueError("boom")

    async def main():
        ref = rt.spawn(child)
        with pytest.raises(ValueError, match="boom"):
            await rt.join(ref)
        await rt.sleep(0.001)            # a failed child must not have ended the run
        return "still running"
    assert rt.run(main) == "still running"


def test_cancel_then_join_raises_cancelled_after_the_childs_finally(rt):
    seen = []

    async def child():
        try:
            await rt.sleep(LONG)
        except BaseException as exc:
            seen.append(rt.is_cancellation(exc))
            raise
        finally:
            seen.append("finally")

    async def main():
        ref = rt.spawn(child)
        await rt.sleep(0.005)            # let the child reach its sleep
        rt.cancel(ref)
        with pytest.raises(Cancelled):
            await rt.join(ref)
    if ran_unsupported(rt, main, "cancel"):
        return
    rt.run(main)
    assert seen == [True, "finally"]


def test_cancel_before_the_child_ran_then_join_raises_cancelled(rt):
    async def child():
        await rt.sleep(LONG)

    async def main():
        ref = rt.spawn(child)
        rt.cancel(ref)
        with pytest.raises(Cancelled):
            await rt.join(ref)
    if ran_unsupported(rt, main, "cancel"):
        return
    rt.run(main)


def test_is_cancellation_rejects_an_ordinary_error(rt):
    async def main():
        return rt.is_cancellation(ValueError("not a cancellation"))
    assert rt.run(main) is False


# ------------------------------------------------------------------ callbacks
def test_call_soon_runs_callbacks_in_order(rt):
    fired = []

    async def main():
        for i in range(5):
            rt.call_soon(fired.append, i)
        await poll_until(rt, lambda: len(fired) == 5)
    if ran_unsupported(rt, main, "call_soon"):
        return
    rt.run(main)
    assert fired == [0, 1, 2, 3, 4]


def test_call_at_distinct_deadlines_fire_in_deadline_order(rt):
    fired = []

    async def main():
        start = rt.now()
        for delay in (0.015, 0.010, 0.005):          # scheduled latest-first
            rt.call_at(start + delay, fired.append, delay)
        await poll_until(rt, lambda: len(fired) == 3)
    if ran_unsupported(rt, main, "call_at"):
        return
    rt.run(main)
    assert fired == [0.005, 0.010, 0.015]


def test_call_later_handle_cancel_prevents_firing(rt):
    fired = []

    async def main():
        handle = rt.call_later(0.005, fired.append, "cancelled")
        rt.call_later(0.010, fired.append, "kept")
        handle.cancel()
        await poll_until(rt, lambda: "kept" in fired)
        await rt.sleep(0.010)
    if ran_unsupported(rt, main, "call_later"):
        return
    rt.run(main)
    assert fired == ["kept"]


def test_run_forever_runs_until_stop_or_is_unsupported(rt):
    fired = []

    def setup():
        rt.call_soon(fired.append, "ran")
        rt.call_soon(rt.stop)

    if rt.how("run_forever") == UNSUPPORTED:
        with pytest.raises(Unsupported):
            rt.run_forever(setup)
        return
    rt.run_forever(setup)
    assert fired == ["ran"]


# ------------------------------------------------------------------ synchronisation
def test_event_wakes_a_waiting_task(rt):
    trace = []

    async def main():
        event = rt.event()

        async def waiter():
            await event.wait()
            trace.append("woke")

        ref = rt.spawn(waiter)
        await rt.sleep(0.005)
        trace.append(("set before", event.is_set()))
        event.set()
        trace.append(("set after", event.is_set()))
        await rt.join(ref)
    rt.run(main)
    assert trace == [("set before", False), ("set after", True), "woke"]


def test_event_set_by_a_task_that_ends_at_once_wakes_the_waiter(rt):
    """The setter makes its plain call and ends without awaiting again, while main is suspended
    in join: nothing else can hand the set() to the loop (curio's adapter must issue it at task end)."""
    async def main():
        event = rt.event()

        async def waiter():
            await event.wait()
            return "woke"

        async def setter():
            event.set()

        waiting = rt.spawn(waiter)
        rt.spawn(setter)
        return await rt.join(waiting)
    assert rt.run(main) == "woke"


def test_lock_gives_mutual_exclusion(rt):
    inside, most_inside, done = [0], [0], []

    async def main():
        lock = rt.lock()

        async def worker(label):
            async with lock:
                inside[0] += 1
                most_inside[0] = max(most_inside[0], inside[0])
                await rt.sleep(0.002)
                inside[0] -= 1
            done.append(label)

        refs = [rt.spawn(worker, i) for i in range(3)]
        for ref in refs:
            await rt.join(ref)
    rt.run(main)
    assert most_inside == [1]
    assert sorted(done) == [0, 1, 2]


def test_queue_passes_items_in_order_from_producer_to_consumer(rt):
    received = []

    async def main():
        queue = rt.queue(2)

        async def producer():
            for i in range(10):
                await queue.put(i)

        async def consumer():
            for _ in range(10):
                received.append(await queue.get())

        refs = [rt.spawn(consumer), rt.spawn(producer)]
        for ref in refs:
            await rt.join(ref)
    if ran_unsupported(rt, main, "queue"):
        return
    rt.run(main)
    assert received == list(range(10))


def test_queue_of_size_zero_is_unbounded(rt):
    async def main():
        queue = rt.queue()                           # default 0: unbounded, as in asyncio
        for i in range(5):
            await queue.put(i)                       # would block forever on a rendezvous channel
        return [await queue.get() for _ in range(5)]
    if ran_unsupported(rt, main, "queue"):
        return
    assert rt.run(main) == [0, 1, 2, 3, 4]


# ------------------------------------------------------------------ timeouts and groups
def test_timeout_raises_timeout_error_after_cancelling_its_body(rt):
    seen = []

    async def main():
        if rt.how("timeout") == UNSUPPORTED:
            with pytest.raises(Unsupported):
                async with rt.timeout(0.005):
                    await rt.sleep(LONG)
            return
        with pytest.raises(TimeoutError):
            async with rt.timeout(0.005):
                try:
                    await rt.sleep(LONG)
                except BaseException as exc:
                    seen.append(rt.is_cancellation(exc))
                    raise
        seen.append("after")
    rt.run(main)
    if rt.how("timeout") != UNSUPPORTED:
        assert seen == [True, "after"]


def test_timeout_that_does_not_expire_changes_nothing(rt):
    async def main():
        if rt.how("timeout") == UNSUPPORTED:
            with pytest.raises(Unsupported):
                async with rt.timeout(1.0):
                    pass
            return "unsupported"
        async with rt.timeout(1.0):
            await rt.sleep(0.001)
        return "finished"
    assert rt.run(main) in {"finished", "unsupported"}


@pytest.mark.parametrize("op", ["group_errors", "gather_errors"])
def test_error_collection_reports_what_the_parent_saw(rt, op):
    async def sleeper():
        await rt.sleep(LONG)

    async def fails_soon():
        await rt.sleep(0.002)
        raise ValueError("child failed")

    async def main():
        collect = getattr(rt, op)
        if rt.how(op) == UNSUPPORTED:
            with pytest.raises(Unsupported):
                await collect([fails_soon, sleeper])
            return None
        return await collect([fails_soon, sleeper])

    report = rt.run(main)
    if rt.how(op) != UNSUPPORTED:
        assert isinstance(report, dict) and "raised" in report

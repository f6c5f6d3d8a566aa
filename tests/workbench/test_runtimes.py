"""Every runtime keeps the contract of ``harness.runtimes.interface``, checked through the neutral interface only.

The tests cover our loops, asyncio/uvloop and the peer adapters, all in the same way.
An operation a runtime reports as unsupported (``rt.how(op) == "unsupported"``) must
raise ``Unsupported``; the test checks that rather than skipping. Where runtimes
legitimately differ (FIFO for equal ``call_at`` deadlines, wake order, what a task
group raises), that is a scenario finding, not asserted here.

Delays are real and short (at most 20 ms), and nothing asserts a duration. Waits for
callbacks poll (``poll_until``), so a slow machine makes a test slower, not flaky.
"""

from __future__ import annotations

import types

import pytest

from harness import runtimes
from harness.runtimes.interface import EMULATED, NATIVE, UNSUPPORTED, Cancelled, Unavailable, Unsupported
from harness.runtimes.interface import OPERATIONS as OPERATION_ORDER
from impls import VirtualClock

LONG = 5.0        # a sleep that is always cancelled long before it ends
POLL = 0.002
POLL_LIMIT = 5.0

#: Every operation of the interface (the keys a ``support`` table may use).
OPERATIONS = {"run", "now", "sleep", "spawn", "join", "cancel", "is_cancellation", "call_soon",
              "call_at", "call_later", "run_forever", "stop", "event", "lock", "queue", "timeout",
              "group_errors", "gather_errors", "call_soon_threadsafe", "task_group", "sleep_until",
              "open_stream", "serve_echo", "serve_echo_protocol"}



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


# ------------------------------------------------------------------ labels: how each operation maps
def test_operations_say_how_each_operation_maps_and_label_every_emulation(rt):
    table = rt.operations()
    assert set(OPERATION_ORDER) == OPERATIONS and tuple(table) == OPERATION_ORDER
    assert set(rt.notes) <= OPERATIONS, f"{rt.name}: notes for unknown operations"
    for op, row in table.items():
        assert row["how"] == rt.how(op)
        if row["how"] == EMULATED:
            assert row["note"].strip(), f"{rt.name}: {op} is emulated but does not say what was built"


def test_trio_call_soon_is_labelled_as_run_sync_soon():
    rt = runtimes.create("trio")
    for op in ("call_soon", "call_soon_threadsafe"):
        assert "TrioToken.run_sync_soon" in rt.operations()[op]["note"]
        assert "thread-safe" in rt.operations()[op]["note"]


# ------------------------------------------------------------------ the control for emulations
def test_controls_are_marked_and_emulate_what_the_peers_emulate():
    assert runtimes.CONTROLS
    peer_emulated = set()
    for name in runtimes.PEERS:
        try:
            peer = runtimes.create(name)
        except Unavailable:
            continue
        assert peer.control is False
        peer_emulated |= {op for op in ("call_soon", "call_at", "call_later") if peer.how(op) == EMULATED}
    for name in runtimes.CONTROLS:
        control = runtimes.create(name)
        assert control.control is True
        emulated = {op for op, row in control.operations().items() if row["how"] == EMULATED}
        assert emulated == peer_emulated == {"call_soon", "call_at", "call_later"}


def test_asyncio_emulated_runs_callbacks_in_the_service_task_not_on_the_loop():
    """asyncio runs a plain callback outside any task; the control runs it in its service task."""
    import asyncio

    def seen_from(name):
        rt = runtimes.create(name)
        where = []

        async def main():
            rt.call_soon(lambda: where.append(asyncio.current_task()))
            rt.call_at(rt.now(), lambda: where.append(asyncio.current_task()))
            await poll_until(rt, lambda: len(where) == 2)
            return asyncio.current_task()
        main_task = rt.run(main)
        return where, main_task

    native, _ = seen_from("asyncio")
    assert native == [None, None]
    emulated, main_task = seen_from("asyncio-emulated")
    assert emulated[0] is not None and emulated[0] is emulated[1] and emulated[0] is not main_task


def test_asyncio_emulated_ends_the_run_with_a_raising_callbacks_error_even_when_a_child_scheduled_it():
    rt = runtimes.create("asyncio-emulated")

    class Boom(Exception):
        pass

    def boom():
        raise Boom("from a callback")

    async def child():
        rt.call_soon(boom)
        await rt.sleep(LONG)

    seen = []

    async def main():
        rt.spawn(child)
        try:
            await rt.sleep(LONG)
        except BaseException as exc:
            seen.append(rt.is_cancellation(exc))
            raise

    with pytest.raises(Boom):
        rt.run(main)
    assert seen == [True]                 # main itself was cancelled, not the child that scheduled it


# ------------------------------------------------------------------ the callback service, on a virtual clock
class StepWakeup:
    """A Wakeup that hands control back to the test at every wait: one ``step()`` is one round."""

    def __init__(self) -> None:
        self.woken, self.waits = 0, []

    def wake(self) -> None:
        self.woken += 1

    async def pause(self) -> None:
        self.waits.append("pause")
        await _suspend()

    async def wait(self, deadline) -> None:
        self.waits.append(deadline)
        await _suspend()


@types.coroutine
def _suspend():
    yield


@pytest.fixture
def service():
    from harness.runtimes.emulation import CallbackService

    clock, wakeup = VirtualClock(), StepWakeup()
    svc = CallbackService(clock.time, wakeup)
    svc.clock, svc.wakeup, svc.task = clock, wakeup, svc.serve()
    svc.task.send(None)                               # the service waits for its first work
    return svc


def step(svc) -> None:
    svc.task.send(None)                               # one round, then the service waits again


def test_service_runs_a_round_then_what_that_round_scheduled(service):
    fired = []

    def first(label):
        fired.append(label)
        service.call_soon(fired.append, f"after {label}")

    for label in ("a", "b"):
        service.call_soon(first, label)
    assert service.wakeup.woken == 2 and fired == []
    step(service)
    assert fired == ["a", "b"]                        # what a and b scheduled waits for the next round
    step(service)
    assert fired == ["a", "b", "after a", "after b"]


def test_service_fires_due_timers_by_deadline_then_arming_order_and_waits_for_the_next(service):
    fired = []
    for when, label in ((2.0, "2 first"), (1.0, "1"), (2.0, "2 second"), (3.0, "3")):
        service.call_at(when, fired.append, label)
    assert service.wakeup.waits == [None]             # nothing was armed when it began to wait
    step(service)
    assert fired == [] and service.wakeup.waits[-1] == 1.0
    service.clock.jump_to(2.0)
    step(service)
    assert fired == ["1", "2 first", "2 second"]
    assert service.wakeup.waits[-1] == 3.0


def test_service_never_runs_a_cancelled_callback_and_compacts_cancelled_timers(service):
    fired = []
    service.call_soon(fired.append, "soon").cancel()
    for i in range(1000):
        service.call_at(10.0 + i, fired.append, i).cancel()
    kept = service.call_at(5.0, fired.append, "kept")
    service.clock.jump_to(2000.0)
    step(service)
    step(service)
    assert fired == ["kept"]
    assert kept.cancelled() is False
    assert len(service._timers) < 200                 # cancelled timers do not pile up


def test_service_lets_a_raising_callback_end_the_service(service):
    class Boom(Exception):
        pass

    def boom():
        raise Boom("from a callback")

    fired = []
    service.call_soon(boom)
    service.call_soon(fired.append, "never")
    with pytest.raises(Boom):
        step(service)
    assert fired == []

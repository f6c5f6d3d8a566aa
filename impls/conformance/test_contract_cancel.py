"""Contract clause 3: a cancelled handle never runs; cancelling timers does not leak."""

import gc
import tracemalloc

from impls.conformance.helpers import run_soon
import pytest

pytestmark = pytest.mark.contract(3)


def test_a_cancelled_callback_never_runs(loop):
    ran = []
    handle = loop.call_soon(ran.append, "cancelled")
    loop.call_soon(ran.append, "kept")
    handle.cancel()
    assert handle.cancelled()
    run_soon(loop)
    assert ran == ["kept"]


def test_a_cancelled_timer_never_runs(loop):
    ran = []
    timer = loop.call_later(1, ran.append, "cancelled")
    loop.call_later(1, ran.append, "kept")
    timer.cancel()
    loop.call_later(2, loop.stop)
    loop.run_forever()
    assert ran == ["kept"]


def test_cancelling_a_callback_later_in_the_same_iteration_stops_it(loop):
    ran = []
    victim = None

    def killer():
        ran.append("killer")
        victim.cancel()

    loop.call_soon(killer)
    victim = loop.call_soon(ran.append, "victim")
    run_soon(loop)
    assert ran == ["killer"]


def test_cancelling_a_due_timer_from_an_earlier_due_timer_stops_it(loop):
    ran = []
    victims = []

    def killer():
        ran.append("killer")
        victims[0].cancel()

    loop.call_at(1, killer)
    victims.append(loop.call_at(1, ran.append, "victim"))
    loop.call_at(1, ran.append, "after")
    loop.call_at(2, loop.stop)
    loop.run_forever()
    assert ran == ["killer", "after"]


def test_cancel_is_idempotent_and_harmless_after_the_callback_ran(loop):
    ran = []
    handle = loop.call_soon(ran.append, 1)
    timer = loop.call_later(0, ran.append, 2)
    run_soon(loop)
    handle.cancel()
    handle.cancel()
    timer.cancel()
    timer.cancel()
    run_soon(loop)
    assert ran == [1, 2]
    assert handle.cancelled() and timer.cancelled()


def test_surviving_timers_fire_in_order_after_heavy_cancellation(loop):
    fired = []
    timers = [loop.call_at(1 + (i % 50) / 10, fired.append, i) for i in range(3000)]
    for i, timer in enumerate(timers):
        if i % 3:
            timer.cancel()                  # cancel two thirds: enough to trigger compaction
    loop.call_at(10, loop.stop)
    loop.run_forever()
    kept = [i for i in range(3000) if i % 3 == 0]
    assert sorted(fired) == kept
    assert fired == sorted(kept, key=lambda i: (1 + (i % 50) / 10, i))


def _memory_growth(action) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        action()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_arming_and_cancelling_100k_timers_leaves_memory_bounded(loop):
    payload = bytes(100)                    # something for a leaked timer to hold on to

    def churn():
        for _ in range(100_000):
            loop.call_later(60, len, payload).cancel()

    growth = _memory_growth(churn)
    # A leak keeps ~100k handles (well over 10 MB); a bounded loop keeps a few hundred.
    assert growth < 1_000_000, f"{growth} bytes still held after 100k arm+cancel"
    fired = []
    loop.call_later(1, fired.append, "still works")
    loop.call_later(2, loop.stop)
    loop.run_forever()
    assert fired == ["still works"]


def test_arm_and_cancel_churn_inside_a_running_loop_is_bounded(loop):
    async def churn():
        for round_ in range(100):
            for _ in range(1000):
                loop.call_later(60, len, b"").cancel()
            await loop.sleep(0)

    growth = _memory_growth(lambda: loop.run_until_complete(churn()))
    assert growth < 1_000_000, f"{growth} bytes still held after 100k arm+cancel"

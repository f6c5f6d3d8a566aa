"""call_soon_threadsafe under load: 8 threads x 10k callbacks on the real clock.

Every callback must run exactly once, on the loop's thread, and each producer's
callbacks in the order that producer scheduled them. A loop that cannot be woken
from another thread (no ``"threadsafe"`` capability) is kept awake by a heartbeat
timer, as its documentation says it must be.
"""

import threading

import pytest

pytestmark = pytest.mark.contract(8)

THREADS = 8
PER_THREAD = 10_000


@pytest.mark.timeout(60)
def test_eight_threads_of_call_soon_threadsafe_each_callback_runs_once_on_the_loop_thread(real_loop):
    loop = real_loop
    runs: list[tuple[int, int, int]] = []          # (producer, index, thread that ran it)
    total = THREADS * PER_THREAD
    start = threading.Barrier(THREADS + 1)

    def record(producer, index):
        runs.append((producer, index, threading.get_ident()))
        if len(runs) == total:
            loop.stop()

    def producer(p):
        start.wait()
        for i in range(PER_THREAD):
            loop.call_soon_threadsafe(record, p, i)

    if "threadsafe" not in loop.capabilities:
        def heartbeat():
            loop.call_later(0.001, heartbeat)
        heartbeat()

    threads = [threading.Thread(target=producer, args=(p,)) for p in range(THREADS)]
    for t in threads:
        t.start()
    loop_thread = []
    loop.call_soon(lambda: (loop_thread.append(threading.get_ident()), start.wait()))
    loop.run_forever()
    for t in threads:
        t.join()

    assert len(runs) == total
    assert {thread for _, _, thread in runs} == {loop_thread[0]}
    assert len({(p, i) for p, i, _ in runs}) == total            # exactly once each
    for p in range(THREADS):
        assert [i for q, i, _ in runs if q == p] == list(range(PER_THREAD))


@pytest.mark.timeout(30)
def test_an_idle_loop_is_woken_by_another_thread_or_says_it_cannot_be(real_loop):
    """With no timer armed, only another thread can wake the loop.

    A ``"threadsafe"`` loop must be woken by ``call_soon_threadsafe``; any other loop
    must fail with a clear ``RuntimeError`` instead of sleeping forever.
    """
    loop = real_loop
    woke = []
    ready = threading.Event()

    def poke():
        ready.wait()
        loop.call_soon_threadsafe(lambda: (woke.append(True), loop.stop()))

    thread = threading.Thread(target=poke)
    thread.start()
    loop.call_soon(ready.set)
    try:
        if "threadsafe" in loop.capabilities:
            loop.run_forever()
            assert woke == [True]
        else:
            with pytest.raises(RuntimeError, match="woken"):
                loop.run_forever()
    finally:
        thread.join()

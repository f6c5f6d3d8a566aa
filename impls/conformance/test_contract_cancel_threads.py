"""Contract clause 9: ``cancel()`` from another thread, on the real clock.

The loop thread arms batches of timers that share a deadline a few milliseconds
ahead; another thread cancels three of every four as they come, racing the loop as
it moves due timers to its ready queue. The switch interval is shortened for the
test so that the two threads interleave often. Whatever the interleaving:

* no timer runs twice, and every timer nobody cancelled runs once;
* a timer whose ``cancel()`` returned before its deadline (by ``loop.time()``, read
  after the call returned) never runs: the loop cannot have taken it yet;
* a cancel that races the timer's run either stops it or comes too late, and the
  loop reports nothing to its exception handler.
"""

import collections
import queue
import sys
import threading

import pytest

pytestmark = pytest.mark.contract(9)

ROUNDS = 150
BATCH = 400
#: Seconds between a batch's arming and its deadline, and between two batches.
AHEAD = 0.002
PERIOD = 0.001


@pytest.mark.timeout(60)
def test_cancel_from_another_thread_never_runs_a_timer_twice_or_after_an_early_cancel(real_loop):
    loop = real_loop
    runs: collections.Counter = collections.Counter()
    errors: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    batches: queue.SimpleQueue = queue.SimpleQueue()
    armed: list[int] = []
    cancelled_early: list[int] = []          # cancel() returned before the deadline
    rounds = iter(range(ROUNDS))

    def fire(i):
        runs[i] += 1

    def arm_batch():
        r = next(rounds, None)
        if r is None:
            batches.put(None)
            loop.call_later(10 * AHEAD, loop.stop)
            return
        when = loop.time() + AHEAD
        batch = [(i, loop.call_at(when, fire, i)) for i in range(r * BATCH, (r + 1) * BATCH)]
        armed.extend(i for i, _ in batch)
        batches.put(batch)
        loop.call_later(PERIOD, arm_batch)

    def canceller():
        while (batch := batches.get()) is not None:
            for i, timer in batch:
                if i % 4:
                    timer.cancel()
                    if loop.time() < timer.when():
                        cancelled_early.append(i)

    thread = threading.Thread(target=canceller)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    thread.start()
    try:
        loop.call_soon(arm_batch)
        loop.run_forever()
    finally:
        batches.put(None)
        thread.join()
        sys.setswitchinterval(switch)

    assert len(armed) == ROUNDS * BATCH
    twice = sorted(i for i, n in runs.items() if n > 1)
    assert twice == [], f"{len(twice)} timers ran more than once, e.g. {twice[:5]}"
    never = [i for i in armed if i % 4 == 0 and runs[i] != 1]
    assert never == [], f"{len(never)} timers nobody cancelled did not run, e.g. {never[:5]}"
    late = [i for i in cancelled_early if runs[i]]
    assert late == [], f"{len(late)} timers ran although cancel() returned before their deadline"
    assert errors == []

"""Timer churn against the number of timers armed: where the wheel overtakes the heap, if it does.

The heap's push is O(log n), the wheel's O(1) (``impls/contrib/timingwheel.py``), but
the heap's log n runs in C (``heapq``) and the wheel's constant in bytecode. So the
question is a crossover: from how many armed timers on does the wheel arm and cancel
faster? One group per N (``arm+cancel churn with N armed``), two rows: the ``heap``
and ``wheel`` loops. The report draws both against N on a log axis and marks the
first N from which the wheel stays ahead (``harness/report/targets.py``, ``churn_crossover``).

**One round** (timed): ``PAIRS`` deadlines armed with ``loop.call_at`` and each
cancelled right after (timeouts that never fire), on a loop that already holds N live
timers. Per pair: the contract's ``call_at`` (its checks, a ``TimerHandle``, the
store's push) and ``cancel()`` (a flag, the store's count; a store compacts when
cancelled timers outnumber live ones, which with N >= PAIRS live never happens inside
a round, and below it is amortised as in every loop).

**The timers already armed** (untimed, once per row, before the warmup round): N
timers at deadlines uniform over [LONG, 2 LONG) seconds, the churned ones uniform
over [SHORT, 2 SHORT): idle-connection timeouts held by a server while its request
deadlines come and go, each new deadline earlier than every armed one. That is the
heap's harder case (a new entry climbs past the long ones towards the top: up to
log2 N comparisons; once the churned deadlines, cancelled but still stored, fill the
top, only past those later than itself) and the wheel's usual one (a list append on a
coarser level).
With deadlines all alike (the ``arm+cancel churn`` workload: every new timer the
latest), a heap push climbs nowhere and costs O(1), and no crossover is possible.

The clock is virtual (``impls.VirtualClock``), so "an hour ahead" is exact and
nothing fires. The loop is not run: only arming and cancelling are measured, through
the public contract. ``extra_info``: ``runtime``, ``family``, ``armed`` (N),
``ops_per_round`` (``PAIRS``), ``unit`` "timers armed+cancelled".
"""

from __future__ import annotations

import gc
import platform
import random

import pytest

import impls
from harness.execution import profile
from harness import runtimes
from harness.execution.profile import pick
from impls.clock import VirtualClock

#: Timers armed before measuring, per group: 1k to 100k, a decade apart; 1M in the rigorous
#: profile (arming and holding a million timers costs the default bench half a minute), where
#: the wheel overtakes the heap (about 1.7x at 1M on a 2-core VM; the heap leads up to 100k).
ARMED = pick(default=(1_000, 10_000, 100_000), quick=(1_000, 10_000, 100_000),
             rigorous=(1_000, 10_000, 100_000, 1_000_000))
#: Pairs (arm, cancel) per timed round.
PAIRS = pick(default=20_000, quick=5_000)
ROUNDS = pick(default=3, quick=3)
STORES = ("heap", "wheel")
#: Seconds ahead: the armed timers (idle timeouts) and the churned ones (request deadlines).
LONG, SHORT = 600.0, 5.0
WORKLOAD = "timers.churn_with_armed"


def _nothing() -> None:
    pass


def _loop_with_armed(name: str, n: int):
    loop = impls.create(name, clock=VirtualClock())
    rng = random.Random(n)
    call_at = loop.call_at
    for _ in range(n):
        call_at(LONG + LONG * rng.random(), _nothing)
    return loop


@pytest.mark.parametrize("name", STORES, ids=STORES)
@pytest.mark.parametrize("armed", ARMED, ids=[f"{n}" for n in ARMED])
def test_churn_with_armed(benchmark, collect, armed, name):
    loop = _loop_with_armed(name, armed)
    rng = random.Random(-armed)
    deadlines = [SHORT + SHORT * rng.random() for _ in range(PAIRS)]
    stored = len(loop._timers)                   # what the store holds before any churn

    def one_round():
        call_at = loop.call_at
        for when in deadlines:
            call_at(when, _nothing).cancel()
        return len(loop._timers)

    rt = runtimes.create(name)
    benchmark.group = f"arm+cancel churn with N armed (N={armed:,})"
    benchmark.extra_info.update(workload=WORKLOAD, runtime=name, family=rt.family, version=rt.version(),
                                armed=armed, ops_per_round=PAIRS, unit="timers armed+cancelled",
                                profile=profile.current(), python=platform.python_version())
    try:
        benchmark.pedantic(one_round, setup=collect, rounds=ROUNDS, warmup_rounds=1, iterations=1)
        # Checked: the armed timers are all still there and live; the churn is bounded.
        assert stored == armed
        live = len(loop._timers) - loop._timers.cancelled
        assert live == armed, f"{name}: {live} live timers after the churn, expected {armed}"
    finally:
        loop.close()
        loop = None          # the armed timers freed before the next size, not kept by one_round
        gc.collect()

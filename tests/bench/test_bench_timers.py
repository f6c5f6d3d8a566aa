"""Timers: N scheduled and fired; and arm+cancel churn.

**Scheduled and fired** (one group per N: 1k, 10k, 100k; the quick profile uses
1k, 10k, 20k): inside a running loop, arm N timers with ``call_at`` at seeded random
deadlines spread over 1 ms after ``now()``, then wait (one event, set by the N-th
firing) until all have fired. From 10k timers on, arming takes far longer than the
1 ms window, so every deadline has passed when the loop first looks: the measure is
the work of storing N deadlines and firing them in deadline order (a heap's O(log n)
push and pop; the list loop's scans: its O(n)-per-tick design costs little here,
because it fires all N in about 4 iterations). At N=1k arming takes about a
millisecond, so up to ~1 ms of that round is waiting for the last deadline, the same
for everyone: read the 1k group as "small-N overhead", not as a rate. The offsets are
drawn once per N from ``random.Random(N)``, outside the timing: every runtime gets the
same deadlines. Rate: ``ops_per_round / median`` = timers/s (wall time).

**Arm+cancel churn**: inside a running loop, arm M timers an hour away (seeded
random deadlines within one second) and cancel each right after arming it (the
pattern of timeouts that never fire), then yield once with ``sleep(0)``, so a loop
that cleans cancelled timers lazily, at its next iteration (asyncio rebuilds its heap
there), pays for it inside the measure. Rate: ``ops_per_round / median`` =
arm+cancel pairs/s.

Fair across libraries: the same deadlines and callbacks everywhere. trio, curio and
anyio have no public ``call_at``; their adapters build it from the library's own
primitives (a timer task) and ``extra_info["emulated"]`` says so. On our loops the
completion event is built from loop futures (emulated), used once per round.
"""

from __future__ import annotations

import random

from harness.profile import pick

WINDOW = 0.001                                   # deadlines within 1 ms of arming
#: N for the three schedule+fire groups (small, medium, large).
SMALL, MEDIUM, LARGE = pick(default=(1_000, 10_000, 100_000), quick=(1_000, 10_000, 20_000))
#: Rounds for the LARGE group, whose rounds are the longest of the suite: fewer rounds and
#: no warmup round (100k timers warm themselves up), the same for every runtime (the
#: workload is never changed per runtime).
LARGE_ROUNDS = pick(default=3, quick=2)

M = pick(default=50_000, quick=10_000)
FAR = 3600.0                                     # churn deadlines: an hour away


def _nothing():
    pass


def _schedule_and_fire(rt, measure, n):
    rng = random.Random(n)
    offsets = [rng.uniform(0, WINDOW) for _ in range(n)]

    async def main():
        done = rt.event()
        fired = [0]

        def fire():
            fired[0] += 1
            if fired[0] == n:
                done.set()

        call_at = rt.call_at
        base = rt.now()
        for offset in offsets:
            call_at(base + offset, fire)
        await done.wait()
        return fired[0]

    measure(group=f"timers scheduled+fired (N={n})", uses=("call_at", "event"), timed=("call_at",),
            ops=n, unit="timers", run=lambda: rt.run(main), expect=n,
            rounds=LARGE_ROUNDS if n == LARGE else None, warmup=0 if n == LARGE else 1)


# One test per N (not a parametrize over N), so the only parameter id is the runtime's name.
def test_timers_small(rt, measure):
    _schedule_and_fire(rt, measure, SMALL)


def test_timers_medium(rt, measure):
    _schedule_and_fire(rt, measure, MEDIUM)


def test_timers_large(rt, measure):
    _schedule_and_fire(rt, measure, LARGE)


def test_timer_arm_cancel_churn(rt, measure):
    rng = random.Random(M)
    offsets = [FAR + rng.random() for _ in range(M)]

    async def main():
        call_at = rt.call_at
        base = rt.now()
        armed = 0
        for offset in offsets:
            call_at(base + offset, _nothing).cancel()
            armed += 1
        await rt.sleep(0)
        return armed

    measure(group="arm+cancel churn", uses=("call_at", "sleep"),
            ops=M, unit="timers armed+cancelled", run=lambda: rt.run(main), expect=M)

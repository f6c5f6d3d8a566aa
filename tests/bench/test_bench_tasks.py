"""Tasks: a switch, a spawn+join, and round-robin scheduling.

**Task switch** (R rounds): two tasks each ``await sleep(0)`` R times. With only
these two ready, each ``sleep(0)`` hands the turn to the other: 2R switches.
Rate: ``ops_per_round / median`` = switches/s.

**Spawn + join** (S tasks; the issue's "spawn + join of 20k trivial tasks": S=20k in
the default profile, 2k in quick): spawn S trivial tasks (``return None``), then join
them in order. Rate: tasks/s for the whole life cycle (create, start, finish, join).
``SPAWN_ROUNDS`` rounds (3) for every runtime: curio's spawn is O(n) per task (its
``reschedule_task`` asserts ``task not in ready``, a linear scan of the ready queue),
so curio's round is seconds long at 20k: its rate there is low because of that scan,
and says so at any S (it falls as S grows). A runtime whose round at S is predicted
(from untimed runs at 1k and 2k tasks) to exceed ``SPAWN_BUDGET`` is skipped as "too
slow", with the prediction: tinyio's cost per task grows with the finished tasks
still held (docs/research/tinyio.md, section 4), about 31 s of CPU a round at 20k.

**sleep(0) round-robin** (K=RR_TASKS tasks x RR_ROUNDS): K tasks each yield
RR_ROUNDS times, so the ready queue holds K tasks and every yield goes to the back of
it: K x RR_ROUNDS switches among many tasks (where the switch above is between two).

Fair across libraries: the same task code everywhere, through the neutral interface.
``sleep(0)`` is every library's own "yield to others" (asyncio.sleep(0),
trio.sleep(0), curio.sleep(0), anyio.sleep(0), our loops' sleep(0)). trio and anyio
have no task handles: their adapters' ``spawn``/``join`` are emulated (a wrapper task
in the run's root nursery or task group, a cancel scope, an event and a result
holder), which ``extra_info["emulated"]`` says: it is what join-by-handle costs
there, not the cost of a bare ``start_soon``. Each round is one ``rt.run(main)``: the
main task does the spawning and the joining, so the loop's creation and teardown are
amortised over the ops.
"""

from __future__ import annotations

import math
import time

import pytest

from harness.profile import pick
from harness.runtime import UNSUPPORTED


R = pick(default=10_000, quick=2_000)
S = pick(default=20_000, quick=2_000)
#: Rounds for spawn+join, the same for every runtime: curio's spawn costs O(ready) per
#: task (``reschedule_task`` asserts ``task not in ready``, a linear scan), so one curio
#: round at S=20k takes about 3.5 s, and the group's default 5 rounds would be ~20 s of curio.
#: No warmup round either (20k tasks warm themselves up): 3 rounds in all, ~11 s of curio.
SPAWN_ROUNDS = pick(default=3, quick=3)
#: The most one spawn+join round may be predicted to take (s) before a runtime is skipped
#: as "too slow": SPAWN_ROUNDS rounds must fit pytest-timeout's 120 s per test, with room for
#: a prediction that runs low (the fit at 1k-2k tasks under-reads a cost that grows with n).
SPAWN_BUDGET = pick(default=20.0, quick=5.0)
#: Calibration sizes (the quick profile's S is the larger one), each run up to
#: CALIBRATE_REPEATS times while its runs total under CALIBRATE_REPEAT_UNDER s; the
#: fastest counts, against a noisy machine and first-run costs.
SPAWN_CALIBRATE = (1_000, 2_000)
CALIBRATE_REPEATS = 3
CALIBRATE_REPEAT_UNDER = 0.5
RR_TASKS = 100
RR_ROUNDS = pick(default=50, quick=10)


def test_task_switch(rt, measure):
    async def player():
        sleep = rt.sleep
        for _ in range(R):
            await sleep(0)
        return R

    async def main():
        a, b = rt.spawn(player), rt.spawn(player)
        return await rt.join(a) + await rt.join(b)

    measure(group=f"task switch: sleep(0) ping-pong (R={R})",
            uses=("spawn", "join", "sleep"), ops=2 * R, unit="switches",
            run=lambda: rt.run(main), expect=2 * R)


def _spawn_join_main(rt, n):
    async def trivial():
        return None

    async def main():
        spawn, join = rt.spawn, rt.join
        refs = [spawn(trivial) for _ in range(n)]
        joined = 0
        for ref in refs:
            await join(ref)
            joined += 1
        return joined

    return main


def _predict_spawn_join(rt) -> tuple[float, float]:
    """(seconds one round at S is predicted to take, fitted exponent k), from SPAWN_CALIBRATE.

    Extrapolates the larger size with ``n^max(k, 1)``: every task is spawned and
    joined, so no runtime's cost grows slower than linearly.
    """
    times = []
    for n in SPAWN_CALIBRATE:
        main = _spawn_join_main(rt, n)
        best, spent = math.inf, 0.0
        for _ in range(CALIBRATE_REPEATS):
            start = time.perf_counter()
            got = rt.run(main)
            took = time.perf_counter() - start
            assert got == n, f"{rt.name}: calibration at n={n}: joined {got}"
            best, spent = min(best, took), spent + took
            if spent >= CALIBRATE_REPEAT_UNDER:
                break
        times.append(best)
    (n0, n1), (t0, t1) = SPAWN_CALIBRATE, times
    k = math.log(t1 / t0) / math.log(n1 / n0)
    return t1 * (S / n1) ** max(k, 1.0), k


def test_spawn_join(rt, measure):
    if rt.how("spawn") != UNSUPPORTED and rt.how("join") != UNSUPPORTED:
        predicted, k = _predict_spawn_join(rt)
        if predicted > SPAWN_BUDGET:
            pytest.skip(f"too slow: one round predicted {predicted:.0f} s at S={S} (cost grows as "
                        f"n^{k:.2f}, measured at {' and '.join(map(str, SPAWN_CALIBRATE))})")
    main = _spawn_join_main(rt, S)
    measure(group=f"spawn+join (S={S})", uses=("spawn", "join"),
            ops=S, unit="tasks", run=lambda: rt.run(main), expect=S, rounds=SPAWN_ROUNDS,
            warmup=0)


def test_sleep0_round_robin(rt, measure):
    async def worker():
        sleep = rt.sleep
        for _ in range(RR_ROUNDS):
            await sleep(0)
        return RR_ROUNDS

    async def main():
        refs = [rt.spawn(worker) for _ in range(RR_TASKS)]
        total = 0
        for ref in refs:
            total += await rt.join(ref)
        return total

    measure(group=f"sleep(0) round-robin (K={RR_TASKS} x {RR_ROUNDS})",
            uses=("spawn", "join", "sleep"), ops=RR_TASKS * RR_ROUNDS, unit="switches",
            run=lambda: rt.run(main), expect=RR_TASKS * RR_ROUNDS)

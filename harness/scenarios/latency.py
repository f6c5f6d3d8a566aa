"""Latency and scaling: how late timers fire, what a switch costs, how cost grows with N.

Every measurement is taken with the harness's clock (``time.perf_counter``) and,
for timers, also with the runtime's own clock (``rt.now()``), because they can
disagree: uvloop's clock moves in whole milliseconds, so a timer can be "on time"
by the loop's clock and early by the wall clock. **Early firings are reported, not
clipped**: ``min`` is the earliest firing, negative if any fired early.

Sizes come from the profile (``harness.execution.profile``): ``quick`` for smoke runs,
``default`` for reports. A scaling curve stops growing N when the next size is
predicted (from the time and slope measured so far) to take more than
``STEP_BUDGET_S``, and says so in ``skipped`` and ``note``: a runtime whose cost per
operation grows with N (the list loop's ticks, curio's spawn) gets a shorter curve
instead of stalling the whole bench run. The memory measure grows N the same way,
with its own budget (``MEMORY_STEP_BUDGET_S``).

All units in the metrics are microseconds unless a name says otherwise.
"""

from __future__ import annotations

import gc
import os
import sys
import time
import tracemalloc

from ..execution.profile import pick, share
from .registry import latency
from ..stats.descriptive import distribution, loglog_slope, median_and_spread
from ..workloads.programs import firing_timers, seeded_offsets

TIMER_DELAY = 0.001            # the 1 ms sleep whose lateness we measure
WARMUP = 10                    # samples discarded before measuring
STEP_BUDGET_S = 2.0            # no scaling step predicted to take longer than this runs
ROUNDS = 5                     # repeated rounds for throughput measures (median + spread)


#: A firing counts as early only if it came before its deadline by more than the clocks can
#: tell apart: their resolution (1 ns on Linux), and never less than 1 ns, so that the float
#: rounding of ``due - now`` (a few 1e-12 s) is not called early.
EARLY_BEYOND_S = max(1e-9, time.get_clock_info("perf_counter").resolution, time.get_clock_info("monotonic").resolution)


def early(samples) -> int:
    """How many lateness samples (seconds) are early beyond the clocks' resolution."""
    return sum(s < -EARLY_BEYOND_S for s in samples)


def _lateness(samples_rt, samples_perf) -> dict:
    return {
        "runtime_clock_us": distribution(samples_rt),
        "perf_counter_us": distribution(samples_perf),
        "early_runtime_clock": early(samples_rt),
        "early_perf_counter": early(samples_perf),
        "early_beyond_us": EARLY_BEYOND_S * 1e6,
        # every sample, for the report's distribution plots (µs, perf_counter)
        "samples_perf_us": [round(s * 1e6, 2) for s in samples_perf],
    }


@latency("latency.sleep_lateness", needs=("sleep",), quick=True, sampled=True, sleeps=True,
         explain="How late a 1 ms sleep wakes up. Loops that round deadlines to a coarse clock "
                 "(uvloop: 1 ms) can wake early by the wall clock.")
def sleep_lateness(rt, metrics):
    """Lateness of ``await sleep(1 ms)``: woken minus due, by the runtime's clock and by perf_counter."""
    metrics.update(task_lateness(rt, lambda due_rt: rt.sleep(TIMER_DELAY)), delay_s=TIMER_DELAY)


def task_lateness(rt, wait) -> dict:
    """A task waits ``wait(due by rt.now())`` for TIMER_DELAY, again and again: the lateness metrics."""
    samples = share(pick(default=300, quick=60, rigorous=1_000))

    async def main():
        by_rt, by_perf = [], []
        for i in range(samples + WARMUP):
            due_rt = rt.now() + TIMER_DELAY
            due_perf = rt.perf() + TIMER_DELAY
            await wait(due_rt)
            woke_perf, woke_rt = rt.perf(), rt.now()
            if i >= WARMUP:
                by_rt.append(woke_rt - due_rt)
                by_perf.append(woke_perf - due_perf)
        return by_rt, by_perf

    return _lateness(*rt.run(main))


@latency("latency.call_at_lateness", needs=("call_at", "event"), measures=("call_at",), quick=True, sampled=True,
         sleeps=True,
         explain="Lateness of plain timer callbacks. trio, curio and anyio have no call_at: the "
                 "harness's service task fires them there, so their numbers include a task switch "
                 "and are kept out of comparisons (deadlines.lateness measures their own sleeps).")
def call_at_lateness(rt, metrics):
    """Lateness of ``call_at(now + 1 ms, cb)`` callbacks, armed one after another."""
    samples = share(pick(default=300, quick=60, rigorous=1_000))

    async def main():
        by_rt, by_perf, done = [], [], rt.event()

        def arm(i):
            due_rt = rt.now() + TIMER_DELAY
            due_perf = rt.perf() + TIMER_DELAY
            rt.call_at(due_rt, fire, i, due_rt, due_perf)

        def fire(i, due_rt, due_perf):
            woke_perf, woke_rt = rt.perf(), rt.now()
            if i >= WARMUP:
                by_rt.append(woke_rt - due_rt)
                by_perf.append(woke_perf - due_perf)
            if i + 1 < samples + WARMUP:
                arm(i + 1)
            else:
                done.set()

        arm(0)
        await done.wait()
        return by_rt, by_perf

    by_rt, by_perf = rt.run(main)
    metrics.update(_lateness(by_rt, by_perf), delay_s=TIMER_DELAY)


@latency("latency.switch_event", needs=("task_group", "event"), quick=True, sampled=True,
         explain="Two tasks waking each other through events: a switch plus the event's own cost.")
def switch_event(rt, metrics):
    """Two tasks ping-ponging through events: time per one-way hand-off."""
    rounds = share(pick(default=2_000, quick=500, rigorous=10_000))     # p99 from 1,000 and more

    async def main():
        pings = [rt.event() for _ in range(rounds)]
        pongs = [rt.event() for _ in range(rounds)]

        async def pinger():
            for i in range(rounds):
                pings[i].set()
                await pongs[i].wait()

        async def ponger():
            for i in range(rounds):
                await pings[i].wait()
                pongs[i].set()

        start = rt.perf()
        async with rt.task_group() as group:
            await group.spawn(ponger)
            await group.spawn(pinger)
        return (rt.perf() - start) / (2 * rounds)

    per_handoff = [rt.run(main) for _ in range(ROUNDS)]
    metrics.update(handoff_us=median_and_spread([s * 1e6 for s in per_handoff]), rounds=rounds)


def _scaling(rt, metrics, sizes, measure) -> None:
    """Run ``measure(n) -> (wall_s, cpu_s[, ops])`` for growing n within the budget.

    ``ops`` (default n) is what the times are divided by: timers, tasks, or ticks.

    Records per-operation wall and CPU time, and the log-log slope of the CPU time
    per operation (CPU, because a timer scenario also *waits* for its deadlines, and
    waiting is not work: CPU time shows what each timer costs the loop).
    """
    def step(n):
        wall_s, cpu_s, *ops_n = measure(n)
        return wall_s, (cpu_s, ops_n[0] if ops_n else n)

    ns, wall, results, skipped, predicted = _grow(sizes, STEP_BUDGET_S, step)
    cpu = [c for c, _ in results]
    ops = [k for _, k in results]
    per_op_cpu = [c / k for c, k in zip(cpu, ops)]
    metrics.update(n=ns, per_op_us=[c * 1e6 for c in per_op_cpu],
                   per_op_wall_us=[w / k * 1e6 for w, k in zip(wall, ops)],
                   total_s=wall, cpu_s=cpu, slope=loglog_slope(ns, per_op_cpu), skipped=skipped)
    if skipped:
        metrics["note"] = _skip_note(skipped, predicted, ns, wall)


def _grow(sizes, budget: float, step):
    """Run ``step(n) -> (seconds, result)`` for each n of ``sizes`` while it fits ``budget``.

    Before each step after the first, its time is predicted from the steps so far
    (``_predicted_s``); from the first predicted over ``budget`` on, every size is
    skipped. Returns ``(ns, seconds, results, skipped, last prediction)``.
    """
    ns, took, results, skipped = [], [], [], []
    predicted = 0.0
    for n in sizes:
        if ns:
            predicted = _predicted_s(ns, took, n)
            if skipped or predicted > budget:
                skipped.append(n)
                continue
        gc.collect()
        seconds, result = step(n)
        ns.append(n)
        took.append(seconds)
        results.append(result)
    return ns, took, results, skipped, predicted


def _predicted_s(ns: list, wall: list, n: int) -> float:
    """Seconds a step at ``n`` should take, from the steps measured so far (``ns``, ``wall``).

    Time grows as n^(1 + slope of the per-op time); the slope is assumed >= 0 (at
    least linear), and is 0 while only one step has been measured.
    """
    slope = max(0.0, loglog_slope(ns, [w / n_ for w, n_ in zip(wall, ns)]) or 0.0) if len(ns) > 1 else 0.0
    return wall[-1] * (n / ns[-1]) ** (1 + slope)


def _skip_note(skipped: list, predicted: float, ns: list, wall: list, budget: float = STEP_BUDGET_S) -> str:
    return (f"stopped before N={skipped[0]}: predicted {predicted:.0f} s from N={ns[-1]} "
            f"({wall[-1]:.2f} s), over the {budget:g} s step budget")


def _timed(rt, body):
    """Run ``await body()`` on a fresh loop; return (wall seconds, CPU seconds) of the body."""
    async def main():
        wall0, cpu0 = rt.perf(), time.process_time()
        await body()
        return rt.perf() - wall0, time.process_time() - cpu0

    return rt.run(main)


#: Growing N; 3k between 1k and 10k so that a cost growing faster than n is seen (and
#: the next step skipped) before a 10k step would take tens of seconds. Two decades above
#: 100 show the slope; a 30k step took two thirds of each curve's time, so it (and 100k)
#: is the rigorous profile's.
SIZES = pick(default=[100, 1_000, 3_000, 10_000], quick=[100, 1_000, 5_000],
             rigorous=[100, 1_000, 3_000, 10_000, 100_000])
#: Deadlines of the schedule+fire curves fall within this window after arming: the
#: measure is the work of arming and firing, not waiting.
WINDOW = 0.001
TICKS = pick(default=2_000, quick=300)


@latency("scaling.timers", clock="process CPU time", needs=("call_at", "event"), measures=("call_at",), quick=True, parallel=True,
         explain="N timers at random deadlines, armed then fired: O(log n) per timer for a heap; "
                 "the list loop sorts what falls due in each scan.")
def scaling_timers(rt, metrics):
    """Schedule and fire N timers at random deadlines: time per timer against N."""
    def measure(n):
        return _timed(rt, firing_timers(rt, seeded_offsets(n, WINDOW)))

    _scaling(rt, metrics, SIZES, measure)


@latency("scaling.tick_with_timers", clock="process CPU time", needs=("call_at", "call_soon", "event"),
         measures=("call_at", "call_soon"), quick=True, parallel=True,
         explain="The cost of one loop iteration while N timers are armed (an hour away). A heap "
                 "only peeks at its top: O(1). The slides' list loop scans every timer: O(n).")
def scaling_tick_with_timers(rt, metrics):
    """With N timers armed far in the future, time per iteration of a call_soon chain, against N."""
    def measure(n):
        ticks = max(200, min(TICKS, 20_000_000 // n))   # fewer ticks where a tick may cost O(n)

        async def body():
            base = rt.now() + 3600
            handles = [rt.call_at(base + i * 1e-3, _nothing) for i in range(n)]
            done = rt.event()

            def step(i):
                if i < ticks:
                    rt.call_soon(step, i + 1)
                else:
                    done.set()

            wall0, cpu0 = rt.perf(), time.process_time()
            rt.call_soon(step, 0)
            await done.wait()
            elapsed = rt.perf() - wall0, time.process_time() - cpu0
            for handle in handles:
                handle.cancel()
            return elapsed

        async def main():
            return await body()

        wall, cpu = rt.run(main)
        return wall, cpu, ticks                        # per tick, not per timer

    _scaling(rt, metrics, SIZES, measure)
    metrics["unit"] = "per iteration (tick), with N timers armed"


def _nothing():
    pass


@latency("scaling.sleeping_tasks", clock="process CPU time", needs=("spawn", "join", "sleep"), quick=True, parallel=True,
         explain="N tasks, each sleeping a random short time: timers plus task switches at scale.")
def scaling_sleeping_tasks(rt, metrics):
    """N tasks each sleeping a random short delay, then joined: CPU time per task against N."""
    def measure(n):
        delays = seeded_offsets(n, WINDOW)

        async def sleeper(d):
            await rt.sleep(d)

        async def body():
            refs = [rt.spawn(sleeper, d) for d in delays]
            for ref in refs:
                await rt.join(ref)

        return _timed(rt, body)

    _scaling(rt, metrics, SIZES, measure)


@latency("scaling.spawn", clock="process CPU time", needs=("spawn", "join"), quick=True, parallel=True,
         explain="N trivial tasks spawned then joined: should be O(1) per task on every loop.")
def scaling_spawn(rt, metrics):
    """Spawn N trivial tasks and join them: CPU time per task against N."""
    async def trivial():
        return None

    def measure(n):
        async def body():
            refs = [rt.spawn(trivial) for _ in range(n)]
            for ref in refs:
                await rt.join(ref)

        return _timed(rt, body)

    _scaling(rt, metrics, SIZES, measure)


#: Tasks asleep at once. The larger size runs only if the smaller one's time predicts
#: that it fits MEMORY_STEP_BUDGET_S, as in a scaling curve.
MEMORY_SIZES = pick(default=[2_000], quick=[1_000], rigorous=[10_000, 50_000])
#: A memory step is one run of N tasks under tracemalloc, which slows every allocation
#: (at 50k, heap and asyncio took 2-3 s on a 2-core VM). The sizes are small because the
#: cell runs in several processes and the count per task is the same at 2k as at 50k.
MEMORY_STEP_BUDGET_S = 6.0


@latency("memory.sleeping_task", clock="none: memory (tracemalloc, RSS)", needs=("task_group", "sleep"), quick=True, parallel=True, sampled=True,
         fresh_process=True,
         explain="Memory held by one task blocked in sleep, with 2,000 tasks asleep at once "
                 "(quick profile: 1,000; rigorous: 10k, then 50k if it fits the step budget), the "
                 "tasks started in the runtime's own task group, measured in several processes. "
                 "Two views: tracemalloc sees Python allocations only (not uvloop's C allocations); "
                 "the growth of the process's resident set (RSS, as the operating system sees it) "
                 "sees everything, but in whole pages and only where the allocator asked for more.")
def memory_per_sleeping_task(rt, metrics):
    """Bytes per task asleep, with N tasks asleep at once: tracemalloc and RSS growth, for growing N."""
    async def sleeper():
        await rt.sleep(3600)

    def measure(n):
        async def main():
            for _ in range(3):
                await rt.sleep(0)
            gc.collect()
            held = {}
            async with rt.task_group() as group:
                rss_before = _rss_bytes()
                tracemalloc.start()
                try:
                    before = tracemalloc.get_traced_memory()[0]
                    for _ in range(n):
                        await group.spawn(sleeper)
                    for _ in range(3):
                        await rt.sleep(0)          # every task has started and is now asleep
                    gc.collect()
                    held["traced"] = tracemalloc.get_traced_memory()[0] - before
                finally:
                    tracemalloc.stop()
                held["rss"] = _rss_bytes() - rss_before
                await group.cancel()
            return held

        start = rt.perf()
        held = rt.run(main)
        return rt.perf() - start, held

    ns, took, held, skipped, predicted = _grow(MEMORY_SIZES, MEMORY_STEP_BUDGET_S, measure)
    by_n = {n: h["traced"] / n for n, h in zip(ns, held)}
    rss_by_n = {n: h["rss"] / n for n, h in zip(ns, held)}
    metrics.update(bytes_per_task=by_n[ns[-1]], rss_bytes_per_task=rss_by_n[ns[-1]], n=ns[-1], by_n=by_n,
                   rss_by_n=rss_by_n, total_s=dict(zip(ns, took)), skipped=skipped)
    if skipped:
        metrics["note"] = _skip_note(skipped, predicted, ns, took, MEMORY_STEP_BUDGET_S)


def _rss_bytes() -> int:
    """This process's resident set size now (Linux: /proc/self/statm; elsewhere the peak)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale

"""tinyio, asyncio, trio and our trampoline, side by side, each in its own idiom.

Three measures, each written the way a user of that library writes it:

* **switch**: two tasks take turns letting the other run, TURNS times each.
  tinyio: a bare ``yield``; asyncio: ``await asyncio.sleep(0)``; trio:
  ``await trio.sleep(0)``; trampoline: a generator task's bare ``yield``.
  Reported per switch.
* **spawn+join** of N trivial tasks. tinyio: ``yield [child() for ...]`` (its
  gather); asyncio: ``create_task`` each, then ``gather``; trio: ``start_soon`` each
  in a nursery, whose exit joins them; trampoline: ``loop.create_task`` each, then
  the generator yields each task to wait for it. Reported per task.
* **sub-generator call**: a coroutine calls a sub-coroutine that returns at once,
  CALLS times. tinyio: ``x = yield child()``; trampoline: the same line (it pushes
  the generator on the task's stack); asyncio: ``x = await child()`` (Python's own
  call, no loop involved), as the floor. Reported per call.
* **sleep(1 ms) lateness**: woken minus due by ``perf_counter``, SAMPLES per round;
  p50, p99 and the count woken early, pooled over the rounds.

Switch, spawn+join and calls are timed in CPU time (``time.process_time``) of this
process: the machine is shared, and CPU time is what the loop itself spends.
Lateness is wall time, as a sleeper sees it.

Every library runs in this one process, rounds interleaved (round r of every library
before round r+1 of any), so a noisy moment hurts all alike. Each figure is the
median over ROUNDS rounds, with the range over rounds [min-max]; ratios are to
asyncio's median in the same run. Two more rows, not part of the comparison: tinyio
through loopbench's adapter (``harness.runtimes.tinyio_rt``, the same workloads as
the harness's latency.switch_sleep0 and latency.spawn_join), to show what the adapter
adds to tinyio's own cost.

Run: ``.venv/bin/python docs/research/tinyio_compare.py`` (and with ``python -O``:
tinyio's spawn+join has an ``assert`` that scans every finished coroutine's result).
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import time

import tinyio
import trio

import impls
from harness import runtimes

TURNS = 10_000
SPAWN_N = (1_000, 5_000)
CALLS = 20_000
DELAY = 0.001
SAMPLES = 300
ROUNDS = 7
perf = time.process_time       # throughput measures: CPU time (see the docstring)
wall = time.perf_counter       # lateness: wall time


def on_trampoline(make_main):
    """Run the generator make_main(loop) on a fresh trampoline loop, then close the loop."""
    loop = impls.create("trampoline")
    try:
        return loop.run_until_complete(make_main(loop))
    finally:
        loop.close()


# ------------------------------------------------------------------ switch
def player_gen():                   # tinyio's and the trampoline's player: a bare yield
    for _ in range(TURNS):
        yield


async def player_async(sleep):      # asyncio's, trio's and the adapter's player: await sleep(0)
    for _ in range(TURNS):
        await sleep(0)


def switch_tinyio() -> float:
    def main():
        start = perf()
        yield [player_gen(), player_gen()]
        return perf() - start

    return tinyio.Loop().run(main()) / (2 * TURNS)


def switch_asyncio() -> float:
    async def main():
        start = perf()
        await asyncio.gather(asyncio.create_task(player_async(asyncio.sleep)),
                             asyncio.create_task(player_async(asyncio.sleep)))
        return perf() - start

    return asyncio.run(main()) / (2 * TURNS)


def switch_trio() -> float:
    async def main():
        start = perf()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(player_async, trio.sleep)
            nursery.start_soon(player_async, trio.sleep)
        return perf() - start

    return trio.run(main) / (2 * TURNS)


def switch_trampoline() -> float:
    def main(loop):
        start = perf()
        a, b = loop.create_task(player_gen()), loop.create_task(player_gen())
        yield a
        yield b
        return perf() - start

    return on_trampoline(main) / (2 * TURNS)


def switch_tinyio_adapter() -> float:
    rt = runtimes.create("tinyio")

    async def main():
        start = perf()
        a, b = rt.spawn(player_async, rt.sleep), rt.spawn(player_async, rt.sleep)
        await rt.join(a)
        await rt.join(b)
        return perf() - start

    return rt.run(main) / (2 * TURNS)


# ------------------------------------------------------------------ spawn + join
def child_gen():
    return None
    yield                           # a generator: tinyio's coroutines are generators


def spawn_tinyio(n: int) -> float:
    def main():
        start = perf()
        yield [child_gen() for _ in range(n)]
        return perf() - start

    return tinyio.Loop().run(main()) / n


def spawn_asyncio(n: int) -> float:
    async def child():
        return None

    async def main():
        start = perf()
        await asyncio.gather(*[asyncio.create_task(child()) for _ in range(n)])
        return perf() - start

    return asyncio.run(main()) / n


def spawn_trio(n: int) -> float:
    async def child():
        return None

    async def main():
        start = perf()
        async with trio.open_nursery() as nursery:
            for _ in range(n):
                nursery.start_soon(child)
        return perf() - start

    return trio.run(main) / n


def spawn_trampoline(n: int) -> float:
    def main(loop):
        start = perf()
        tasks = [loop.create_task(child_gen()) for _ in range(n)]
        for task in tasks:
            yield task
        return perf() - start

    return on_trampoline(main) / n


def spawn_tinyio_adapter(n: int) -> float:
    rt = runtimes.create("tinyio")

    async def child():
        return None

    async def main():
        start = perf()
        refs = [rt.spawn(child) for _ in range(n)]
        for ref in refs:
            await rt.join(ref)
        return perf() - start

    return rt.run(main) / n


# ------------------------------------------------------------------ sub-generator call
def call_gen():
    """tinyio and the trampoline write the call the same way: ``x = yield child()``."""
    def child():
        return 1
        yield

    start = perf()
    for _ in range(CALLS):
        yield child()
    return perf() - start


def call_tinyio() -> float:
    return tinyio.Loop().run(call_gen()) / CALLS


def call_trampoline() -> float:
    return on_trampoline(lambda loop: call_gen()) / CALLS


def call_asyncio() -> float:
    async def child():
        return 1

    async def main():
        start = perf()
        for _ in range(CALLS):
            await child()
        return perf() - start

    return asyncio.run(main()) / CALLS


# ------------------------------------------------------------------ lateness
def late_gen(sleep):
    """tinyio's and the trampoline's sampler: ``yield sleep(DELAY)``."""
    out = []
    for _ in range(SAMPLES):
        due = wall() + DELAY
        yield sleep(DELAY)
        out.append(wall() - due)
    return out


async def late_async(sleep):
    """asyncio's and trio's sampler: ``await sleep(DELAY)``, one sample at a time."""
    async def one() -> float:
        due = wall() + DELAY
        await sleep(DELAY)
        return wall() - due

    return [await one() for _ in range(SAMPLES)]


def late_tinyio() -> list[float]:
    return tinyio.Loop().run(late_gen(tinyio.sleep))


def late_asyncio() -> list[float]:
    return asyncio.run(late_async(asyncio.sleep))


def late_trio() -> list[float]:
    return trio.run(late_async, trio.sleep)


def late_trampoline() -> list[float]:
    return on_trampoline(lambda loop: late_gen(loop.sleep))


LIBS = ("tinyio", "asyncio", "trio", "trampoline")
SWITCH = {"tinyio": switch_tinyio, "asyncio": switch_asyncio, "trio": switch_trio,
          "trampoline": switch_trampoline, "tinyio via adapter": switch_tinyio_adapter}
SPAWN = {"tinyio": spawn_tinyio, "asyncio": spawn_asyncio, "trio": spawn_trio,
         "trampoline": spawn_trampoline, "tinyio via adapter": spawn_tinyio_adapter}
CALL = {"tinyio": call_tinyio, "asyncio": call_asyncio, "trampoline": call_trampoline}
LATE = {"tinyio": late_tinyio, "asyncio": late_asyncio, "trio": late_trio, "trampoline": late_trampoline}


def one(fn, *args):
    gc.collect()
    return fn(*args)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    switch = {name: [] for name in SWITCH}
    spawn = {(name, n): [] for name in SPAWN for n in SPAWN_N}
    call = {name: [] for name in CALL}
    late = {name: [] for name in LATE}
    late_p50 = {name: [] for name in LATE}
    for name in SWITCH:                      # one untimed warm-up of each
        one(SWITCH[name])
    for _ in range(ROUNDS):
        for name, fn in SWITCH.items():
            switch[name].append(one(fn))
        for n in SPAWN_N:
            for name, fn in SPAWN.items():
                spawn[(name, n)].append(one(fn, n))
        for name, fn in CALL.items():
            call[name].append(one(fn))
        for name, fn in LATE.items():
            samples = one(fn)
            late[name] += samples
            late_p50[name].append(statistics.median(samples))

    flags = " -O" if not __debug__ else ""
    versions = {"tinyio": _version("tinyio"), "trio": _version("trio"),
                "asyncio": sys.version.split()[0], "trampoline": "loopbench"}
    print(f"python{flags} {sys.version.split()[0]}; " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"{ROUNDS} rounds, interleaved; median [min-max over rounds]; ratio = median / asyncio's median; "
          "CPU time except lateness\n")

    def row(label, values, base):
        med = statistics.median(values)
        return (f"| {label} | {med * 1e6:.2f} [{min(values) * 1e6:.2f}-{max(values) * 1e6:.2f}] "
                f"| {med / base:.2f}x |")

    print(f"| switch ({TURNS} turns x 2 tasks) | us per switch | vs asyncio |")
    print("|---|---|---|")
    base = statistics.median(switch["asyncio"])
    for name, values in switch.items():
        print(row(name, values, base))
    for n in SPAWN_N:
        print(f"\n| spawn+join, N={n} | us per task | vs asyncio |")
        print("|---|---|---|")
        base = statistics.median(spawn[("asyncio", n)])
        for name in SPAWN:
            print(row(name, spawn[(name, n)], base))
    print(f"\n| sub-generator call ({CALLS} calls) | us per call | vs asyncio |")
    print("|---|---|---|")
    base = statistics.median(call["asyncio"])
    for name, values in call.items():
        print(row(name, values, base))
    print(f"\n| sleep({DELAY * 1e3:g} ms) lateness, {SAMPLES} x {ROUNDS} samples | p50 us [per-round p50 range] "
          f"| p99 us | min us | early | p50 vs asyncio |")
    print("|---|---|---|---|---|---|")
    base = pct(late["asyncio"], 0.5)
    for name, values in late.items():
        p50 = pct(values, 0.5)
        print(f"| {name} | {p50 * 1e6:.0f} [{min(late_p50[name]) * 1e6:.0f}-{max(late_p50[name]) * 1e6:.0f}] "
              f"| {pct(values, 0.99) * 1e6:.0f} | {min(values) * 1e6:.0f} | {sum(v < 0 for v in values)} "
              f"| {p50 / base:.2f}x |")


def _version(dist: str) -> str:
    import importlib.metadata
    return importlib.metadata.version(dist)


if __name__ == "__main__":
    main()

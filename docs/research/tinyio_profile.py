"""Where tinyio's time goes on a workload of switches and sleeps, and what its thread machinery costs.

tinyio is built to be driven from threads too: ``Event.set`` may be called from any
thread, so every wake-up goes through one global ``threading.RLock``, and the loop
itself blocks on an ``EventWithFileno`` (a socket pair, the successor of the
``threading.Event`` of earlier versions), which it clears after every step and sets
on every wake-up. This script answers "does that cost anything when no thread is
involved?" twice:

1. a cProfile of a single-threaded workload (tasks that sleep(0) via a bare yield,
   and tasks that ``tinyio.sleep`` 0-1 ms), listing the thread-related functions;
2. a measurement: the same workload with those pieces replaced by no-op stand-ins
   (a dummy lock, a wake event whose ``set``/``clear`` do nothing). That is only
   safe because no other thread exists here; it is the cost the machinery adds.

Run: ``.venv/bin/python docs/research/tinyio_profile.py``

``--switch-only`` prints just the CPU time per bare-yield switch of whichever tinyio
is importable, to compare releases (0.2.0 blocked on a ``threading.Event``; 0.3.0
replaced it with the socket pair)::

    .venv/bin/pip download --no-deps tinyio==0.2.0 -d /tmp/tinyio-old
    (cd /tmp/tinyio-old && unzip -q -o tinyio-0.2.0-py3-none-any.whl -d v020)
    PYTHONPATH=/tmp/tinyio-old/v020 .venv/bin/python docs/research/tinyio_profile.py --switch-only
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import pstats
import random
import statistics
import sys
import time

import tinyio

SWITCHERS, TURNS = 2, 20_000          # bare-yield ping-pong
SLEEPERS, NAPS = 200, 20              # tasks doing tinyio.sleep of 0-1 ms
ROUNDS = 7


def switcher():
    for _ in range(TURNS):
        yield


def sleeper(rng_seed):
    rng = random.Random(rng_seed)
    for _ in range(NAPS):
        yield tinyio.sleep(rng.uniform(0, 0.001))


def workload():
    yield [switcher() for _ in range(SWITCHERS)]
    yield [sleeper(k) for k in range(SLEEPERS)]


def switches_only():
    yield [switcher() for _ in range(SWITCHERS)]


def timed(fn) -> float:
    """CPU time of one run (the machine is shared; CPU time is what tinyio itself spends)."""
    start = time.process_time()
    tinyio.Loop().run(fn())
    return time.process_time() - start


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@contextlib.contextmanager
def without_thread_machinery():
    """No global RLock, and a wake event whose set/clear are free (single thread only)."""
    from tinyio import _core, _utils
    saved = _core._global_event_lock, _utils.EventWithFileno.set, _utils.EventWithFileno.clear
    _core._global_event_lock = _NoLock()
    _utils.EventWithFileno.set = lambda self: None
    _utils.EventWithFileno.clear = lambda self: None
    try:
        yield
    finally:
        _core._global_event_lock, _utils.EventWithFileno.set, _utils.EventWithFileno.clear = saved


def profile() -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    tinyio.Loop().run(workload())
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    total = stats.total_tt
    print(f"cProfile, whole workload: {total:.3f} s of function time")
    rows = []
    for (path, line, name), (cc, nc, tt, ct, _) in stats.stats.items():
        rows.append((tt, nc, ct, f"{path.rsplit('/', 1)[-1]}:{line}({name})"))
    rows.sort(reverse=True)
    print(f"{'tottime':>8} {'share':>6} {'calls':>9} {'cumtime':>8}  function")
    for tt, nc, ct, where in rows[:22]:
        print(f"{tt:8.3f} {tt / total:6.1%} {nc:9d} {ct:8.3f}  {where}")
    machinery = 0.0
    for (path, line, name), (cc, nc, tt, ct, _) in stats.stats.items():
        if path.endswith("_utils.py") and name in ("set", "clear"):
            machinery += ct           # EventWithFileno.set/clear, with their lock and socket calls
        elif "RLock" in name:
            machinery += tt           # the global event lock's enter/exit
    print(f"thread machinery (EventWithFileno.set/clear with their lock and socket calls, "
          f"the global RLock): {machinery:.3f} s = {machinery / total:.1%} of function time")


def measure() -> None:
    for name, fn in (("switches only (bare yield, 2 tasks)", switches_only), ("switches + sleeps", workload)):
        timed(fn)
        with_m = []
        without = []
        for _ in range(ROUNDS):
            with_m.append(timed(fn))
            with without_thread_machinery():
                without.append(timed(fn))
        a, b = statistics.median(with_m), statistics.median(without)
        print(f"{name}: as shipped {a * 1e3:.1f} ms, without the thread machinery {b * 1e3:.1f} ms "
              f"(median of {ROUNDS}); the machinery is {(a - b) / a:.0%} of the time, {a / b:.2f}x")
    switches = SWITCHERS * TURNS
    a = statistics.median(timed(switches_only) for _ in range(ROUNDS))
    print(f"per bare-yield switch as shipped: {a / switches * 1e6:.2f} us")


def switch_only() -> None:
    timed(switches_only)
    per_switch = [timed(switches_only) / (SWITCHERS * TURNS) for _ in range(ROUNDS)]
    print(f"tinyio from {tinyio.__file__}: {statistics.median(per_switch) * 1e6:.2f} us per bare-yield switch "
          f"[{min(per_switch) * 1e6:.2f}-{max(per_switch) * 1e6:.2f}], CPU time, median of {ROUNDS}")


if __name__ == "__main__":
    if "--switch-only" in sys.argv:
        switch_only()
    else:
        import importlib.metadata
        print(f"tinyio {importlib.metadata.version('tinyio')}")
        profile()
        measure()

"""Run one of pyperformance's benchmark scripts, unmodified, on a chosen asyncio event loop.

``python -m harness.workloads.pyperformance_child RUNTIME OUT.json VALUES WARMUPS TARGET_S SCRIPT [ARGS...]``

The script (``pyperformance/data-files/benchmarks/bm_*/run_benchmark.py`` as installed) is
executed as ``__main__`` with ``sys.argv = [SCRIPT, *ARGS]``; not a line of it is changed.
Two things are installed around it, through hooks asyncio and pyperf already have:

- **the loop**: an event loop policy whose ``new_event_loop`` is the runtime's loop factory
  (``harness.runtimes``'s ``new_loop``), so ``asyncio.new_event_loop()``, ``asyncio.run()``
  and pyperf's ``bench_async_func`` (which calls ``asyncio.new_event_loop()`` unless the
  benchmark passes its own ``loop_factory``) all get that loop;
- **the measurement**: ``pyperf.Runner`` is replaced by ``MeasuringRunner``, which parses
  the same command line (the benchmark's own arguments included) but, instead of spawning
  pyperf's worker processes, runs the benchmarked function here, exactly as pyperf's worker
  does (``bench_async_func``: a fresh loop per value, ``loops`` awaits of the function in
  one ``run_until_complete``; ``bench_time_func``: the function's own timing of ``loops``
  calls), and records both clocks for every value: wall (``time.perf_counter``) and this
  process's CPU time (``time.process_time``). The parent (``pyperformance_suite``) runs
  this in a fresh process per round and runtime, interleaved.

The first warm-up value runs one iteration and sets ``loops`` so a value lasts about
``TARGET_S`` (pyperf calibrates the same way, to its ``min_time``). OUT.json gets
``{"runtime", "benchmark", "loops", "wall": [s per iteration...], "cpu": [...]}`` or
``{"error": "..."}``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
import runpy
import sys
import time
import traceback


class _Measured(Exception):
    """Raised after the one benchmark a script runs has been measured: the rest of its
    ``__main__`` (printing, more benchmarks) does not run."""


def _measuring_runner(pyperf, values: int, warmups: int, target_s: float, sink: dict):
    class MeasuringRunner(pyperf.Runner):
        """pyperf's Runner with pyperf's worker loop run here, on both clocks (see the module docstring)."""

        def _record(self, name: str, one_value) -> None:
            """``one_value(loops) -> (wall_s, cpu_s)`` for ``loops`` iterations; warm up, calibrate, measure."""
            wall, cpu = one_value(1)
            loops = max(1, math.ceil(target_s / max(wall, 1e-9)))
            for _ in range(max(0, warmups - 1)):
                one_value(loops)
            walls, cpus = [], []
            for _ in range(values):
                wall, cpu = one_value(loops)
                walls.append(wall / loops)
                cpus.append(cpu / loops)
            sink.update(benchmark=name, loops=loops, wall=walls, cpu=cpus)
            raise _Measured()

        def bench_async_func(self, name, func, *args, **kwargs):
            loop_factory = kwargs.pop("loop_factory", None)
            kwargs.pop("inner_loops", None)
            kwargs.pop("metadata", None)
            if kwargs:
                raise TypeError(f"unexpected keyword arguments {sorted(kwargs)}")
            if loop_factory is not None:
                sink["note"] = "the benchmark passes its own loop_factory"
            if args:
                func = functools.partial(func, *args)

            def one_value(loops: int):
                async def main():
                    t0, c0 = time.perf_counter(), time.process_time()
                    for _ in range(loops):
                        await func()
                    return time.perf_counter() - t0, time.process_time() - c0

                loop = loop_factory() if loop_factory is not None else asyncio.new_event_loop()
                asyncio.set_event_loop(loop)
                try:
                    return loop.run_until_complete(main())
                finally:
                    asyncio.set_event_loop(None)
                    loop.close()

            self._record(name, one_value)

        def bench_time_func(self, name, time_func, *args, **kwargs):
            kwargs.pop("inner_loops", None)
            kwargs.pop("metadata", None)

            def one_value(loops: int):
                c0 = time.process_time()
                wall = time_func(loops, *args)        # the benchmark's own wall timing
                return wall, time.process_time() - c0

            self._record(name, one_value)

    return MeasuringRunner


def main(argv: list[str]) -> int:
    runtime_name, out, values, warmups, target_s, script, *script_args = argv
    sink: dict = {"runtime": runtime_name}
    try:
        import pyperf

        from harness.runtimes import create

        runtime = create(runtime_name)
        factory = getattr(runtime, "new_loop", None)
        if factory is None or runtime.api != "asyncio":
            raise TypeError(f"{runtime_name} is not an asyncio event loop")

        class Policy(asyncio.DefaultEventLoopPolicy):
            making = False

            def new_event_loop(self):
                if self.making:            # the factory itself asks asyncio for its default loop
                    return super().new_event_loop()
                self.making = True
                try:
                    return factory()
                finally:
                    self.making = False

        asyncio.set_event_loop_policy(Policy())
        pyperf.Runner = _measuring_runner(pyperf, int(values), int(warmups), float(target_s), sink)
        sys.argv = [script, *script_args]
        try:
            runpy.run_path(script, run_name="__main__")
            sink["error"] = "the script ran no benchmark"
        except _Measured:
            pass
    except Exception as exc:
        sink["error"] = f"{type(exc).__name__}: {exc}"
        sink["traceback"] = traceback.format_exc(limit=8)
    with open(out, "w") as f:
        json.dump(sink, f)
    return 0 if "error" not in sink else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

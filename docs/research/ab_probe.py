"""A/B probe: two source trees (before and after a change), one run, paired CPU-time ratios.

Why: on a shared 2-core machine the speed changes from one second to the next, so
numbers from two runs cannot be compared. This probe keeps one worker process per
source tree (``--tree NAME=PATH``, each importing its own ``impls`` and ``harness``),
and in each round asks every contender (tree, runtime) for one measurement, in a
random order, one after the other (never two at once). A measurement is the
worker's process CPU time (``time.process_time``) over enough whole rounds of a
workload (``Workload.run_round``: through the public contract, checked) to take
about ``--target`` seconds. The ratio of two contenders is taken per round, and
reported as the median over rounds with a 95% bootstrap interval (rounds resampled).

Workloads: the micro-suite's (``callbacks.call_soon_chain``, ``tasks.switch``,
``tasks.spawn_join``, ``timers.arm_cancel_churn``), ``churn@N`` (20k arm+cancel
pairs on a loop already holding N idle timers, as ``test_churn_scaling.py``), and
``echo`` (server CPU per request of ``serve_echo_protocol``, the load generator in
its own process, as the ``io.echo_protocols`` scenario). The runtime ``heap-nullstore``
is a bound for the timer workloads (``null_store_runtime``).

    PYTHONPATH=$PWD python docs/research/ab_probe.py --tree old=/tmp/perf-base --tree new=$PWD \\
        --workload callbacks.call_soon_chain --runtime old:heap new:heap new:uvloop \\
        --ratio new:heap/new:uvloop --ratio new:heap/old:heap --rounds 20

A ratio ``A/B`` is B's time over A's: above 1, A is faster.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time

#: Timed pairs per ``churn@N`` measurement, and the deadlines (s) as in ``test_churn_scaling.py``.
PAIRS, LONG, SHORT = 20_000, 600.0, 5.0


# ---------------------------------------------------------------- the worker
def worker() -> None:
    from harness import runtimes
    from harness.workloads.programs import WORKLOADS

    made: dict = {}
    loops: dict = {}

    def runtime(name):
        if name not in made:
            if name == "heap-nullstore":
                made[name] = null_store_runtime()
            else:
                made[name] = runtimes.create(name)
        return made[name]

    def churn(store, n, reps):
        import random as rnd

        import impls
        from impls.clock import VirtualClock
        key = (store, n)
        if key not in loops:
            for old in [k for k in loops if k[1] != n]:      # one N at a time, both stores kept
                loops.pop(old).close()
            loop = impls.create(store, clock=VirtualClock())
            rng = rnd.Random(n)
            for _ in range(n):
                loop.call_at(LONG + LONG * rng.random(), _nothing)
            loops[key] = loop
        loop = loops[key]
        rng = rnd.Random(-n)
        deadlines = [SHORT + SHORT * rng.random() for _ in range(PAIRS)]
        start = time.process_time()
        for _ in range(reps):
            call_at = loop.call_at
            for when in deadlines:
                call_at(when, _nothing).cancel()
        took = time.process_time() - start
        live = len(loop._timers) - loop._timers.cancelled
        assert live == n, (store, n, live)
        return took, reps * PAIRS

    def echo(name, reps):
        from harness.scenarios import io
        rt = runtime(name)
        total, requests = 0.0, 0
        for _ in range(reps):
            start = time.process_time()
            result = io.echo_under_load(lambda listener: rt.run(lambda: rt.serve_echo_protocol(listener, io.CONNECTIONS)),
                                        1024, 2_000, 1.0)
            total += time.process_time() - start
            requests += result["requests"]
        return total, requests

    for line in sys.stdin:
        cmd = json.loads(line)
        gc.collect()                                # untimed, before each measurement, as the micro-suite does
        wl, name, reps = cmd["workload"], cmd["runtime"], cmd["reps"]
        if wl.startswith("churn@"):
            took, ops = churn(name, int(wl[6:]), reps)
        elif wl == "echo":
            took, ops = echo(name, reps)
        else:
            workload, rt = WORKLOADS[wl], runtime(name)
            start = time.process_time()
            for _ in range(reps):
                workload.run_round(rt)
            took, ops = time.process_time() - start, reps * workload.ops
        print(json.dumps({"cpu": took, "ops": ops}), flush=True)


def _nothing():
    pass


def null_store_runtime():
    """``heap-nullstore``: a bound, not a loop. The heap loop with a timer store that costs
    no Python call and keeps nothing (arming and a cancel's report are both the C no-op
    ``id``): what arm+cancel costs through the contract whatever the store, the best any
    store can do (``timers.arm_cancel_churn`` only: its timers are all cancelled)."""
    from harness.runtimes.ours import OursRuntime

    class NullStore(OursRuntime):
        def new_loop(self):
            loop = super().new_loop()
            loop._arm = loop._timer_cancelled = id
            return loop
    return NullStore("heap")


# ---------------------------------------------------------------- the driver
class Worker:
    def __init__(self, path: str) -> None:
        env = dict(os.environ, PYTHONPATH=path)
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker"], cwd=path, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, workload: str, runtime: str, reps: int) -> dict:
        self.proc.stdin.write(json.dumps({"workload": workload, "runtime": runtime, "reps": reps}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the worker for {runtime} died")
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def bootstrap_median(values, resamples=5000, seed=2014):
    rng = random.Random(seed)
    n = len(values)
    est = sorted(statistics.median([values[rng.randrange(n)] for _ in range(n)]) for _ in range(resamples))
    return est[int(0.025 * resamples)], est[int(0.975 * resamples) - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--tree", action="append", default=[], help="NAME=PATH of a source tree")
    ap.add_argument("--workload", required=False)
    ap.add_argument("--runtime", nargs="+", default=[], help="TREE:RUNTIME contenders")
    ap.add_argument("--ratio", action="append", default=[], help="A/B: B's time over A's, per round")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--target", type=float, default=0.1, help="seconds of CPU per measurement")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.worker:
        worker()
        return
    trees = dict(t.split("=", 1) for t in args.tree)
    workers = {name: Worker(path) for name, path in trees.items()}
    wl = args.workload
    try:
        reps = {}
        for c in args.runtime:                      # calibrate (untimed: also the warm-up)
            tree, rt = c.split(":", 1)
            first = workers[tree].ask(wl, rt, 1)
            reps[c] = 1 if wl == "echo" else max(1, round(args.target / max(first["cpu"], 1e-6)))
        per_op: dict[str, list[float]] = {c: [] for c in args.runtime}
        rng = random.Random(args.seed)
        for _ in range(args.rounds):
            order = list(args.runtime)
            rng.shuffle(order)
            for c in order:
                tree, rt = c.split(":", 1)
                got = workers[tree].ask(wl, rt, reps[c])
                per_op[c].append(got["cpu"] / got["ops"])
        print(f"{wl}: {args.rounds} rounds, process CPU time, ns per operation (median [min-max])")
        for c, xs in per_op.items():
            print(f"  {c:28s} {statistics.median(xs) * 1e9:9.0f}  [{min(xs) * 1e9:.0f}-{max(xs) * 1e9:.0f}]  reps={reps[c]}")
        for r in args.ratio:
            a, b = r.split("/")
            ratios = [y / x for x, y in zip(per_op[a], per_op[b])]
            lo, hi = bootstrap_median(ratios)
            print(f"  {a} / {b}: {statistics.median(ratios):.2f}x  (95% CI {lo:.2f}-{hi:.2f})")
    finally:
        for w in workers.values():
            w.close()


if __name__ == "__main__":
    main()

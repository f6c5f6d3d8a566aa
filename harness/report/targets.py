"""The performance targets, checked against one run's numbers; and the distance to the floor.

The targets are loopbench's own goals for its loops, not a comparison of the libraries,
so the report does not show them (its "Distance to the floor" section uses
``floor_multiples`` and ``churn_crossover`` below); ``evaluate`` answers for them to
someone working on our loops, and its tests keep them honest.

Each :class:`Target` names two rows of the same run (a *subject*, one of our loops,
and a *reference*: asyncio, uvloop, trio, or a floor measured beside them) and a
threshold on their ratio. :func:`evaluate` turns a run into one :class:`Verdict` per
target: the measured ratio, the spread of both sides, and whether the target is met.

Ratios are always stated so that **bigger is better for the subject**:

``speed``     reference time / subject time (2.0: the subject does twice the work per second);
``at_most``   reference value / subject value for a "lower is better" value (memory,
              lateness): >= 1.0 means "no worse than the reference";
``within``    reference time / subject time against a floor: 0.5 means "within 2x of it".
``never_early`` the subject's earliest firing (``min`` lateness) is not below zero.
``report``    no threshold: both numbers are shown side by side (the thread-safe call).
``rate``      subject value / reference value for a "higher is better" harness value
              (requests per second): 1.3 means 30% more than the reference.

A target whose ratio lies within the measured noise of its threshold is "met" or
"not met" all the same, but says "(within noise)": the machine is shared, and the
report does not pretend to more precision than the rounds gave. Where a target is
not met, ``why`` is the reason found by profiling (kept next to the target).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..workloads.programs import (ARM_CANCEL_CHURN, CALL_SOON_CHAIN, SPAWN_JOIN, TASK_SWITCH, VIRTUAL_CLOCK_TIMERS,
                         Workload)
from ..stats.samples import relative_halfwidth
from .model import benchmark_runtime, dig, is_floor


@dataclass(frozen=True)
class Target:
    measure: str                 # what the issue calls it
    subject: str                 # runtime (row) under test
    reference: str               # runtime (row) it is compared with
    kind: str                    # speed | at_most | within | never_early | report
    threshold: float | None      # on the ratio (see the module docstring); None for "report"
    workload: Workload | str | None = None   # a micro-suite workload (or its name) ...
    scenario: str = ""           # ... or harness scenario ...
    path: tuple[str, ...] = ()   # ... and the metric in it
    reference_scenario: str = ""  # the reference's scenario, where it differs (asyncio's Protocol echo)
    unit: str = ""
    stretch: bool = False
    why: str = ""                # the profiled reason, shown when the target is not met
    note: str = ""               # shown always (what a "report" target's numbers mean)
    armed: int | None = None     # a churn-with-armed group: the N of timers armed

    @property
    def wanted(self) -> str:
        if self.kind == "report":
            return "reported side by side"
        if self.kind == "never_early":
            return f"{self.subject}: earliest firing >= 0"
        if self.kind == "at_most":
            return f"{self.subject} <= {self.reference}"
        if self.kind == "rate":
            return f"{self.subject} >= {self.threshold:g}x {self.reference}"
        if self.kind == "within":
            return f"{self.subject} within {1 / self.threshold:g}x of {self.reference}"
        return f"{self.subject} >= {self.threshold:g}x {self.reference}"


# The profiled reasons where a target is not met (measured numbers: docs/performance.md).
WHY_CHAIN_UVLOOP = (
    "Per callback the heap loop runs an iteration (_run_once, 31% of its own time under cProfile), "
    "call_soon (19%) and Handle._run (12%) around the callback, all bytecode; uvloop runs them in C "
    "but makes an epoll_pwait system call per iteration (strace: 20,001 for 20k callbacks), so the two are even (0.97-1.03x, loops "
    "driven directly, three interleaved runs). Building the Handle without its __init__ frame, and "
    "running it inline instead of through _run, each measured no difference beyond the noise; "
    "what is left is the lesson: a cancellable Handle per callback, an iteration, error isolation.")
WHY_SWITCH_ASYNCIO = (
    "A switch is a sleep(0): the sleep_for coroutine frame and the bare yield, Task._step (send, "
    "_wait_for), call_soon and a Handle, all bytecode; asyncio's Task is C (_asyncio) and only its "
    "loop's call_soon, Handle and _run_once are Python, with a select(0) system call per iteration.")
WHY_HOSTED_UVLOOP = (
    "heap+asyncio runs asyncio's C Task, but every step goes through the host's call_soon and an "
    "asyncio.Handle (both Python: asyncio's Handle class is pure Python) and our iteration; uvloop "
    "does all of that in C. Profiled: one host call_soon, one Handle.__init__, one Handle._run per "
    "switch, nothing else of ours.")
WHY_WHEEL_1M = (
    "The wheel shares call_at's checks, the TimerHandle and cancel() with the heap loop; only the "
    "push differs. heapq's push is C and, for a deadline drawn like its neighbours', climbs one or "
    "two levels on average whatever N (O(log n) is its worst case); the wheel's O(1) push is "
    "bytecode. At 1M armed the wheel measured 0.79x and 0.81x the heap in two five-process runs "
    "(see the crossover).")
ECHO_WHY = ("Profiled on an earlier run (heap sock_* 18.7k req/s against asyncio streams 26.5k at 1 KiB): "
            "each sock_recv that has to wait registers the socket with epoll and unregisters it when woken "
            "(an epoll_ctl pair per wait, where asyncio's transports keep the socket registered for the "
            "connection's life and read in the ready callback), and each wake-up costs an extra loop "
            "iteration: the reader callback resolves a future, and only the next iteration steps the task "
            "that retries recv. Fewer system calls per request is a change to the loop, not measured here.")


TARGETS: tuple[Target, ...] = (
    Target("call_soon chain, callbacks/s", "heap", "asyncio", "speed", 2.0, workload=CALL_SOON_CHAIN,
           why="Both loops are Python bytecode per callback (a Handle, a deque append and popleft, "
               "a _run call). asyncio does more: every call_soon copies the contextvars context "
               "(contextvars.copy_context() in Handle.__init__) and every callback runs inside "
               "Context.run; ours run in the caller's context (see coroutines.contextvars). On a "
               "noisy run the margin over 2x is within the spread."),
    Target("call_soon chain, callbacks/s", "heap", "uvloop", "speed", 1.3, workload=CALL_SOON_CHAIN,
           why=WHY_CHAIN_UVLOOP),
    Target("task switch, sleep(0) ping-pong", "heap", "asyncio", "speed", 1.5, workload=TASK_SWITCH,
           why=WHY_SWITCH_ASYNCIO),
    Target("task switch, sleep(0) ping-pong", "trampoline", "asyncio", "speed", 1.0, workload=TASK_SWITCH),
    Target("task switch, sleep(0) ping-pong", "heap+asyncio", "uvloop", "speed", 0.8, workload=TASK_SWITCH,
           why=WHY_HOSTED_UVLOOP),
    Target("spawn + join of trivial tasks", "heap", "asyncio", "speed", 1.5, workload=SPAWN_JOIN,
           why="asyncio's Task is C (_asyncio): creating and stepping one runs no bytecode of its own, "
               "while our Task.__init__, _step and the join's await are Python (see docs/performance.md); "
               "on a noisy machine asyncio's rounds spread by 20% or more, which can put a run below 1.5x."),
    Target("spawn + join of trivial tasks", "heap", "trio", "speed", 2.0, workload=SPAWN_JOIN),
    Target("timer arm + cancel churn", "heap", "asyncio", "speed", 2.0, workload=ARM_CANCEL_CHURN),
    Target("timer arm + cancel churn with 1M timers armed", "wheel", "heap", "speed", 1.0,
           workload="timers.churn_with_armed", armed=1_000_000,
           why=WHY_WHEEL_1M),
    Target("schedule + fire timers at random deadlines, virtual clock", "heap", "heapq-floor", "within", 0.5,
           workload=VIRTUAL_CLOCK_TIMERS,
           why="Every deadline is distinct, so each timer costs one loop iteration: the idle check, "
               "a virtual-clock jump, pop_due and running a Handle, on top of the push and pop the "
               "floor does."),
    Target("memory per sleeping task", "heap", "asyncio", "at_most", 1.0, scenario="memory.sleeping_task",
           path=("bytes_per_task",), unit="bytes"),
    Target("timer lateness, 1 ms sleeps, p99", "heap", "asyncio", "at_most", 1.0,
           scenario="latency.sleep_lateness", path=("perf_counter_us", "p99"), unit="µs",
           why="Both loops wait in the same epoll_wait through selectors, which rounds the timeout up "
               "to whole milliseconds, and wake the same way; the 1% tail is the machine's scheduling "
               "noise (a few of 500 samples), so which of the two is lower changes from run to run."),
    Target("timer lateness, 1 ms sleeps: never early (min)", "heap", "", "never_early", 0.0,
           scenario="latency.sleep_lateness", path=("perf_counter_us", "min"), unit="µs"),
    Target("TCP echo, 1 KiB, 10 connections: req/s", "heap", "asyncio", "rate", 1.3,
           scenario="io.echo", path=("1KiB", "rps"), unit="req/s", why=ECHO_WHY),
    Target("TCP echo, 1 KiB, 10 connections: req/s, against asyncio's Protocol API", "heap", "asyncio", "rate",
           1.0, scenario="io.echo", path=("1KiB", "rps"), reference_scenario="io.echo_protocols",
           unit="req/s", why=ECHO_WHY),
    Target("call_soon_threadsafe from another thread to run, p50", "thread", "asyncio", "report", None,
           scenario="latency.threadsafe", path=("latency_us", "p50"), unit="µs",
           note="The poster blocks after each post, so the GIL passes to the woken loop at once: this is "
                "the wake-up itself (thread loop: a put on the SimpleQueue its thread blocks on; "
                "asyncio: a byte on its self-pipe, seen by the selector)."),
    Target("the same while the poster keeps running Python, 5 ms switch interval, p50", "thread", "asyncio",
           "report", None, scenario="latency.threadsafe_busy_poster", path=("latency_us", "p50"), unit="µs",
           note="The GIL's switch interval: a loop thread woken while the poster runs bytecode gets the "
                "GIL only after asking for it and waiting sys.getswitchinterval() (5 ms by default), so "
                "p50 follows the interval. The thread loop's post (SimpleQueue.put) never releases the "
                "GIL, so it always waits; asyncio's post is a socket send(), a system call that drops "
                "the GIL, so its woken loop may take it first and run the callback before the post "
                "returns: a race, won or lost from run to run (ran_during_post in the results)."),
    Target("the same at a 0.5 ms switch interval, p50", "thread", "asyncio", "report", None,
           scenario="latency.threadsafe_busy_poster", path=("short_interval", "latency_us", "p50"), unit="µs",
           note="sys.setswitchinterval(0.0005): the thread loop's wait shrinks with the interval (to "
                "about 0.6 ms); the socket-based loops mostly win the race at this interval."),
)


@dataclass
class Side:
    runtime: str
    value: float | None = None
    spread: float | None = None
    status: str = "missing"      # ok | missing (not in this run) | a harness status
    source: str = ""             # group or scenario the value came from (with its size)
    note: str = ""


@dataclass
class Verdict:
    target: Target
    subject: Side
    reference: Side
    ratio: float | None = None
    met: bool | None = None      # None: not measured (or a "report" target)
    within_noise: bool = False

    @property
    def status(self) -> str:
        if self.target.kind == "report":
            return "reported" if self.subject.status == "ok" else "not measured"
        if self.met is None:
            return "not measured"
        return ("met" if self.met else "not met") + (" (within noise)" if self.within_noise else "")


def _workload_name(workload: Workload | str) -> str:
    return workload if isinstance(workload, str) else workload.name


def _bench_side(benchmark: dict | None, workload: Workload | str, runtime: str, armed: int | None = None) -> Side:
    side = Side(runtime)
    name = _workload_name(workload)
    for bench in (benchmark or {}).get("benchmarks", []):
        extra = bench.get("extra_info") or {}
        if extra.get("workload") != name or benchmark_runtime(bench) != runtime:
            continue
        if armed is not None and extra.get("armed") != armed:
            continue
        if extra.get("emulated"):
            side.status, side.note = "emulated", "built by the harness: not compared"
            return side
        group = bench.get("group") or name
        stats = bench.get("stats") or {}
        median, iqr, ci = stats.get("median"), stats.get("iqr"), stats.get("ci95")
        side.value = median
        # The spread is the 95% interval's full relative width where the run has one
        # (several processes), else the rounds' IQR over the median.
        halfwidth = relative_halfwidth(median, ci) if ci else None
        if halfwidth is not None:
            side.spread = 2 * halfwidth
        else:
            side.spread = iqr / median if (median and iqr is not None) else None
        side.status, side.source = "ok", group
        return side
    return side


def _harness_side(cells: dict, scenario: str, path: tuple[str, ...], runtime: str) -> Side:
    side = Side(runtime, source=scenario)
    record = cells.get((runtime, scenario))
    if record is None:
        return side
    if record["status"] != "observed":
        side.status, side.note = record["status"], record.get("reason") or record.get("error") or ""
        return side
    metrics = record.get("metrics") or {}
    side.value, side.spread = dig(metrics, path)
    if side.value is not None:
        side.status = "ok"
        if metrics.get("n"):
            side.source = f"{scenario} (N={metrics['n']:,})"
    return side


def _ratio(target: Target, subject: Side, reference: Side) -> float | None:
    if subject.value is None or reference.value is None or subject.value == 0:
        return None
    if target.kind == "rate":              # a "higher is better" value: requests per second
        return subject.value / reference.value if reference.value else None
    # Every other kind but "report" reads as reference / subject: times and "lower is better"
    # values alike, so that >= threshold means the subject did well enough.
    return reference.value / subject.value


def evaluate(benchmark: dict | None, cells: dict) -> list[Verdict]:
    """One verdict per target, from a run's benchmark.json and harness cells."""
    verdicts = []
    for target in TARGETS:
        if target.workload:
            subject = _bench_side(benchmark, target.workload, target.subject, target.armed)
            reference = _bench_side(benchmark, target.workload, target.reference, target.armed)
        else:
            subject = _harness_side(cells, target.scenario, target.path, target.subject)
            reference = (_harness_side(cells, target.reference_scenario or target.scenario, target.path,
                                       target.reference)
                         if target.reference else Side(""))
        verdict = Verdict(target, subject, reference)
        if target.kind == "never_early":
            if subject.value is not None:
                verdict.met = subject.value >= 0.0
        elif target.kind != "report":
            verdict.ratio = _ratio(target, subject, reference)
            if verdict.ratio is not None:
                verdict.met = verdict.ratio >= target.threshold
                noise = (subject.spread or 0.0) / 2 + (reference.spread or 0.0) / 2
                verdict.within_noise = abs(verdict.ratio / target.threshold - 1.0) <= noise
        verdicts.append(verdict)
    return verdicts


@dataclass
class FloorMultiple:
    runtime: str
    per_callback_ns: float
    multiple: float              # per-callback cost / the floor's per-callback cost
    #: The multiple's 95% interval: the runtime's interval over the floor's (its low end
    #: over the floor's high end, and the reverse), or None without ``stats["ci95"]``.
    interval: tuple[float, float] | None = None

    @property
    def interval_text(self) -> str:
        return f"{self.interval[0]:.1f}–{self.interval[1]:.1f}" if self.interval else "–"


def _per_op_ns(bench: dict) -> tuple[float | None, tuple[float, float] | None]:
    """(median, its 95% interval or None) in ns per operation, from a benchmark entry."""
    stats, ops = bench.get("stats") or {}, (bench.get("extra_info") or {}).get("ops_per_round")
    median, ci = stats.get("median"), stats.get("ci95")
    if not median or not ops:
        return None, None
    interval = (ci[0] / ops * 1e9, ci[1] / ops * 1e9) if ci and None not in ci else None
    return median / ops * 1e9, interval


def floor_multiples(benchmark: dict | None) -> tuple[float | None, list[FloorMultiple]]:
    """The floor's ns per callback, and each runtime's call_soon chain cost as a multiple of it."""
    floor: tuple[float | None, tuple[float, float] | None] = (None, None)
    chain: list[tuple[str, float, tuple[float, float] | None]] = []
    for bench in (benchmark or {}).get("benchmarks", []):
        extra = bench.get("extra_info") or {}
        if extra.get("workload") != CALL_SOON_CHAIN.name or extra.get("emulated"):
            continue
        ns, interval = _per_op_ns(bench)
        if ns is None:
            continue
        if is_floor(bench):
            floor = (ns, interval)
        else:
            chain.append((benchmark_runtime(bench) or "?", ns, interval))
    floor_ns, floor_ci = floor
    if not floor_ns:
        return None, []
    floor_low, floor_high = floor_ci or (floor_ns, floor_ns)
    return floor_ns, [FloorMultiple(rt, ns, ns / floor_ns,
                                    (interval[0] / floor_high, interval[1] / floor_low) if interval else None)
                      for rt, ns, interval in chain]


# ------------------------------------------------- the timer stores' crossover
#: The micro-suite's churn against the number of armed timers (``test_churn_scaling.py``).
CHURN_WITH_ARMED = "timers.churn_with_armed"


@dataclass
class ChurnCurve:
    store: str                                   # the loop: "heap" or "wheel"
    armed: list[int]                             # N, ascending
    ns: list[float]                              # ns per arm+cancel pair, median
    intervals: list[tuple[float, float] | None]  # its 95% interval


@dataclass
class Crossover:
    curves: dict[str, ChurnCurve]
    #: The smallest measured N from which on the wheel's median is below the heap's, or None.
    at: int | None
    #: What the report says: where, or that there is none below the largest N, and why.
    text: str


NO_CROSSOVER_WHY = (
    "A heap push is O(log n) only in the worst case: the new entry climbs while it is earlier than "
    "its parent, and a deadline drawn like those already near the top (the churned ones, cancelled "
    "but still stored) climbs one or two levels on average, whatever N. So heapq's push stays a few "
    "tuple comparisons in C, while the wheel's O(1) push is bytecode (a floor division, a level "
    "choice, an append, a bitmap and a per-slot minimum), about as costly or more up to this N.")


def _ahead(heap: tuple, wheel: tuple) -> str:
    """Which store's median is lower at one N, and whether their 95% intervals overlap."""
    (h, h_ci), (w, w_ci) = heap, wheel
    who = "wheel" if w < h else "heap"
    if h_ci and w_ci and h_ci[0] <= w_ci[1] and w_ci[0] <= h_ci[1]:
        who += " (intervals overlap)"
    return who


def churn_crossover(benchmark: dict | None) -> Crossover | None:
    """Both stores' churn cost against N, and the first N from which the wheel is ahead."""
    points: dict[str, dict[int, tuple[float, tuple[float, float] | None]]] = {}
    for bench in (benchmark or {}).get("benchmarks", []):
        extra = bench.get("extra_info") or {}
        if extra.get("workload") != CHURN_WITH_ARMED or extra.get("armed") is None:
            continue
        ns, interval = _per_op_ns(bench)
        if ns is not None:
            points.setdefault(benchmark_runtime(bench) or "?", {})[int(extra["armed"])] = (ns, interval)
    if not points:
        return None
    curves = {store: ChurnCurve(store, sorted(p), [p[n][0] for n in sorted(p)], [p[n][1] for n in sorted(p)])
              for store, p in points.items()}
    heap, wheel = points.get("heap", {}), points.get("wheel", {})
    common = sorted(set(heap) & set(wheel))
    at = None
    for i, n in enumerate(common):                # from n on, the wheel stays ahead
        if all(wheel[m][0] < heap[m][0] for m in common[i:]):
            at = n
            break
    per_n = ", ".join(f"{n:,}: {_ahead(heap[n], wheel[n])}" for n in common)
    if not common:
        text = "not measured: the run lacks the heap's or the wheel's churn rows"
    elif at is not None:
        text = (f"the wheel arms and cancels faster than the heap from {at:,} armed timers on "
                f"(ahead per N: {per_n})")
    else:
        text = (f"no crossover up to {common[-1]:,} armed timers: the wheel does not stay ahead "
                f"(ahead per N: {per_n}). " + NO_CROSSOVER_WHY)
    return Crossover(curves, at, text)


def _value_text(side: Side, unit: str) -> str:
    if side.value is None:
        return f"{side.runtime}: {side.status}" + (f" ({side.note})" if side.note else "")
    if not unit:                                   # a pytest-benchmark median, in seconds
        return f"{side.runtime} {side.value * 1e3:.4g} ms"
    return f"{side.runtime} {side.value:.4g} {unit}"


def _spread_text(side: Side) -> str:
    return f"{side.runtime} ±{side.spread * 50:.0f}%" if side.spread is not None else ""


def describe(verdict: Verdict) -> dict[str, str]:
    """Plain strings for a report row: measure, target, measured, spread, status, why."""
    t = verdict.target
    sides = [verdict.subject] + ([verdict.reference] if t.reference else [])
    values = ", ".join(_value_text(s, t.unit) for s in sides)
    if verdict.ratio is not None:
        measured = f"{verdict.ratio:.2f}× ({values})"
    else:
        measured = values
    return {
        "measure": t.measure + (" (stretch)" if t.stretch else ""),
        "target": t.wanted,
        "measured": measured,
        "source": verdict.subject.source or verdict.reference.source,
        "spread": ", ".join(x for x in (_spread_text(s) for s in sides) if x),
        "status": verdict.status,
        "why": t.why if verdict.met is False else "",
        "note": t.note,
    }

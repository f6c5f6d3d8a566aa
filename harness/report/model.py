"""From saved run data to what a report shows: no rendering here, only facts and ratios.

Inputs, all optional (an empty run is a valid, if short, report):

* ``results.jsonl``: harness records (``harness/results/records.py``);
* ``benchmark.json``: pytest-benchmark's JSON (``tests/bench``);
* ``environment.json``: the machine (``harness/execution/environment.py``).

The summary compares each runtime to **asyncio's default loop from the same run**
(asyncio = 1.00): for every measure, ``ratio = runtime's median / asyncio's
median``, with the measure's direction stated (lower or higher is better) and the
best runtime marked. A measure whose repeated rounds spread by more than
``NOISY_SPREAD`` of their median is flagged as noisy.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..results.records import latest_by_cell, load
from ..results.rundir import read_manifest
from ..stats.samples import WIDE, bootstrap_median_ci, bootstrap_percentile_ci, relative_halfwidth
from ..stats.descriptive import percentile
from ..stats.paired import paired_ratio, paired_ratios, relative_times
from ..workloads.programs import WORKLOADS, Workload

REFERENCE = "asyncio"
NOISY_SPREAD = 0.10
#: Wall time over CPU time above which a cell says the machine took the time.
MACHINE_TOOK = 1.3
STATUS_ORDER = ("pass", "fail", "observed", "unsupported", "error", "timeout")


@dataclass(frozen=True)
class Measure:
    key: str
    title: str
    better: str          # "lower" | "higher"
    unit: str
    scenario: str = ""                   # a harness latency scenario ...
    path: tuple[str, ...] = ()           # ... and the metric in its record
    workload: Workload | None = None     # or a micro-suite workload (its rate, from benchmark.json)
    ci_path: tuple[str, ...] = ()        # a cell measured once: its own 95% interval, if it has one
    samples_path: tuple[str, ...] = ()   # a percentile of raw samples (µs) at this path in each process ...
    percentile: float | None = None      # ... this one, of all the processes' samples pooled


#: A percentile q is shown only from at least ``TAIL_SAMPLES / (1 - q)`` samples (p90: 100,
#: p99: 1,000), so that at least this many samples lie beyond it: the summary's lateness
#: rows are p50 and p90, which the default profile's 300 samples a cell can carry.
TAIL_SAMPLES = 10


def samples_needed(q: float) -> int:
    """The fewest samples the ``q``-th percentile (0..100) is shown from."""
    return math.ceil(TAIL_SAMPLES / max(1e-9, 1 - q / 100) - 1e-6)


def enough_samples(q: float, n: int) -> bool:
    """Are ``n`` samples enough to show the ``q``-th percentile (0..100)?"""
    return n >= samples_needed(q)


def _lateness(key: str, call: str, scenario: str, percentile: str) -> Measure:
    """A percentile (``"p50"``, ``"p90"``) of how late ``call`` woke, in µs, from the
    ``perf_counter_us`` distribution of a lateness scenario."""
    return Measure(key, f"{call} lateness, {percentile}", "lower", "µs", scenario, ("perf_counter_us", percentile),
                   samples_path=("samples_perf_us",), percentile=float(percentile[1:]))


#: The summary's measures taken from harness latency records. The throughput rows come
#: from the micro-suite, one per workload (``WORKLOADS``), in ``benchmark_rows``.
HARNESS_MEASURES = (
    Measure("switch_event", "hand-off between two tasks via events", "lower", "µs",
            "latency.switch_event", ("handoff_us",)),
    _lateness("sleep_p50", "sleep(1 ms)", "latency.sleep_lateness", "p50"),
    _lateness("sleep_p90", "sleep(1 ms)", "latency.sleep_lateness", "p90"),
    _lateness("deadline_p90", "sleep_until(+1 ms)", "deadlines.lateness", "p90"),
    _lateness("call_at_p90", "call_at(+1 ms)", "latency.call_at_lateness", "p90"),
    Measure("memory", "memory per sleeping task (tracemalloc)", "lower", "bytes",
            "memory.sleeping_task", ("bytes_per_task",)),
    Measure("memory_rss", "memory per sleeping task (RSS growth)", "lower", "bytes",
            "memory.sleeping_task", ("rss_bytes_per_task",)),
    Measure("echo_1k", "TCP echo, 1 KiB messages, 10 connections", "higher", "req/s",
            "io.echo", ("1KiB", "rps"), ci_path=("1KiB", "rps_ci95")),
    Measure("socketpair_p50", "socket pair round trip, p50", "lower", "µs",
            "io.socketpair_latency", ("round_trip_us", "p50")),
)


def workload_measure(wl: Workload, ops: int | None = None) -> Measure:
    """The summary measure of a workload; ``ops``: the operations per round the run recorded
    (its N, whatever the profile in force now says)."""
    n = ops // wl.ops_per_n if ops else wl.n
    return Measure(f"workload:{wl.name}", f"{wl.title} (N={n:,}): {wl.unit}/s", "higher", f"{wl.unit}/s",
                   workload=wl)


@dataclass
class Cell:
    """One measure on one runtime."""
    value: float | None = None
    spread: float | None = None       # (max - min) / median of repeated rounds, when known
    ratio: float | None = None        # value / reference value
    best: bool = False
    status: str = "ok"                # ok | emulated | unsupported | error | timeout | missing
    note: str = ""
    ci: tuple[float, float] | None = None   # 95% interval of the value, from several processes
    samples: list[float] | None = None      # a sampled harness cell: the value in each process
    #: A micro-suite cell: the ratio's own 95% interval, paired round by round with the
    #: reference (``harness.stats.paired``); None where it could not be paired.
    ratio_ci: tuple[float, float] | None = None
    rounds: dict[str, float] | None = None  # a micro-suite cell: seconds per round, by round
    clock: str = ""                          # "cpu" | "wall": the clock of the value
    #: Wall time over CPU time of the cell's rounds: well above 1, the machine took the time.
    wall_per_cpu: float | None = None

    @property
    def halfwidth(self) -> float | None:
        """The interval's half-width as a fraction of the value (0.05: ±5%), when there is one."""
        return relative_halfwidth(self.value, self.ci) if self.ci else None

    @property
    def wide(self) -> bool:
        """An interval wider than ±5%: marked, and never the best. A ratio paired round by
        round is judged by its own interval, not by its value's."""
        if self.ratio_ci is not None:
            return self.ratio_halfwidth is not None and self.ratio_halfwidth > WIDE
        return self.halfwidth is not None and self.halfwidth > WIDE

    @property
    def ratio_halfwidth(self) -> float | None:
        """The paired ratio's interval half-width as a fraction of it, when there is one."""
        if self.ratio_ci is None or not self.ratio:
            return None
        return max(self.ratio / self.ratio_ci[0] - 1, self.ratio_ci[1] / self.ratio - 1)

    @property
    def machine_took_time(self) -> bool:
        """A CPU-clock cell whose wall time was much longer than its CPU time: the process
        waited for a core (the CPU-time value is still the runtime's own)."""
        return self.wall_per_cpu is not None and self.wall_per_cpu > MACHINE_TOOK


@dataclass
class Row:
    measure: Measure
    cells: dict[str, Cell] = field(default_factory=dict)
    source: str = "harness"           # harness | pytest-benchmark

    @property
    def noisy(self) -> bool:
        return any((c.spread is not None and c.spread > NOISY_SPREAD) or c.wide for c in self.cells.values())

    @property
    def precision(self) -> float | None:
        """The widest paired-ratio half-width in the row (0.05: every ratio within ±5%)."""
        widths = [c.ratio_halfwidth for c in self.cells.values() if c.status == "ok" and c.ratio_halfwidth is not None]
        return max(widths) if widths else None


def at(metrics: Any, path: tuple[str, ...]) -> Any:
    """The node at ``path`` in a record's metrics, or None."""
    node = metrics
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def dig(metrics: dict, path: tuple[str, ...]) -> tuple[float | None, float | None]:
    """``(value, spread)`` at ``path`` in a record's metrics; a ``{"median", "spread"}`` node
    gives both, a number gives ``(number, None)``, anything else ``(None, None)``."""
    node = at(metrics, path)
    if node is None:
        return None, None
    if isinstance(node, dict):
        med = node.get("median")
        return (float(med) if med is not None else None), node.get("spread")
    return (float(node) if isinstance(node, (int, float)) else None), None


def process_values(record: dict, path: tuple[str, ...]) -> list[float]:
    """The value at ``path`` in each process of a sampled cell (``metrics_by_process``);
    [] for a cell measured in one process."""
    return [v for v in (dig(m, path)[0] for m in record.get("metrics_by_process") or []) if v is not None]


def pooled_percentile(record: dict, measure: Measure) -> tuple[float, tuple[float, float]] | None:
    """(value, 95% interval) of ``measure.percentile`` over every process's raw samples
    pooled, the interval by a hierarchical bootstrap (processes, then samples within);
    None where the record has no raw samples from several processes."""
    if not measure.samples_path or measure.percentile is None:
        return None
    groups = [[float(v) for v in node] for node in (at(m, measure.samples_path)
                                                   for m in record.get("metrics_by_process") or [])
              if isinstance(node, list) and node]
    if len(groups) < 2:
        return None
    q = measure.percentile
    value = percentile(sorted(v for g in groups for v in g), q)
    return value, bootstrap_percentile_ci(groups, q)


def is_lateness(measure: Measure) -> bool:
    """A lateness percentile (µs): shown as latency with its interval, never as a ratio
    (a ratio of two noisy tails reads as ±1000%)."""
    return measure.percentile is not None and measure.unit == "µs"


def pooled_samples(record: dict, measure: Measure) -> int:
    """How many raw samples a percentile cell pools (0 where it has none)."""
    if not measure.samples_path:
        return 0
    nodes = [at(m, measure.samples_path) for m in record.get("metrics_by_process") or [record.get("metrics") or {}]]
    return sum(len(node) for node in nodes if isinstance(node, list))


def own_interval(record: dict, measure: Measure) -> tuple[float, float] | None:
    """The interval a cell measured in one process recorded itself (``Measure.ci_path``)."""
    node = at(record.get("metrics", {}), measure.ci_path) if measure.ci_path else None
    if isinstance(node, list) and len(node) == 2 and all(isinstance(v, (int, float)) for v in node):
        return (float(node[0]), float(node[1]))
    return None


def process_spread(values: list[float]) -> float | None:
    """(max - min) / median of values from several processes."""
    median = statistics.median(values)
    return (max(values) - min(values)) / abs(median) if median else None


def _finish_row(row: Row, runtimes: list[str]) -> Row:
    ref = row.cells.get(REFERENCE)
    ref_value = ref.value if ref and ref.status == "ok" and not is_lateness(row.measure) else None
    usable = {rt: c for rt, c in row.cells.items() if c.status == "ok" and c.value is not None}
    for cell in usable.values():
        if ref_value:
            cell.ratio = cell.value / ref_value
    # The best: the best value of all, marked only if its interval (if any) is within ±5%
    # and no other cell's interval reaches into its own (a tie within the intervals has no best).
    if usable:
        lower = row.measure.better == "lower"
        best = (min if lower else max)(usable.values(), key=lambda c: c.value)
        rivals = [c for c in usable.values() if c is not best]
        if not best.wide and not any(_overlaps(best, c) or not _clear_gap(best, c, lower) for c in rivals):
            best.best = True
    for rt in runtimes:
        row.cells.setdefault(rt, Cell(status="missing"))
    return row


#: The smallest gap to every rival for a "best" (fastest, least memory): a 1% gap is a tie.
SEPARATION = 0.05


def _clear_gap(best: Cell, rival: Cell, lower: bool) -> bool:
    """``best`` is ahead of ``rival`` by at least ``SEPARATION``."""
    if lower:
        return best.value * (1 + SEPARATION) <= rival.value
    return best.value >= rival.value * (1 + SEPARATION)


def _paired_best(row: Row) -> None:
    """A micro-suite row's best, decided round by round: the fastest cell is the best only if
    its rate over every other runtime's, paired by round, has a 95% interval above 1 and is
    at least ``SEPARATION`` ahead."""
    usable = [c for c in row.cells.values() if c.status == "ok" and c.value is not None and c.rounds]
    if len(usable) < 2:
        return
    for cell in row.cells.values():
        cell.best = False
    best = max(usable, key=lambda c: c.value)
    for rival in usable:
        if rival is best:
            continue
        ratio = paired_between(best, rival)
        if ratio is None or ratio.low is None or ratio.low <= 1 or ratio.ratio < 1 + SEPARATION:
            return
    best.best = True


def _overlaps(a: Cell, b: Cell) -> bool:
    """True if the two values cannot be told apart: their intervals (or points) meet."""
    lo_a, hi_a = a.ci or (a.value, a.value)
    lo_b, hi_b = b.ci or (b.value, b.value)
    return lo_a <= hi_b and lo_b <= hi_a


def harness_rows(cells: dict[tuple[str, str], dict], runtimes: list[str]) -> list[Row]:
    """The summary rows read from harness records: ``HARNESS_MEASURES``, then each workload
    measured by its ``workload.*`` scenario (``loopbench run``; ``make bench`` times them in
    the micro-suite instead, so there these rows are empty and left out)."""
    rows = []
    by_scenario = [Measure(f"workload:{wl.name}", f"{wl.label}: {wl.unit}/s", "higher", f"{wl.unit}/s",
                           f"workload.{wl.name}", ("rate_per_s",)) for wl in WORKLOADS.values()]
    for measure in (*HARNESS_MEASURES, *by_scenario):
        row = Row(measure)
        for rt in runtimes:
            record = cells.get((rt, measure.scenario))
            if record is None:
                continue
            status = record["status"]
            if status != "observed":
                row.cells[rt] = Cell(status=status, note=record.get("reason") or record.get("error", ""))
                continue
            value, spread = dig(record.get("metrics", {}), measure.path)
            if value is None:
                continue
            values = process_values(record, measure.path)
            if measure.percentile is not None and measure.samples_path:
                n = pooled_samples(record, measure)
                if n and not enough_samples(measure.percentile, n):
                    row.cells[rt] = Cell(status="few samples", note=(
                        f"p{measure.percentile:g} needs at least {samples_needed(measure.percentile):,} "
                        f"samples; this cell has {n:,}"))
                    continue
            pooled = pooled_percentile(record, measure)
            if pooled is not None:                     # a percentile of every process's samples
                value, ci = pooled
            elif len(values) > 1:                      # the median of the processes' values
                ci = bootstrap_median_ci([[v] for v in values])
            else:                                      # one process: its own interval, if any
                ci = own_interval(record, measure)
            if len(values) > 1:
                spread = process_spread(values)
            if record.get("support") == "emulated":   # built by the harness: never compared
                row.cells[rt] = Cell(value=value, spread=spread, status="emulated",
                                     note=", ".join(record.get("emulated_ops") or []))
                continue
            row.cells[rt] = Cell(value=value, spread=spread, ci=ci, samples=values or None)
        if row.cells:
            rows.append(_finish_row(row, runtimes))
    return rows


def benchmark_runtime(bench: dict) -> str | None:
    """The runtime a pytest-benchmark entry measured (its ``runtime`` param or extra_info)."""
    extra = bench.get("extra_info") or {}
    params = bench.get("params") or {}
    return extra.get("runtime") or params.get("runtime") or bench.get("param")


def is_floor(bench: dict) -> bool:
    """A floor row (plain Python doing the least work a measure can take), not a runtime.

    Floors are read by ``targets.py`` (the distance to the floor); they are neither a
    column of the summary nor a runtime of the run.
    """
    return (bench.get("extra_info") or {}).get("family") == "floor"


def benchmark_rows(benchmark: dict | None, runtimes: list[str]) -> list[Row]:
    """One row per workload of the micro-suite: operations per second (median round) on the
    workload's clock, with a 95% interval; the ratio to asyncio paired round by round
    (``harness.stats.paired``) with its own interval. A runtime whose timed operation the
    harness builds is shown as "emulated", never as a number; a cell the micro-suite skipped
    keeps its place with the reason (``unsupported`` or ``skipped``)."""
    if not benchmark:
        return []
    rows: dict[str, Row] = {}
    # Workloads measured in duets with the reference: their cells' per-round times are
    # relative to the reference's (comparable across runtimes round by round).
    duets = {(b.get("extra_info") or {}).get("workload") for b in benchmark.get("benchmarks", [])
             if (b.get("extra_info") or {}).get("relative_medians")}
    for bench in benchmark.get("benchmarks", []):
        extra = bench.get("extra_info") or {}
        wl = WORKLOADS.get(extra.get("workload", ""))
        rt = benchmark_runtime(bench)
        if wl is None or rt is None or is_floor(bench):
            continue
        stats = bench.get("stats", {})
        median, iqr, ops = stats.get("median"), stats.get("iqr"), extra.get("ops_per_round")
        row = rows.setdefault(wl.name, Row(workload_measure(wl, ops), source="pytest-benchmark"))
        if not median or not ops:
            continue
        ci = stats.get("ci95")
        cell = Cell(value=ops / median, spread=None if ci else (iqr / median) if iqr is not None else None,
                    ci=(ops / ci[1], ops / ci[0]) if ci and ci[0] > 0 else None,
                    rounds=relative_times(extra, REFERENCE) if wl.name in duets else extra.get("round_medians"),
                    clock=extra.get("clock", ""),
                    wall_per_cpu=extra.get("wall_per_cpu"))
        if extra.get("emulated"):
            cell.status, cell.note = "emulated", ", ".join(extra["emulated"])
        row.cells[rt] = cell
    for skip in benchmark.get("skipped") or []:
        row = rows.get(skip.get("workload", ""))
        wl = WORKLOADS.get(skip.get("workload", ""))
        if wl is None or not skip.get("runtime"):
            continue
        if row is None:
            row = rows[wl.name] = Row(workload_measure(wl), source="pytest-benchmark")
        reason = skip.get("reason") or ""
        status = "unsupported" if reason.startswith(("unsupported", "not a library")) else \
            "unavailable" if reason.startswith("unavailable") else "skipped"
        row.cells.setdefault(skip["runtime"], Cell(status=status, note=reason))
    paired = paired_ratios(benchmark, REFERENCE)
    out = []
    for name in WORKLOADS:
        if name not in rows:
            continue
        row = _finish_row(rows[name], runtimes)
        for rt, cell in row.cells.items():
            ratio = paired.get((name, rt))
            if ratio is not None and cell.status == "ok":
                cell.ratio = ratio.ratio
                cell.ratio_ci = (ratio.low, ratio.high) if ratio.low is not None else None
        _paired_best(row)
        out.append(row)
    return out


def paired_between(a: Cell, b: Cell):
    """``a``'s rate over ``b``'s, paired round by round (``harness.stats.paired``), or None."""
    if not a.rounds or not b.rounds:
        return None
    return paired_ratio(a.rounds, b.rounds)


@dataclass
class BuiltRow:
    """One measure where some runtime's timed operation is built by the harness: those
    runtimes' values, beside asyncio's own and the control's (the same emulation on asyncio)."""
    title: str
    unit: str
    better: str
    cells: list[tuple[str, str, float, str]]     # (runtime, "emulated" | "native" | "control", value, note)


def built_rows(rows: list[Row], controls: set[str]) -> list[BuiltRow]:
    out = []
    for row in rows:
        emulated = [(rt, c) for rt, c in row.cells.items() if c.status == "emulated" and rt not in controls]
        if not emulated:
            continue
        cells = [(rt, "emulated", c.value, c.note) for rt, c in emulated]
        ref = row.cells.get(REFERENCE)
        if ref is not None and ref.value is not None and ref.status == "ok":
            cells.append((REFERENCE, "native", ref.value, "the library's own operation"))
        for rt in sorted(controls):
            c = row.cells.get(rt)
            if c is not None and c.value is not None:
                cells.append((rt, "control", c.value, "the same emulation on asyncio"))
        out.append(BuiltRow(row.measure.title, row.measure.unit, row.measure.better, cells))
    return out


@dataclass
class Outcome:
    letter: str
    trace: list
    runtimes: list[str]


@dataclass
class BehaviourRow:
    scenario: str
    doc: str
    explain: str
    expected: list | None
    cells: dict[str, dict]            # runtime -> {"status", "letters", "text", "reason"}
    outcomes: list[Outcome]
    timing_sensitive: bool = False    # its outcome depends on the real clock: it ran with a core to itself


    @property
    def agree(self) -> bool:
        return len(self.outcomes) <= 1


def _letter(index: int) -> str:
    """A, B, ... Z, then AA, AB, ...: one name per distinct outcome, however many."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def behaviour_rows(cells: dict[tuple[str, str], dict], runtimes: list[str],
                   scenarios: dict[str, dict] | None = None) -> list[BehaviourRow]:
    """One row per behaviour scenario; ``scenarios``: the run's manifest entries (``run.json``),
    which say which outcomes depend on the real clock."""
    scenarios_info = scenarios or {}
    scenarios: dict[str, list[dict]] = {}
    for (rt, scn), record in cells.items():
        if record.get("kind") == "behaviour":
            scenarios.setdefault(scn, []).append(record)
    rows = []
    for scn in sorted(scenarios):
        records = {r["runtime"]: r for r in scenarios[scn]}
        first = next(iter(records.values()))
        expected = first.get("expected")
        letters: dict[str, str] = {}
        traces: dict[str, list] = {}
        who: dict[str, list[str]] = {}
        # The expected trace, if any, is always "A"; then outcomes in runtime order.
        if expected is not None:
            key = json.dumps(expected)
            letters[key], traces[key], who[key] = "A", expected, []
        row_cells: dict[str, dict] = {}
        for rt in runtimes:
            record = records.get(rt)
            if record is None:
                row_cells[rt] = {"status": "missing", "letters": "", "text": "", "reason": ""}
                continue
            status = record["status"]
            parts = []
            for outcome in record.get("outcomes") or []:
                key = json.dumps(outcome["trace"])
                if key not in letters:
                    letters[key] = _letter(len(letters))
                    traces[key], who[key] = outcome["trace"], []
                who[key].append(rt)
                parts.append((letters[key], outcome["count"]))
            total = sum(n for _, n in parts)
            text = " ".join(f"{letter} {n}/{total}" for letter, n in parts)           # every cell says its n/N
            differs = bool(record.get("differs_from_contract"))
            row_cells[rt] = {"status": "observed ≠ contract" if differs else status, "letters": text, "parts": parts,
                             "deterministic": record.get("deterministic", True), "differs": differs,
                             "judged_by": record.get("judged_by", ""),
                             "emulated": record.get("support") == "emulated",
                             "reason": record.get("reason") or record.get("error") or ""}
        outcomes = [Outcome(letters[k], traces[k], who[k]) for k in letters if who[k] or expected is None]
        if expected is not None and not who[json.dumps(expected)]:
            outcomes.insert(0, Outcome("A", expected, []))
        rows.append(BehaviourRow(scn, first.get("doc", ""), first.get("explain", ""), expected, row_cells,
                                 sorted(outcomes, key=lambda o: o.letter),
                                 bool((scenarios_info.get(scn) or {}).get("timing_sensitive"))))
    return rows


@dataclass
class ScalingCurve:
    runtime: str
    n: list[int]
    per_op_us: list[float]
    slope: float | None
    note: str


def scaling_curves(cells: dict[tuple[str, str], dict], runtimes: list[str]) -> dict[str, list[ScalingCurve]]:
    out: dict[str, list[ScalingCurve]] = {}
    for (rt, scn), record in sorted(cells.items(), key=lambda kv: (kv[0][1], runtimes.index(kv[0][0])
                                                                  if kv[0][0] in runtimes else 99)):
        if not scn.startswith("scaling.") or record["status"] != "observed":
            continue
        m = record.get("metrics", {})
        out.setdefault(scn, []).append(ScalingCurve(rt, m.get("n", []), m.get("per_op_us", []),
                                                    m.get("slope"), m.get("note", "")))
    return out


def lateness_samples(cells: dict[tuple[str, str], dict]) -> dict[str, dict[str, list[float]]]:
    out: dict[str, dict[str, list[float]]] = {}
    for (rt, scn), record in cells.items():
        samples = (record.get("metrics") or {}).get("samples_perf_us")
        if samples and record["status"] == "observed":
            out.setdefault(scn, {})[rt] = samples
    return out


@dataclass
class EarlyRow:
    """How early a runtime's timers fired in one lateness scenario (µs; negative = early)."""
    scenario: str
    runtime: str
    min_perf_us: float | None
    early_perf: int
    min_runtime_clock_us: float | None
    early_runtime_clock: int
    samples: int
    emulated: bool


def early_firings(cells: dict[tuple[str, str], dict], runtimes: list[str]) -> list[EarlyRow]:
    """Per lateness scenario and runtime: the earliest firing and how many fired early, by the
    wall clock (perf_counter) and by the runtime's own clock."""
    rows = []
    for (rt, scn), record in sorted(cells.items(), key=lambda kv: (kv[0][1], _order(runtimes, kv[0][0]))):
        m = record.get("metrics") or {}
        if record.get("status") != "observed" or "early_perf_counter" not in m:
            continue
        perf, own = m.get("perf_counter_us") or {}, m.get("runtime_clock_us") or {}
        rows.append(EarlyRow(scn, rt, perf.get("min"), m.get("early_perf_counter", 0), own.get("min"),
                             m.get("early_runtime_clock", 0), perf.get("n", 0),
                             record.get("support") == "emulated"))
    return rows


def _order(runtimes: list[str], rt: str) -> int:
    return runtimes.index(rt) if rt in runtimes else len(runtimes)


#: The echo benchmark's scenarios: the runtime's own server idiom, and asyncio's Protocol API.
ECHO_SCENARIOS = {"io.echo": "own idiom", "io.echo_protocols": "asyncio Protocol"}


@dataclass
class EchoCell:
    """One runtime, one server idiom, one message size of the echo benchmark."""
    rps: float
    p50_us: float | None
    p99_us: float | None
    requests: int
    of_floor: float | None        # rps / the floor's rps measured just before, in the same cell
    floor_rps: float | None
    rps_ci: tuple[float, float] | None = None   # 95% interval of rps, over slices of the run
    cpu_us: float | None = None   # the server process's CPU time per request (µs): steady on shared cores

    @property
    def rps_text(self) -> str:
        """``12,345 ±6% · 41 µs CPU/req``: the rate and its interval's half-width, when it has
        one, and the server's CPU time per request, when recorded."""
        halfwidth = relative_halfwidth(self.rps, self.rps_ci) if self.rps_ci else None
        return (fmt(self.rps) + (f" ±{halfwidth:.0%}" if halfwidth is not None else "")
                + (f" · {fmt(self.cpu_us)} µs CPU/req" if self.cpu_us is not None else ""))


@dataclass
class EchoRow:
    runtime: str
    idiom: str                    # "own idiom" (the library's own server) | "asyncio Protocol"
    cells: dict[str, EchoCell]    # size label -> cell
    status: str = "observed"
    note: str = ""


@dataclass
class EchoTable:
    sizes: list[str]
    rows: list[EchoRow]
    floor: dict[str, tuple[float, float, float]]   # size -> (median, min, max) of the floors measured
    connections: int | None


def echo_table(cells: dict[tuple[str, str], dict], runtimes: list[str]) -> EchoTable | None:
    """The echo benchmark per runtime and size, with the floor (blocking sockets in threads)."""
    import statistics

    rows, sizes, floors, connections = [], [], {}, None
    for scenario, idiom in ECHO_SCENARIOS.items():
        for rt in runtimes:
            record = cells.get((rt, scenario))
            if record is None or (record["status"] == "unsupported" and scenario == "io.echo_protocols"):
                continue
            if record["status"] != "observed":
                rows.append(EchoRow(rt, idiom, {}, record["status"],
                                    record.get("reason") or record.get("error") or ""))
                continue
            m = record.get("metrics") or {}
            connections = m.get("connections", connections)
            row = EchoRow(rt, idiom, {})
            for size in m.get("sizes", []):
                entry = m.get(size) or {}
                if size not in sizes:
                    sizes.append(size)
                floor = entry.get("floor") or {}
                if floor.get("rps"):
                    floors.setdefault(size, []).append(floor["rps"])
                latency = entry.get("latency_us") or {}
                ci = entry.get("rps_ci95")
                row.cells[size] = EchoCell(entry.get("rps", 0.0), latency.get("p50"), latency.get("p99"),
                                           entry.get("requests", 0), entry.get("of_floor"), floor.get("rps"),
                                           tuple(ci) if isinstance(ci, list) and len(ci) == 2 else None,
                                           entry.get("server_cpu_us_per_request"))
            rows.append(row)
    if not rows:
        return None
    return EchoTable(sizes, rows, {size: (statistics.median(v), min(v), max(v)) for size, v in floors.items()},
                     connections)


#: Families of runtimes a run directory written before manifests did not record (by name).
OLD_FAMILIES = {"asyncio": "asyncio", "asyncio-eager": "asyncio", "uvloop": "asyncio", "rloop": "asyncio",
                "asyncio-emulated": "asyncio", "trio": "structured", "curio": "structured",
                "curio -O": "structured", "anyio-asyncio": "structured", "anyio-trio": "structured",
                "tinyio": "structured"}
OLD_CONTROLS = frozenset({"asyncio-emulated"})
FAMILY_ORDER = ("ours", "asyncio", "structured")


@dataclass
class RunData:
    directory: Path
    records: list[dict]
    cells: dict[tuple[str, str], dict]
    runtimes: list[str]
    environment: dict
    benchmark: dict | None
    manifest: dict = field(default_factory=dict)

    @property
    def described(self) -> dict[str, dict]:
        """Each runtime as the run described it (``run.json``): family, control, about."""
        return {e["name"]: e for e in self.manifest.get("runtimes") or [] if isinstance(e, dict) and "name" in e}

    @property
    def controls(self) -> set[str]:
        if self.manifest.get("runtimes"):
            return {name for name, e in self.described.items() if e.get("control")} & set(self.runtimes)
        return set(OLD_CONTROLS) & set(self.runtimes)

    def family(self, runtime: str) -> str:
        """``"ours"``, ``"asyncio"`` or ``"structured"``: which table a runtime's column goes in."""
        entry = self.described.get(runtime)
        if entry and entry.get("family") in FAMILY_ORDER:
            return entry["family"]
        # A run written before manifests: every peer it could hold is named here; the rest are our loops.
        return OLD_FAMILIES.get(runtime, OLD_FAMILIES.get(runtime.split(" ")[0], "ours"))

    def about(self, runtime: str) -> list[str]:
        return list((self.described.get(runtime) or {}).get("about") or [])


def load_run(directory: Path) -> RunData:
    directory = Path(directory)
    records = load(directory / "results.jsonl")
    cells = latest_by_cell(records)
    runtimes: list[str] = []
    for r in records:
        if r["runtime"] not in runtimes:
            runtimes.append(r["runtime"])
    env_path = directory / "environment.json"
    environment = json.loads(env_path.read_text()) if env_path.exists() else (records[0].get("env", {}) if records else {})
    bench_path = directory / "benchmark.json"
    benchmark = json.loads(bench_path.read_text()) if bench_path.exists() else None
    if benchmark:
        for bench in benchmark.get("benchmarks", []):
            rt = benchmark_runtime(bench)
            if rt and rt not in runtimes and not is_floor(bench):
                runtimes.append(rt)
    data = RunData(directory, records, cells, runtimes, environment, benchmark, read_manifest(directory))
    data.runtimes = _in_run_order(data)
    return data


def _in_run_order(data: RunData) -> list[str]:
    """By family (ours, the asyncio family, the rest), then in the order the run's manifest
    lists them (cells finish in any order); a run without one keeps first-seen order."""
    order = {name: i for i, name in enumerate(data.described)}
    seen = {rt: i for i, rt in enumerate(data.runtimes)}
    return sorted(data.runtimes, key=lambda rt: (FAMILY_ORDER.index(data.family(rt)),
                                                  order.get(rt, len(order) + seen[rt])))


def fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def times_better(measure: Measure, cell: Cell) -> float | None:
    """How many times better than asyncio a cell is, whichever way its measure points:
    asyncio's value over the cell's for a time (lower is better), the cell's over asyncio's
    for a rate. Higher is better, always: the one direction the report, the terminal and the
    cards use."""
    if cell.ratio is None or cell.ratio <= 0:
        return None
    return cell.ratio if measure.better == "higher" else 1 / cell.ratio

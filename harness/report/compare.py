"""Compare two runs, B against A: what changed, and whether the change is more than noise.

What is compared, per workload of the micro-suite and runtime:

* a runtime measured in paired rounds beside asyncio (``harness.stats.paired``): its
  **ratio to asyncio**, round by round. What the machine did to a whole round (another
  program on the cores, a slower moment of a shared VM) it did to asyncio too, so a change
  of load between the two runs does not read as a change of the runtime;
* asyncio itself, and rows with no pairing: the rate of each round (each process's median).

The harness's latency and memory rows were measured in several processes (sampled cells):
their per-process values are compared the same way. All on the log scale, with Welch's t
interval of the change B / A (scipy). A change is **significant** only when that 95%
interval excludes 1 *and* the change is larger than ``MIN_CHANGE`` (5%): smaller changes
are within what two runs of identical code show. A measure with one value per run (a cell
measured in one process) is compared by its spread instead, and says so. ``--fail-on PCT``
turns a change worse than PCT percent into exit status 1, for CI, when it stays significant
under Holm's correction for every cell tested: a gate over 190 cells at 5% each would fail
two runs of identical code nearly every time.

Each run's load is read from its pre-flight probe (the share of the probe's wall time it
got on the CPU) and said beside the results. Runs that cannot be compared are refused with
the reason (``RunDirError``): different profiles, or the same workload at different sizes.
Two runs from different machines or interpreters are compared, but the differences of
environment are listed first.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from ..results.records import RunDirError, run_profile
from ..stats.paired import paired_ratios
from .document import Cell, Code, Heading, Para, Prose, Strong, Table, render_markdown
from .model import REFERENCE, behaviour_rows, benchmark_rows, harness_rows, load_run

ALPHA = 0.05
MIN_CHANGE = 0.05          # the smallest change called significant, and the spread rule's floor
ENVIRONMENT_KEYS = ("python", "implementation", "cpu", "cpu_count", "machine", "os")


@dataclass
class Change:
    measure: str
    runtime: str
    a: float
    b: float
    better: str                       # "higher" | "lower"
    p_value: float | None = None      # Welch's t on the logs, two-sided; None: too few values to test
    noise: float = MIN_CHANGE         # the spread rule's threshold, when p_value is None
    unit: str = ""
    interval: tuple[float, float] | None = None   # 95% interval of B / A
    #: A value in units of time measured on its own (not a paired ratio), in two runs whose
    #: machines were not equally loaded: its change may be the machine's, and is not a verdict.
    machine: bool = False

    @property
    def ratio(self) -> float:
        return self.b / self.a if self.a else float("nan")

    @property
    def significant(self) -> bool:
        if self.machine or abs(self.ratio - 1) <= MIN_CHANGE or math.isnan(self.ratio):
            return False
        if self.interval is not None:
            return self.interval[0] > 1 or self.interval[1] < 1
        if self.p_value is not None:
            return self.p_value < ALPHA
        return abs(self.ratio - 1) > self.noise

    @property
    def worse_by(self) -> float:
        """How much worse B is, as a fraction (0.1: 10% worse); negative when better."""
        return (1 - self.ratio) if self.better == "higher" else (self.ratio - 1)

    @property
    def verdict(self) -> str:
        if self.machine and abs(self.ratio - 1) > MIN_CHANGE:
            return "the machine's load changed"
        if not self.significant:
            return "no significant change" if (self.p_value is not None or self.interval) else "within noise"
        return "WORSE" if self.worse_by > 0 else "better"

    @property
    def test(self) -> str:
        if self.interval is not None:
            return f"95% CI {self.interval[0]:.2f}–{self.interval[1]:.2f}"
        return f"p={self.p_value:.3f}" if self.p_value is not None else f"spread ±{self.noise:.0%}"


@dataclass
class Comparison:
    a: Path
    b: Path
    profile: str | None
    changes: list[Change] = field(default_factory=list)
    status_changes: list[tuple[str, str, str, str]] = field(default_factory=list)
    environment: list[tuple[str, str, str]] = field(default_factory=list)   # (what, A, B) where they differ
    #: (summary cells whose 95% intervals overlap in A and B, cells with an interval in both)
    agreement: tuple[int, int] = (0, 0)
    #: (better/same/worse-than-asyncio verdicts that agree, verdicts in both runs)
    verdicts: tuple[int, int] = (0, 0)
    #: Each run's load, as read by its pre-flight probe: (A, B) text
    load: tuple[str, str] = ("", "")
    empty: list[Path] = field(default_factory=list)    # runs with nothing measured

    def regressions(self, fail_on_pct: float) -> list[Change]:
        """The changes worse than ``fail_on_pct`` percent that are significant **as a family**:
        Holm's step-down correction over every change that was tested (``p_value``), so that
        two runs of identical code fail ``--fail-on`` with a probability of about ``ALPHA``
        in all, not ``ALPHA`` per cell (with 190 cells, per-cell tests flag about 9 by
        chance). A change measured once a run (no test, the spread rule) never fails the gate."""
        return [c for c in holm_significant(self.changes) if c.worse_by * 100 > fail_on_pct]


def holm_significant(changes: list[Change], alpha: float = ALPHA) -> list[Change]:
    """The ``changes`` that stay significant under Holm's correction for all the tested ones:
    sorted by p, the i-th smallest (from 0) must be below ``alpha / (m - i)``, stopping at the
    first that is not; each must also be significant on its own (beyond ``MIN_CHANGE``, not
    the machine's)."""
    tested = sorted((c for c in changes if c.p_value is not None and not math.isnan(c.p_value)),
                    key=lambda c: c.p_value)
    kept = []
    for i, change in enumerate(tested):
        if change.p_value >= alpha / (len(tested) - i):
            break
        if change.significant:
            kept.append(change)
    return kept


def _welch(a: list[float], b: list[float]) -> tuple[float | None, tuple[float, float] | None]:
    """(p, 95% interval of B / A) from Welch's t on the logs of positive values; (None, None)
    with fewer than two values a side."""
    a, b = [v for v in a if v > 0], [v for v in b if v > 0]
    if len(a) < 2 or len(b) < 2:
        return None, None
    from scipy.stats import t, ttest_ind

    la, lb = [math.log(v) for v in a], [math.log(v) for v in b]
    va, vb = statistics.variance(la) / len(la), statistics.variance(lb) / len(lb)
    diff = statistics.fmean(lb) - statistics.fmean(la)
    if va + vb == 0:
        return (1.0 if diff == 0 else 0.0), (math.exp(diff), math.exp(diff))
    df = (va + vb) ** 2 / (va ** 2 / (len(la) - 1) + vb ** 2 / (len(lb) - 1))
    half = t.ppf(0.975, df) * math.sqrt(va + vb)
    p = float(ttest_ind(lb, la, equal_var=False).pvalue)
    return p, (math.exp(diff - half), math.exp(diff + half))


def _values(benchmark: dict | None) -> dict[tuple[str, str], tuple[list[float], int, str, bool]]:
    """(workload, runtime) -> (values to compare, operations per round, unit, paired).

    Paired to asyncio: the per-round ratios to asyncio (rate over asyncio's rate). Else the
    rate of each process (its median round), or of every round in a run recorded before
    rounds were kept per process."""
    out = {}
    paired = paired_ratios(benchmark, REFERENCE)
    rounds_by_cell = {}
    for entry in (benchmark or {}).get("benchmarks", []):
        extra = entry.get("extra_info") or {}
        if extra.get("workload") and extra.get("runtime"):
            rounds_by_cell[(extra["workload"], extra["runtime"])] = extra.get("round_medians")
    for entry in (benchmark or {}).get("benchmarks", []):
        extra = entry.get("extra_info") or {}
        data, ops = (entry.get("stats") or {}).get("data"), extra.get("ops_per_round")
        if not extra.get("workload") or not extra.get("runtime") or not data or not ops or extra.get("emulated"):
            continue
        key = (extra["workload"], extra["runtime"])
        mine, ref = rounds_by_cell.get(key), rounds_by_cell.get((key[0], REFERENCE))
        if key in paired and extra.get("relative_medians"):       # duets: per round, time over asyncio's
            out[key] = ([1 / v for v in extra["relative_medians"].values() if v > 0], ops, f"× {REFERENCE}", True)
        elif key in paired and mine and ref:
            common = [r for r in mine if r in ref and mine[r] > 0]
            out[key] = ([ref[r] / mine[r] for r in common], ops, f"× {REFERENCE}", True)
        elif mine:
            out[key] = ([ops / t for t in mine.values() if t > 0], ops, f"{extra.get('unit', '')}/s", False)
        else:
            out[key] = ([ops / t for t in data if t > 0], ops, f"{extra.get('unit', '')}/s", False)
    return out


def _geomean(values: list[float]) -> float:
    values = [v for v in values if v > 0]
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else float("nan")


def compare(a_dir: Path, b_dir: Path) -> Comparison:
    a_dir, b_dir = Path(a_dir), Path(b_dir)
    profiles = run_profile(a_dir), run_profile(b_dir)
    if None not in profiles and profiles[0] != profiles[1]:
        raise RunDirError(f"{a_dir} was measured in the {profiles[0]} profile and {b_dir} in the "
                          f"{profiles[1]} profile: compare runs of one profile")
    a, b = load_run(a_dir), load_run(b_dir)
    values_a, values_b = _values(a.benchmark), _values(b.benchmark)
    sizes = {}
    for (workload, rt), (_, ops, _, _) in values_a.items():
        other = values_b.get((workload, rt))
        if other is not None and other[1] != ops:
            sizes[workload] = (ops, other[1])
    if sizes:
        what = "; ".join(f"{w}: {x:,} vs {y:,} operations per round" for w, (x, y) in sorted(sizes.items()))
        raise RunDirError(f"{a_dir} and {b_dir} ran workloads at different sizes ({what}): "
                          "compare runs of one profile and one loopbench version")
    comparison = Comparison(a_dir, b_dir, profiles[0] or profiles[1])
    unequal = _unequal_load(a.environment, b.environment)
    comparison.empty = [d for d, run in ((a_dir, a), (b_dir, b))
                        if not run.records and not (run.benchmark or {}).get("benchmarks")]
    for key in sorted(set(values_a) & set(values_b)):
        (va, _, unit, paired_a), (vb, _, _, paired_b) = values_a[key], values_b[key]
        if paired_a != paired_b:
            continue
        p, interval = _welch(va, vb)
        title = f"{key[0]} (paired ratio to {REFERENCE})" if paired_a else key[0]
        comparison.changes.append(Change(title, key[1], _geomean(va), _geomean(vb), "higher", p_value=p,
                                         unit=unit, interval=interval, machine=unequal and not paired_a))
    runtimes = [rt for rt in b.runtimes if rt in a.runtimes]
    harness_a, harness_b = harness_rows(a.cells, runtimes), harness_rows(b.cells, runtimes)
    rows_a = {r.measure.key: r for r in harness_a}
    for row_b in harness_b:
        row_a = rows_a.get(row_b.measure.key)
        if row_a is None:
            continue
        for rt in runtimes:
            ca, cb = row_a.cells.get(rt), row_b.cells.get(rt)
            if not ca or not cb or ca.status != "ok" or cb.status != "ok" or not ca.value or cb.value is None:
                continue
            p, interval = _welch(ca.samples or [], cb.samples or [])
            comparison.changes.append(Change(row_b.measure.title, rt, ca.value, cb.value, row_b.measure.better,
                                             p_value=p, interval=interval,
                                             noise=max(MIN_CHANGE, ca.spread or 0, cb.spread or 0),
                                             unit=row_b.measure.unit,
                                             machine=unequal and row_b.measure.unit != "bytes"))
    before = {(row.scenario, rt): cell["status"] for row in behaviour_rows(a.cells, runtimes)
              for rt, cell in row.cells.items()}
    for row in behaviour_rows(b.cells, runtimes):
        for rt, cell in row.cells.items():
            old = before.get((row.scenario, rt))
            if old is not None and old != cell["status"]:
                comparison.status_changes.append((row.scenario, rt, old, cell["status"]))
    comparison.environment = _environment_differences(a.environment, b.environment)
    comparison.load = (_load_text(a.environment), _load_text(b.environment))
    comparison.agreement = _agreement(harness_a + benchmark_rows(a.benchmark, runtimes),
                                      harness_b + benchmark_rows(b.benchmark, runtimes))
    comparison.verdicts = _verdict_agreement(a.benchmark, b.benchmark)
    return comparison


def verdict(ratio) -> str:
    """"better", "worse" or "same" than asyncio: a paired ratio whose 95% interval clears 1
    by at least ``MIN_CHANGE``; else the same."""
    if ratio is None or ratio.low is None:
        return "same"
    if ratio.low > 1 and ratio.ratio >= 1 + MIN_CHANGE:
        return "better"
    if ratio.high < 1 and ratio.ratio <= 1 / (1 + MIN_CHANGE):
        return "worse"
    return "same"


def _verdict_agreement(a: dict | None, b: dict | None) -> tuple[int, int]:
    """How many better/same/worse-than-asyncio verdicts of the two runs agree, of those in both."""
    ra, rb = paired_ratios(a, REFERENCE), paired_ratios(b, REFERENCE)
    both = [key for key in ra if key in rb]
    return sum(1 for key in both if verdict(ra[key]) == verdict(rb[key])), len(both)


def cpu_share(environment: dict) -> float | None:
    """The share of its wall time the pre-flight probe got on a CPU (1.0: a core to itself)."""
    steady = (environment.get("preflight") or {}).get("steadiness") or {}
    value = steady.get("cpu_share")
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


#: Two runs whose pre-flight probes got CPU shares further apart than this (or ran its fixed
#: work at speeds further apart than ``MACHINE_SPEED_CHANGE``) were not measured under the
#: same load: changes of values measured on their own (not paired) are the machine's.
LOAD_CHANGE = 0.10


def _unequal_load(a: dict, b: dict) -> bool:
    share_a, share_b = cpu_share(a), cpu_share(b)
    if share_a is not None and share_b is not None and abs(share_a - share_b) > LOAD_CHANGE:
        return True
    speed_a, speed_b = _machine_speed(a), _machine_speed(b)
    return bool(speed_a and speed_b and abs(speed_b / speed_a - 1) > MACHINE_SPEED_CHANGE)


def _load_text(environment: dict) -> str:
    preflight = environment.get("preflight") or {}
    share, load = cpu_share(environment), preflight.get("load_1min")
    parts = []
    if load is not None:
        parts.append(f"load {load:.1f} on {preflight.get('cores', '?')} cores")
    if share is not None:
        parts.append(f"the probe got {share:.0%} of a core")
    return ", ".join(parts) or "not recorded"


def _agreement(rows_a: list, rows_b: list) -> tuple[int, int]:
    """How many summary cells (measure x runtime) of A and B have 95% intervals that
    overlap, of those with an interval in both runs: do two runs agree within their
    intervals?"""
    def cells(rows) -> dict:
        return {(row.measure.key, rt): cell for row in rows for rt, cell in row.cells.items()
                if cell.status == "ok" and cell.ci is not None}
    ca, cb = cells(rows_a), cells(rows_b)
    both = [key for key in ca if key in cb]
    overlap = sum(1 for key in both if ca[key].ci[0] <= cb[key].ci[1] and cb[key].ci[0] <= ca[key].ci[1])
    return overlap, len(both)


def _environment_differences(a: dict, b: dict) -> list[tuple[str, str, str]]:
    out = [(key, str(a.get(key, "?")), str(b.get(key, "?"))) for key in ENVIRONMENT_KEYS if a.get(key) != b.get(key)]
    libs_a, libs_b = a.get("libraries") or {}, b.get("libraries") or {}
    out += [(lib, str(libs_a.get(lib)), str(libs_b.get(lib))) for lib in sorted(set(libs_a) | set(libs_b))
            if libs_a.get(lib) != libs_b.get(lib)]
    speed_a, speed_b = _machine_speed(a), _machine_speed(b)
    if speed_a and speed_b and abs(speed_b / speed_a - 1) > MACHINE_SPEED_CHANGE:
        out.append(("machine speed: the pre-flight's fixed work (µs a run)", f"{speed_a:.0f}",
                    f"{speed_b:.0f} ({speed_b / speed_a:.2f}x): changes of this size are the machine's"))
    return out


#: A change in the pre-flight's time for its fixed work beyond this is reported as a
#: difference of environment: the same machine, running faster or slower.
MACHINE_SPEED_CHANGE = 0.10


def _machine_speed(environment: dict) -> float | None:
    """The median time of the pre-flight steadiness probe's fixed work (µs), if recorded."""
    steady = (environment.get("preflight") or {}).get("steadiness") or {}
    value = steady.get("median_us")
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def to_markdown(c: Comparison) -> str:
    """The comparison as Markdown; names and environment strings escaped (``document``)."""
    blocks: list = [Heading(1, ["loopbench compare: ", Code(c.a.name), " (A) → ", Code(c.b.name), " (B)"]),
                    Para(["Profile ", Code(str(c.profile)),
                          f". Ratio = B / A (geometric means). Workloads: each runtime's ratio to {REFERENCE}, "
                          f"paired round by round ({REFERENCE} itself: its rate per round); latency and memory: the "
                          f"value of every process. Welch's t on the logs: significant when the 95% interval of "
                          f"B / A excludes 1 and the change is over {MIN_CHANGE:.0%}. A measure with one value per "
                          f"run: flagged beyond the larger spread, at least {MIN_CHANGE:.0%}."]),
                    Para(f"Machine load: A {c.load[0]}; B {c.load[1]}.")]
    for empty in c.empty:
        blocks.append(Para([Strong(f"{empty} is empty"),
                            ": its results.jsonl has no records and it has no micro-suite results."], "warn"))
    agree, total = c.verdicts
    if total:
        blocks.append(Para(f"Better/same/worse than {REFERENCE}: the two runs agree on {agree} of {total} verdicts "
                           f"({agree / total:.0%})."))
    overlap, total = c.agreement
    if total:
        blocks.append(Para(f"The two runs agree within their 95% intervals on {overlap} of {total} summary cells "
                           f"({overlap / total:.0%})."))
    if c.environment:
        blocks += [Para(Prose("**The two runs come from different environments:**")),
                   Table(["", "A", "B"], [[Cell(what, "name"), Cell(str(x)), Cell(str(y))]
                                          for what, x, y in c.environment])]
    blocks.append(Table(["measure", "runtime", "A", "B", "B / A", "test", "verdict"], [
        [Cell(ch.measure, "name"), Cell(ch.runtime), Cell(f"{ch.a:.4g}"), Cell(f"{ch.b:.4g} {ch.unit}"),
         Cell(f"{ch.ratio:.2f}"), Cell(ch.test), Cell(ch.verdict, bold=ch.significant)]
        for ch in sorted(c.changes, key=lambda ch: (not ch.significant, ch.measure, ch.runtime))]))
    if c.status_changes:
        blocks += [Heading(2, "Behaviour status changes"),
                   Table(["scenario", "runtime", "A", "B"], [[Cell(Code(s), "name"), Cell(rt), Cell(old), Cell(new)]
                                                            for s, rt, old, new in c.status_changes])]
    return render_markdown(blocks)


def to_json(c: Comparison) -> str:
    return json.dumps({"a": str(c.a), "b": str(c.b), "profile": c.profile, "alpha": ALPHA, "min_change": MIN_CHANGE,
                       "agreement": {"overlapping": c.agreement[0], "cells": c.agreement[1]},
                       "verdicts": {"agreeing": c.verdicts[0], "both": c.verdicts[1]},
                       "load": {"a": c.load[0], "b": c.load[1]}, "empty": [str(p) for p in c.empty],
                       "environment": c.environment, "status_changes": c.status_changes,
                       "changes": [{"measure": ch.measure, "runtime": ch.runtime, "a": ch.a, "b": ch.b,
                                    "ratio": ch.ratio, "p_value": ch.p_value, "significant": ch.significant,
                                    "interval": list(ch.interval) if ch.interval else None,
                                    "verdict": ch.verdict} for ch in c.changes]}, indent=2)


__all__ = ["ALPHA", "Change", "Comparison", "compare", "to_markdown", "to_json"]

"""Compare two runs, B against A: what changed, and whether the change is more than noise.

For every workload of the micro-suite, each run recorded every timed round of every
worker process (``stats["data"]`` in benchmark.json). The two sets of rates are
compared with a two-sided **Mann-Whitney U test** (no assumption that timings are
normal, which they are not): a change is **significant** when p < ``ALPHA``. The
ratio B / A is of the medians; ``--fail-on PCT`` turns a significant change worse
than PCT percent into exit status 1, for CI.

The harness's latency and memory rows were measured in several processes (sampled
cells): their per-process values are compared the same way. A measure with one value
per run (a cell measured in one process) is compared by its spread instead, and says so.

Runs that cannot be compared are refused with the reason (``RunDirError``): different
profiles, or the same workload at different sizes. Two runs from different machines
or interpreters are compared, but the differences of environment are listed first.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from ..results.records import RunDirError, run_profile
from .document import Cell, Code, Heading, Para, Prose, Table, render_markdown
from .model import behaviour_rows, benchmark_rows, harness_rows, load_run

ALPHA = 0.05
MIN_CHANGE = 0.05          # the spread rule's floor, for measures with no rounds recorded
ENVIRONMENT_KEYS = ("python", "implementation", "cpu", "cpu_count", "machine", "os")


@dataclass
class Change:
    measure: str
    runtime: str
    a: float
    b: float
    better: str                       # "higher" | "lower"
    p_value: float | None = None      # Mann-Whitney U, two-sided; None: no rounds to test
    noise: float = MIN_CHANGE         # the spread rule's threshold, when p_value is None
    unit: str = ""

    @property
    def ratio(self) -> float:
        return self.b / self.a if self.a else float("nan")

    @property
    def significant(self) -> bool:
        if self.p_value is not None:
            return self.p_value < ALPHA
        return abs(self.ratio - 1) > self.noise

    @property
    def worse_by(self) -> float:
        """How much worse B is, as a fraction (0.1: 10% worse); negative when better."""
        return (1 - self.ratio) if self.better == "higher" else (self.ratio - 1)

    @property
    def verdict(self) -> str:
        if not self.significant:
            return "no significant change" if self.p_value is not None else "within noise"
        return "WORSE" if self.worse_by > 0 else "better"

    @property
    def test(self) -> str:
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

    def regressions(self, fail_on_pct: float) -> list[Change]:
        return [c for c in self.changes if c.significant and c.worse_by * 100 > fail_on_pct]


def _rounds(benchmark: dict | None) -> dict[tuple[str, str], tuple[list[float], int, str]]:
    """(workload, runtime) -> (rates of every round, operations per round, unit)."""
    out = {}
    for entry in (benchmark or {}).get("benchmarks", []):
        extra = entry.get("extra_info") or {}
        data, ops = (entry.get("stats") or {}).get("data"), extra.get("ops_per_round")
        if not extra.get("workload") or not extra.get("runtime") or not data or not ops or extra.get("emulated"):
            continue
        out[(extra["workload"], extra["runtime"])] = ([ops / t for t in data if t > 0], ops, extra.get("unit", ""))
    return out


def _mann_whitney(a: list[float], b: list[float]) -> float | None:
    if len(a) < 2 or len(b) < 2:
        return None
    from scipy.stats import mannwhitneyu

    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


def compare(a_dir: Path, b_dir: Path) -> Comparison:
    a_dir, b_dir = Path(a_dir), Path(b_dir)
    profiles = run_profile(a_dir), run_profile(b_dir)
    if None not in profiles and profiles[0] != profiles[1]:
        raise RunDirError(f"{a_dir} was measured in the {profiles[0]} profile and {b_dir} in the "
                          f"{profiles[1]} profile: compare runs of one profile")
    a, b = load_run(a_dir), load_run(b_dir)
    rounds_a, rounds_b = _rounds(a.benchmark), _rounds(b.benchmark)
    sizes = {}
    for (workload, rt), (_, ops, _) in rounds_a.items():
        other = rounds_b.get((workload, rt))
        if other is not None and other[1] != ops:
            sizes[workload] = (ops, other[1])
    if sizes:
        what = "; ".join(f"{w}: {x:,} vs {y:,} operations per round" for w, (x, y) in sorted(sizes.items()))
        raise RunDirError(f"{a_dir} and {b_dir} ran workloads at different sizes ({what}): "
                          "compare runs of one profile and one loopbench version")
    comparison = Comparison(a_dir, b_dir, profiles[0] or profiles[1])
    for key in sorted(set(rounds_a) & set(rounds_b)):
        (ra, _, unit), (rb, _, _) = rounds_a[key], rounds_b[key]
        comparison.changes.append(Change(key[0], key[1], statistics.median(ra), statistics.median(rb), "higher",
                                         p_value=_mann_whitney(ra, rb), unit=f"{unit}/s"))
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
            comparison.changes.append(Change(row_b.measure.title, rt, ca.value, cb.value, row_b.measure.better,
                                             p_value=_mann_whitney(ca.samples or [], cb.samples or []),
                                             noise=max(MIN_CHANGE, ca.spread or 0, cb.spread or 0),
                                             unit=row_b.measure.unit))
    before = {(row.scenario, rt): cell["status"] for row in behaviour_rows(a.cells, runtimes)
              for rt, cell in row.cells.items()}
    for row in behaviour_rows(b.cells, runtimes):
        for rt, cell in row.cells.items():
            old = before.get((row.scenario, rt))
            if old is not None and old != cell["status"]:
                comparison.status_changes.append((row.scenario, rt, old, cell["status"]))
    comparison.environment = _environment_differences(a.environment, b.environment)
    comparison.agreement = _agreement(harness_a + benchmark_rows(a.benchmark, runtimes),
                                      harness_b + benchmark_rows(b.benchmark, runtimes))
    return comparison


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
                          f". Ratio = B / A of the medians. Workloads: every round of every worker process of both "
                          f"runs; latency and memory: the value of every process; two-sided Mann-Whitney U, "
                          f"significant when p < {ALPHA}. A measure with one value per run: flagged beyond the "
                          f"larger spread, at least {MIN_CHANGE:.0%}."])]
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
    return json.dumps({"a": str(c.a), "b": str(c.b), "profile": c.profile, "alpha": ALPHA,
                       "agreement": {"overlapping": c.agreement[0], "cells": c.agreement[1]},
                       "environment": c.environment, "status_changes": c.status_changes,
                       "changes": [{"measure": ch.measure, "runtime": ch.runtime, "a": ch.a, "b": ch.b,
                                    "ratio": ch.ratio, "p_value": ch.p_value, "significant": ch.significant,
                                    "verdict": ch.verdict} for ch in c.changes]}, indent=2)


__all__ = ["ALPHA", "Change", "Comparison", "compare", "to_markdown", "to_json"]

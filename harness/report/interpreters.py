"""One report for a run under several interpreters: each runtime, interpreter against interpreter.

A run of ``loopbench bench --python A --python B`` holds one ordinary run per
interpreter (``<run>/<tag>/``, with its own report) and ``interpreters.json`` (who
was asked for, and what became of each). This module writes ``<run>/report.md``:

* the interpreters, each linked to its own report, with the runtimes it could not
  use and why, or the error that kept it from being measured;
* for every measure of the summary (``model.HARNESS_MEASURES`` and the micro-suite's
  workloads) and every runtime: each interpreter's median with the range of its
  rounds, and its ratio to the first interpreter's (the baseline; for a runtime the
  first cannot run, the first that can), in the measure's own direction (``better``
  says which way is good);
* each interpreter's own summary against asyncio, from the same section its report has.

It is built from the same blocks as a single run's report (``document``), rendered
to ``report.md`` and to ``report.html`` (which links the interpreters' HTML reports).

A ratio is marked significant by a ``Test``: a function of two ``Sample`` objects
that says whether they differ (``True``), do not (``False``) or cannot tell (``None``).
The default, ``ranges_disjoint``, asks that the rounds' ranges (min to max) do not
overlap: cheap and conservative, and silent where a measure has no rounds (a
percentile of one distribution, a memory figure). A statistical test can be passed
in its place (``compare_interpreters(..., test=...)``). Either weighs each run's own
rounds only: the interpreters run one after the other, so a change of the machine's
load between runs is not in them. The report gives each run's load average and
calls out a busy machine (``busy_runs``).

Cells the harness builds (``emulated``) are shown as such, and compared only with the
same runtime's on another interpreter: the same construction on both sides, so the
ratio is the interpreter's doing. They are never set against another runtime, as in
every other report. The controls are left out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..execution import profile
from ..execution.environment import TOOLS
from .document import MAX_COLUMNS, Cell, Code, Heading, Link, Para, Prose, Strong, Table, page, render_html, render_markdown
from .model import HARNESS_MEASURES, Measure, RunData, benchmark_rows, fmt, harness_rows, is_floor, load_run

MANIFEST = "interpreters.json"
#: The libraries whose versions the interpreters' table shows (from each run's environment.json).
SIGNIFICANT = "✱"


@dataclass(frozen=True)
class Sample:
    """One runtime's measure on one interpreter: the median round, and the rounds' range when known."""
    value: float
    low: float | None = None
    high: float | None = None
    n: int | None = None


#: Whether two samples differ: True, False, or None when the samples cannot tell.
Test = Callable[[Sample, Sample], "bool | None"]


def ranges_disjoint(a: Sample, b: Sample) -> bool | None:
    """Significant when the two ranges of rounds do not overlap; None without both ranges."""
    if None in (a.low, a.high, b.low, b.high):
        return None
    return a.high < b.low or b.high < a.low


@dataclass
class Side:
    """One interpreter's cell: a sample, or why there is none."""
    status: str                       # ok | emulated | unavailable | unsupported | error | timeout | missing
    sample: Sample | None = None
    note: str = ""


@dataclass
class Versus:
    """An interpreter against the baseline, for one measure and runtime: ratio = its value / the baseline's."""
    ratio: float
    better: str                       # the measure's direction: "lower" | "higher"
    significant: bool | None

    @property
    def verdict(self) -> str:
        improved = (self.ratio < 1) == (self.better == "lower")
        return "better" if improved else "worse"


@dataclass
class AcrossRow:
    measure: Measure
    runtime: str
    sides: dict[str, Side] = field(default_factory=dict)        # tag -> side
    versus: dict[str, Versus] = field(default_factory=dict)     # tag -> against the baseline
    baseline: str = ""               # the first interpreter with a value (the run's first, where it has one)


def unavailable(run: RunData) -> dict[str, str]:
    """The runtimes this run could not create, with the reason (from the harness records)."""
    out: dict[str, str] = {}
    prefix = "runtime unavailable: "
    for record in run.records:
        reason = record.get("reason") or ""
        if record["status"] == "unsupported" and reason.startswith(prefix):
            out.setdefault(record["runtime"], reason[len(prefix):])
    return out


def _bounds(run: RunData, measure: Measure, runtime: str) -> tuple[float | None, float | None, int | None]:
    """The range of the rounds behind a summary value, in the measure's unit (rates: ops / slowest round ...)."""
    if measure.workload is not None:
        for bench in (run.benchmark or {}).get("benchmarks", []):
            extra = bench.get("extra_info") or {}
            if (extra.get("workload") == measure.workload.name and extra.get("runtime") == runtime
                    and not is_floor(bench)):
                stats, ops = bench.get("stats", {}), extra.get("ops_per_round")
                if ops and stats.get("min") and stats.get("max"):
                    return ops / stats["max"], ops / stats["min"], stats.get("rounds")
        return None, None, None
    record = run.cells.get((runtime, measure.scenario))
    node = (record or {}).get("metrics", {})
    for key in measure.path:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict) and node.get("min") is not None and node.get("max") is not None:
        return float(node["min"]), float(node["max"]), node.get("n")
    return None, None, None


def compare_interpreters(runs: dict[str, RunData], test: Test = ranges_disjoint,
                         leave_out: set[str] = frozenset()) -> list[AcrossRow]:
    """Every measure x runtime across ``runs`` (tag -> run, the first is the baseline), in report order."""
    tags = list(runs)
    runtimes: list[str] = []
    for run in runs.values():
        runtimes += [rt for rt in run.runtimes if rt not in runtimes and rt not in leave_out]
    measures: dict[str, Measure] = {}
    cells: dict[tuple[str, str, str], Side] = {}        # (measure key, runtime, tag) -> side
    for tag, run in runs.items():
        missing_reason = unavailable(run)
        for row in harness_rows(run.cells, runtimes) + benchmark_rows(run.benchmark, runtimes):
            measures.setdefault(row.measure.key, row.measure)
            for rt in runtimes:
                cell = row.cells.get(rt)
                if rt in missing_reason:
                    side = Side("unavailable", note=missing_reason[rt])
                elif cell is None or cell.status == "missing":
                    side = Side("missing")
                elif cell.status in ("ok", "emulated") and cell.value is not None:
                    low, high, n = _bounds(run, row.measure, rt)
                    side = Side(cell.status, Sample(cell.value, low, high, n), cell.note)
                else:
                    side = Side(cell.status, note=cell.note)
                cells[(row.measure.key, rt, tag)] = side
    order = [m.key for m in HARNESS_MEASURES if m.key in measures] + [k for k in measures
                                                                     if k.startswith("workload:")]
    rows = []
    for key in order:
        measure = measures[key]
        for rt in runtimes:
            row = AcrossRow(measure, rt, {tag: cells.get((key, rt, tag), Side("missing")) for tag in tags})
            if all(side.sample is None for side in row.sides.values()):
                continue
            row.baseline = next(tag for tag in tags if row.sides[tag].sample is not None)
            base = row.sides[row.baseline]
            for tag in tags[tags.index(row.baseline) + 1:]:
                other = row.sides[tag]
                if (base.sample is not None and other.sample is not None and base.status == other.status
                        and base.sample.value):
                    row.versus[tag] = Versus(other.sample.value / base.sample.value, measure.better,
                                             test(base.sample, other.sample))
            rows.append(row)
    return rows


# ------------------------------------------------------------------ the report
def _side_text(side: Side) -> str:
    if side.sample is None:               # why: in the interpreters' table (unavailable) or its own report
        return {"missing": "–"}.get(side.status, side.status)
    s = side.sample
    text = fmt(s.value) + (f" ({fmt(s.low)}–{fmt(s.high)})" if s.low is not None else "")
    return f"{text}, built by harness" if side.status == "emulated" else text


def _cell(row: AcrossRow, tag: str) -> Cell:
    text = _side_text(row.sides[tag])
    versus = row.versus.get(tag)
    if versus is None:
        return Cell(text)
    if versus.significant:
        return Cell([text, " · ", Strong(f"{versus.ratio:.2f}× {versus.verdict} {SIGNIFICANT}")])
    return Cell(f"{text} · {versus.ratio:.2f}×")


def _own_summary(run_dir: Path, level: int) -> list:
    """An interpreter's own summary (each runtime against asyncio), built as its report builds
    it, its headings ``level`` deeper."""
    from .facts import build_context
    from .sections import summary

    ctx = build_context(run_dir)
    found = summary.section(ctx)
    blocks = []
    for block in found.blocks[1:]:                 # its own title is the interpreter's heading here
        if isinstance(block, Heading):
            block = Heading(min(block.level + level, 6), block.content)
        blocks.append(block)
    return blocks


def report_blocks(run_dir: Path, manifest: dict, runs: dict[str, RunData], rows: list[AcrossRow]) -> list:
    """The report across interpreters, as the same blocks the single-run report is made of."""
    entries = manifest["interpreters"]
    label = {e["tag"]: e.get("label") or e["tag"] for e in entries}
    measured = [e for e in entries if e["tag"] in runs]
    baseline = measured[0]["tag"] if measured else None
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    blocks: list = [
        Heading(1, f"loopbench across interpreters — {Path(run_dir).resolve().name}"),
        Para([f"Generated {generated} · profile ", Code(str(manifest.get("profile", "default"))),
              f" · {len(measured)} of {len(entries)} interpreters measured"
              + (f" · baseline {label[baseline]}" if baseline else "")], cls="meta"),
        Para(Prose("Each interpreter ran the same profile in its own venv (`loopbench bench --python`), one "
                   "after the other; its full report is linked below."))]
    busy = busy_runs(entries, runs)
    if busy:
        blocks.append(Para([Prose("**Busy machine:** the 1-minute load average exceeded the CPU count during "),
                            ", ".join(busy),
                            ". The interpreters ran one after the other, so a difference between them can be the "
                            "load's, and the marks below only weigh each run's own rounds: rerun on a quiet "
                            "machine before reading the ratios across interpreters. Each interpreter's own "
                            "summary (against asyncio in the same run) is less affected."], cls="warn"))
    table = []
    for e in entries:
        run = runs.get(e["tag"])
        if run is None:
            table.append([Cell(e.get("label") or "–", "name"), Cell(Code(e["spec"])), Cell(""), Cell(""),
                          Cell([Strong("not measured"), ": ", e.get("error") or "no results"]), Cell("")])
            continue
        missing = "; ".join(f"{rt}: {why}" for rt, why in unavailable(run).items()) or "none"
        links = [part for i, name in enumerate(n for n in ("report.md", "report.html")
                                               if (run_dir / e["tag"] / n).exists())
                 for part in ([" · "] if i else []) + [Link(name, f"{e['tag']}/{name}")]] or "–"
        incomplete = [" ", Strong("incomplete"), f": {e['error']}"] if e.get("error") else []
        libraries = run.environment.get("libraries") or {}
        peers = ", ".join(f"{name} {version}" for name, version in libraries.items()
                          if version and name not in TOOLS) or "–"
        load = " → ".join(f"{x:.1f}" for x in _loads(e, run)) or "–"
        load += f" on {run.environment['cpu_count']} CPUs" if run.environment.get("cpu_count") and load != "–" else ""
        table.append([Cell(label[e["tag"]], "name"), Cell(Code(e["spec"])), Cell(peers, "prose"), Cell(load),
                      Cell([missing, *incomplete], "prose"), Cell(links)])
    blocks += [Heading(2, "Interpreters"),
               Table(["interpreter", "asked as", "peers", "load (1 min, start → end)", "runtimes it cannot use",
                      "its report"], table)]
    if len(runs) >= 2:
        tags = [e["tag"] for e in measured]
        blocks += [Heading(2, f"Across interpreters: each runtime against {label[baseline]}"), Para(Prose(
            "Each cell: the median (the range of its rounds, min–max), in the measure's unit. "
            f"Then the ratio to {label[baseline]} for the same runtime (its value / the baseline's, "
            "so below 1 is better where lower is better, above 1 where higher is); a runtime the "
            "baseline cannot run is set against the first interpreter that can, named beside it. "
            f"**Bold** with {SIGNIFICANT}: the two ranges of rounds do not overlap. A ratio without a "
            "mark is within the rounds' noise, or has no rounds to judge by (percentiles, memory). "
            "\"built by harness\": an operation the library lacks, built by the harness from its "
            "primitives; compared only with the same construction on another interpreter."))]
        by_measure: dict[str, list[AcrossRow]] = {}
        for row in rows:
            by_measure.setdefault(row.measure.key, []).append(row)
        for measure_rows in by_measure.values():
            m = measure_rows[0].measure
            unit = "" if m.unit in m.title else f"{m.unit}, "
            blocks.append(Heading(3, f"{m.title} ({unit}{m.better} is better)"))
            width = MAX_COLUMNS - 1                        # many interpreters: several tables
            for part in (tags[i:i + width] for i in range(0, len(tags), width)):
                blocks.append(Table(["runtime", *(label[t] for t in part)],
                                    [[Cell(row.runtime + (f" (against {label[row.baseline]})"
                                                          if row.baseline != baseline else ""), "name"),
                                      *(_cell(row, t) for t in part)] for row in measure_rows]))
    blocks.append(Heading(2, "Each interpreter against asyncio"))
    for e in measured:
        blocks += [Heading(3, label[e["tag"]]),
                   Para(["Full report: ", Link(f"{e['tag']}/report.md", f"{e['tag']}/report.md")]),
                   *_own_summary(run_dir / e["tag"], 1)]
    return blocks


def to_markdown(run_dir: Path, manifest: dict, runs: dict[str, RunData], rows: list[AcrossRow]) -> str:
    return render_markdown(report_blocks(run_dir, manifest, runs, rows))


def _loads(entry: dict, run: RunData) -> list[float]:
    """The load averages known for a run: before and after it (the manifest), else at its start."""
    if entry.get("load"):
        return list(entry["load"])
    start = run.environment.get("loadavg")
    return [start[0]] if start else []


def busy_runs(entries: list[dict], runs: dict[str, RunData]) -> list[str]:
    """The interpreters whose run saw a 1-minute load average above the machine's CPU count."""
    out = []
    for e in entries:
        run = runs.get(e["tag"])
        cpus = run.environment.get("cpu_count") if run else None
        if cpus and any(load > cpus for load in _loads(e, run)):
            out.append(e.get("label") or e["tag"])
    return out


def write_manifest(run_dir: Path, profile: str, interpreters: list[dict]) -> Path:
    """``interpreters.json``: per interpreter ``spec``, ``tag``, ``label``, ``executable``, ``error``,
    ``load`` (the 1-minute load average before and after its bench)."""
    path = Path(run_dir) / MANIFEST
    path.write_text(json.dumps({"profile": profile, "interpreters": interpreters}, indent=2))
    return path


def render_across(run_dir: Path, test: Test = ranges_disjoint) -> dict[str, Path]:
    """Write ``report.md`` and ``report.html`` into ``run_dir`` from ``interpreters.json`` and the
    runs it names; return their paths."""
    run_dir = Path(run_dir)
    manifest = json.loads((run_dir / MANIFEST).read_text())
    with _profile(manifest.get("profile", "default")):       # the workloads' sizes in the titles
        return _render_across(run_dir, manifest, test)


@contextmanager
def _profile(name: str):
    """``LOOPBENCH_PROFILE`` set to the run's profile for the duration (a workload's N follows it)."""
    before = os.environ.get(profile.ENV_VAR)
    os.environ[profile.ENV_VAR] = name
    try:
        yield
    finally:
        if before is None:
            del os.environ[profile.ENV_VAR]
        else:
            os.environ[profile.ENV_VAR] = before


def _render_across(run_dir: Path, manifest: dict, test: Test) -> dict[str, Path]:
    runs = {e["tag"]: load_run(run_dir / e["tag"]) for e in manifest["interpreters"]
            if any((run_dir / e["tag"] / name).exists() for name in ("results.jsonl", "benchmark.json"))}
    rows = compare_interpreters(runs, test, leave_out=set().union(*(run.controls for run in runs.values())))
    blocks = report_blocks(run_dir, manifest, runs, rows)
    md_path, html_path = run_dir / "report.md", run_dir / "report.html"
    md_path.write_text(render_markdown(blocks))
    body = render_html(blocks).replace('/report.md"', '/report.html"')    # an interpreter's report, as HTML
    html_path.write_text(page(f"loopbench across interpreters — {run_dir.resolve().name}", body))
    return {"md": md_path, "html": html_path}

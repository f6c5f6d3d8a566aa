"""Compare two runs: every summary measure as a ratio B / A, flagged when beyond noise.

A change is flagged only when it exceeds the noise both runs measured: the larger
of their spreads (relative), and never less than ``MIN_CHANGE``. Behaviour cells
whose status changed are listed too. Runs measured in different profiles (their
sizes differ) are not compared: ``RunDirError`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..results import RunDirError, run_profile
from .model import behaviour_rows, benchmark_rows, harness_rows, load_run

MIN_CHANGE = 0.05


@dataclass
class Change:
    measure: str
    runtime: str
    a: float
    b: float
    ratio: float
    noise: float
    better: str

    @property
    def significant(self) -> bool:
        return abs(self.ratio - 1) > self.noise

    @property
    def verdict(self) -> str:
        if not self.significant:
            return "within noise"
        improved = (self.ratio < 1) == (self.better == "lower")
        return "better" if improved else "WORSE"


def compare(a_dir: Path, b_dir: Path) -> tuple[list[Change], list[tuple[str, str, str, str]]]:
    profiles = run_profile(a_dir), run_profile(b_dir)
    if None not in profiles and profiles[0] != profiles[1]:
        raise RunDirError(f"{a_dir} was measured in the {profiles[0]} profile and {b_dir} in the "
                          f"{profiles[1]} profile: compare runs of one profile")
    a, b = load_run(a_dir), load_run(b_dir)
    runtimes = [rt for rt in b.runtimes if rt in a.runtimes]
    rows_a = {r.measure.title: r for r in harness_rows(a.cells, runtimes) + benchmark_rows(a.benchmark, runtimes)}
    rows_b = {r.measure.title: r for r in harness_rows(b.cells, runtimes) + benchmark_rows(b.benchmark, runtimes)}
    changes = []
    for title, row_b in rows_b.items():
        row_a = rows_a.get(title)
        if row_a is None:
            continue
        for rt in runtimes:
            ca, cb = row_a.cells.get(rt), row_b.cells.get(rt)
            if not ca or not cb or ca.value in (None, 0) or cb.value is None:
                continue
            noise = max(MIN_CHANGE, ca.spread or 0, cb.spread or 0)
            changes.append(Change(title, rt, ca.value, cb.value, cb.value / ca.value, noise, row_b.measure.better))
    status_changes = []
    before = {(row.scenario, rt): cell["status"] for row in behaviour_rows(a.cells, runtimes)
              for rt, cell in row.cells.items()}
    for row in behaviour_rows(b.cells, runtimes):
        for rt, cell in row.cells.items():
            old = before.get((row.scenario, rt))
            if old is not None and old != cell["status"]:
                status_changes.append((row.scenario, rt, old, cell["status"]))
    return changes, status_changes


def to_markdown(a_dir: Path, b_dir: Path, changes: list[Change], status_changes) -> str:
    lines = [f"# loopbench compare: `{Path(a_dir).name}` (A) → `{Path(b_dir).name}` (B)", "",
             "Ratio = B / A. A change is flagged only beyond the noise both runs measured "
             f"(the larger spread, at least {MIN_CHANGE:.0%}).", "",
             "| measure | runtime | A | B | B / A | noise | verdict |", "|---|---|---|---|---|---|---|"]
    for c in sorted(changes, key=lambda c: (not c.significant, c.measure, c.runtime)):
        verdict = f"**{c.verdict}**" if c.significant else c.verdict
        lines.append(f"| {c.measure} | {c.runtime} | {c.a:.4g} | {c.b:.4g} | {c.ratio:.2f} | ±{c.noise:.0%} | {verdict} |")
    if status_changes:
        lines += ["", "## Behaviour status changes", "", "| scenario | runtime | A | B |", "|---|---|---|---|"]
        lines += [f"| `{s}` | {rt} | {old} | {new} |" for s, rt, old, new in status_changes]
    return "\n".join(lines) + "\n"

"""The compatibility matrix: what code nobody here wrote says of each asyncio loop.

Reads ``judges.json`` (written by ``loopbench judges``: CPython's test_asyncio and
anyio's test suite, each test of each in one bucket, see ``harness.judges``) and renders
it as report blocks (``harness.report.document``: the same numbers in Markdown and HTML):
per suite, a table of every loop's buckets (the denominator is the whole suite), then a
matrix of feature group x loop with passed / failed / skipped counts, each failed count
linking to the list of those failures with the first line of their error (folded).
Tests in a feature a loop declares missing are rows of their own ("declared missing:
UDP"...), never folded into another row or left out of the denominator.

``section(facts)`` is the bench report's section when its run directory has a
``judges.json``; ``write(run_dir)`` writes ``judges.md`` and ``judges.html`` beside it.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...results.rundir import read_document
from ..document import (MAX_COLUMNS, Bullets, Cell, Details, Heading, Link, Para, Prose, Section, Table,
                        page, render_html, render_markdown)

FILE = "judges.json"

#: Feature groups beyond the features a loop can declare missing (``loops.FEATURES``),
#: matched in this order against a test's id, lower-cased; a test in none is grouped by
#: its module.
GROUPS: tuple[tuple[str, str], ...] = (
    ("TLS", r"ssl|tls"),
    ("buffered protocols", r"buffered"),
    ("executors", r"executor|to_thread|to_process|to_interpreter"),
    ("threadsafe", r"threadsafe|from_thread|test_threads\.|blocking_portal"),
    ("servers", r"server|listener"),
    ("streams", r"stream"),
    ("sockets", r"sock|tcp|connect|getaddrinfo|dns"),
)

#: Buckets of tests that ran on the loop under test, shown in the matrix.
RAN = ("passed", "failed", "skipped", "hung", "crashed")

SUITES = (("cpython", "CPython's test.test_asyncio"), ("anyio_suite", "anyio's test suite"))


def group_of(test_id: str, module: str, feature: str | None, bucket: str) -> str:
    """The matrix row of a test."""
    if bucket == "missing":
        return f"declared missing: {feature}"
    if feature:
        return feature
    lowered = test_id.lower()
    for name, pattern in GROUPS:
        if re.search(pattern, lowered):
            return name
    return module.removeprefix("test_").replace(".test_", ".")


def entries(run: dict):
    """(test_id, module, entry) of one loop's run of a suite (CPython's is by module)."""
    if "modules" in run:
        for module, outcome in run["modules"].items():
            for test_id, entry in outcome["tests"].items():
                yield test_id, module, entry
    else:
        for test_id, entry in run["tests"].items():
            yield test_id, entry.get("module", ""), entry


def anchor(*parts: str) -> str:
    return "compat-" + "-".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts)


def _chunks(loops: list[str]) -> list[list[str]]:
    """The loops in groups that fit a table beside its row names."""
    width = MAX_COLUMNS - 1
    return [loops[i:i + width] for i in range(0, len(loops), width)] or [[]]


def blocks(data: dict, level: int = 2) -> list:
    """The whole matrix as report blocks, its top heading at ``level``."""
    from ...judges.cpython_tests import BUCKETS

    out: list = [Heading(level, "Compatibility: each loop judged by tests nobody here wrote", "compat"),
                 Para([f"Python {data.get('python', '?')}; anyio {data.get('anyio', '?')}. Every test of a suite is "
                       "counted in exactly one bucket on every loop, so each column's total is the whole suite. "
                       "Buckets: ", "; ".join(f"{k}: {v}" for k, v in BUCKETS.items()), "."])]
    for key, title in SUITES:
        runs = data.get(key) or []
        if not runs:
            continue
        loops = [run["loop"] for run in runs]
        out.append(Heading(level + 1, title))
        # Buckets per loop: loops in columns, so the table fits whatever the buckets used.
        used = [b for b in BUCKETS if any(e["bucket"] == b for run in runs for _, _, e in entries(run))]
        counts, seconds = {}, {}
        for run in runs:
            counts[run["loop"]] = dict.fromkeys(used, 0)
            for _, _, entry in entries(run):
                counts[run["loop"]][entry["bucket"]] += 1
            seconds[run["loop"]] = run.get("seconds") or sum(m.get("seconds", 0)
                                                             for m in run.get("modules", {}).values())
        missing = {run["loop"]: ", ".join(run.get("missing") or []) or "–" for run in runs}
        for group in _chunks(loops):
            rows = [[Cell("total", "name")] + [Cell(str(sum(counts[lp].values()))) for lp in group]]
            rows += [[Cell(b, "name")] + [Cell(str(counts[lp][b])) for lp in group] for b in used]
            rows += [[Cell("seconds", "name")] + [Cell(f"{seconds[lp]:.0f}") for lp in group],
                     [Cell("declares missing", "name")] + [Cell(missing[lp]) for lp in group]]
            out.append(Table(["bucket", *group], rows))
        notes = [(run["loop"], m, o) for run in runs for m, o in run.get("modules", {}).items()
                 if o["status"] != "ok"]
        notes += [(run["loop"], "(the suite)", run) for run in runs if run.get("status", "ok") != "ok"]
        if notes:
            out.append(Bullets([[f"{loop}, {module}: ", Prose(f"**{outcome['status']}**"), ": ",
                                 str(outcome.get("error", ""))] for loop, module, outcome in notes]))
        # Groups x loops.
        table: dict[str, dict[str, dict]] = {}
        for run in runs:
            for test_id, module, entry in entries(run):
                if entry["bucket"] not in RAN and entry["bucket"] != "missing":
                    continue
                row = group_of(test_id, module, entry.get("feature"), entry["bucket"])
                cell = table.setdefault(row, {}).setdefault(run["loop"], {b: 0 for b in RAN} | {"failures": []})
                bucket = entry["bucket"] if entry["bucket"] != "missing" else entry.get("outcome") or "hung"
                cell[bucket] = cell.get(bucket, 0) + 1
                if bucket == "failed":
                    cell["failures"].append((test_id, entry.get("detail", "")))
        out.append(Para("Each cell: passed / failed / skipped (then hung or crashed, if any) of the tests that ran "
                        "on the loop; a failed count links to its failures."))
        ordered = sorted(table, key=lambda r: (r.startswith("declared missing"), r))
        for group in _chunks(loops):
            rows = []
            for row in ordered:
                cells = [Cell(row, "name")]
                for loop in group:
                    cell = table[row].get(loop)
                    if cell is None:
                        cells.append(Cell("–", "missing"))
                        continue
                    failed = Link(str(cell["failed"]), f"#{anchor(key, loop, row)}") if cell["failed"] \
                        else str(cell["failed"])
                    extra = "".join(f" / {cell[x]} {x}" for x in ("hung", "crashed") if cell[x])
                    cells.append(Cell([f"{cell['passed']} / ", failed, f" / {cell['skipped']}{extra}"],
                                      "fail" if cell["failed"] else ""))
                rows.append(cells)
            out.append(Table(["feature or module", *group], rows))
        # Failures, by loop and row, folded.
        failures: list = []
        for loop in loops:
            for row in ordered:
                cell = table[row].get(loop)
                if cell and cell["failures"]:
                    failures += [Heading(level + 3, f"{loop}, {row} ({len(cell['failures'])})",
                                         anchor(key, loop, row)),
                                 Bullets([[f"{test_id}: ", str(detail)] for test_id, detail in sorted(cell["failures"])])]
        if failures:
            out.append(Details(f"Failures in {title}", failures))
    return out


def load(run_dir: Path) -> dict | None:
    """The run's judges.json, or None (absent or torn)."""
    return read_document(run_dir, FILE)


def section(facts: dict) -> Section | None:
    data = load(facts["data"].directory)
    if data is None:
        return None
    return Section("compat", "Compatibility", blocks(data))


def write(run_dir: Path) -> dict[str, Path]:
    """judges.md and judges.html from the run directory's judges.json."""
    run_dir = Path(run_dir)
    data = load(run_dir)
    if data is None:
        raise FileNotFoundError(f"no {FILE} in {run_dir}")
    parts = blocks(data, level=1)
    md_path, html_path = run_dir / "judges.md", run_dir / "judges.html"
    md_path.write_text(render_markdown(parts))
    html_path.write_text(page("loopbench: compatibility", render_html(parts)))
    return {"md": md_path, "html": html_path}

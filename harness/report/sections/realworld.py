"""Real workloads: pyperformance's asyncio benchmarks and HTTP servers under wrk.

The data is the run directory's ``realworld.json`` (written by
``harness.workloads.realworld``). Two tables:

- pyperformance: benchmark x runtime (split by family), each cell the runtime's median
  time per iteration as "× better than asyncio" (asyncio's time over the runtime's, so
  higher is better, as everywhere in the report) with its 95% interval, ratios taken
  round by round, and the clock the benchmark is judged by (CPU for those that never
  wait, wall for those that wait);
- HTTP: one row per (server, connections, runtime): requests/s, latency p50/p99 from
  wrk, the server's CPU time per request (the decision metric on shared cores) and both
  as × better than asyncio with their intervals.

A cell that could not run says "unsupported: why" or "failed: why".
"""

from __future__ import annotations

import math
from pathlib import Path

from ...results.rundir import read_document
from ..document import Cell, Heading, Para, Prose, Section, Table, render_html, render_markdown
from . import split_columns

FILENAME = "realworld.json"


def load(run_dir: Path) -> dict | None:
    """The run's ``realworld.json``, or None (absent or torn)."""
    return read_document(run_dir, FILENAME)


def times_better(ratio: dict | None) -> str:
    """A runtime-over-asyncio *time* ratio ({ratio, ci95, rounds}) as × better than asyncio."""
    if not ratio or ratio.get("rounds", 0) == 0 or not ratio.get("ratio") or math.isnan(ratio["ratio"]):
        return "–"
    text = f"{1 / ratio['ratio']:.2f}×"
    if ratio["rounds"] < 2:
        return text + " (1 round: no interval)"
    lo, hi = ratio["ci95"]
    return text + f" [{1 / hi:.2f}, {1 / lo:.2f}]" if lo and hi else text


def _why(cell: dict) -> Cell:
    return Cell(f"{cell.get('status', 'missing')}: {cell.get('reason', '')}", cell.get("status", ""))


def _pyperformance(doc: dict, family, titles) -> list:
    part = doc.get("pyperformance") or {}
    s = part.get("settings", {})
    blocks: list = [Heading(3, "pyperformance's asyncio benchmarks"), Para(Prose(
        f"pyperformance {part.get('pyperformance') or '(not installed)'}'s asyncio benchmarks, run unmodified from "
        "its installed data files; the loop is installed through asyncio's event loop policy. Each cell: × better "
        "than asyncio (asyncio's median time per iteration over the runtime's) with a 95% interval, ratios taken "
        f"round by round ({s.get('rounds', '?')} rounds), runtimes interleaved, each round a fresh process per "
        f"benchmark and runtime ({s.get('warmups', '?')} warm-up, {s.get('values', '?')} measured values). The "
        "clock: *cpu* (process CPU time) for benchmarks that never wait, *wall* for those that wait. A control "
        "(coroutines) runs no event loop: its ratios show the noise."))]
    if part.get("unsupported"):
        blocks.append(Para(f"pyperformance: unsupported: {part['unsupported']}", "warn"))
    runtimes = part.get("runtimes", [])
    for title, group in split_columns(runtimes, family, 2, titles):
        rows = []
        for bench in part.get("benchmarks", []):
            row = [Cell(bench["name"] + (" (control)" if bench.get("note") else ""), "name"), Cell(bench["clock"])]
            for rt in group:
                cell = bench["cells"].get(rt, {})
                if cell.get("status") != "ok":
                    row.append(_why(cell))
                elif rt == part.get("baseline"):
                    row.append(Cell(f"1.00× ({cell['median_s'] * 1e3:.1f} ms)"))
                else:
                    row.append(Cell(times_better(cell.get("ratio")), title=f"{cell['median_s'] * 1e3:.1f} ms"))
            rows.append(row)
        if rows:
            blocks += [Para(Prose(f"*{title}*")), Table(["benchmark", "clock", *group], rows)]
    return blocks


def _http(doc: dict) -> list:
    part = doc.get("http") or {}
    s = part.get("settings", {})
    blocks: list = [Heading(3, "HTTP servers under wrk"), Para(Prose(
        f"HTTP/1.1 keep-alive servers on 127.0.0.1 loaded by {part.get('wrk') or 'wrk'} (one thread) for "
        f"{s.get('duration_s', '?')} s per cell ({s.get('rounds', '?')} rounds), runtimes interleaved, a fresh "
        "server per round. Requests/s and latency come from wrk; the server's CPU time per request is the server "
        "process's own CPU time over the run divided by the requests served: the figure to decide on, since "
        "requests/s also depends on how fast wrk can ask on a shared machine. × better than asyncio per round, "
        "with a 95% interval; medians over rounds."))]
    if part.get("unsupported"):
        blocks.append(Para(f"HTTP: unsupported: {part['unsupported']} (nothing else was run in its place).", "warn"))
    rows = []
    for cell in part.get("cells", []):
        head = [Cell(cell["kind"], "name"), Cell(str(cell["connections"])), Cell(cell["runtime"], "name")]
        if cell["status"] != "ok":
            rows.append(head + [_why(cell), Cell(""), Cell(""), Cell(""), Cell("")])
            continue
        errors = f" ({cell['errors']} errors)" if cell.get("errors") else ""
        baseline = cell["runtime"] == part.get("baseline")
        rps_ratio = cell.get("rps_ratio")
        # requests/s is higher-is-better already: asyncio's over the runtime's inverts it back
        rps = ("1.00×" if baseline else times_better(
            {**rps_ratio, "ratio": 1 / rps_ratio["ratio"], "ci95": [1 / rps_ratio["ci95"][1], 1 / rps_ratio["ci95"][0]]}
            if rps_ratio and rps_ratio.get("ratio") and all(rps_ratio.get("ci95") or [0]) else None))
        rows.append(head + [Cell(f"{cell['rps']:,.0f}{errors}"),
                            Cell(f"{cell['p50_us'] / 1e3:.2f} / {cell['p99_us'] / 1e3:.2f}"),
                            Cell(f"{cell['cpu_per_request_us']:.1f}"), Cell(rps),
                            Cell("1.00×" if baseline else times_better(cell.get("cpu_ratio")))])
    if rows:
        blocks.append(Table(["server", "conns", "runtime", "req/s", "p50 / p99 ms", "CPU µs/req",
                             "req/s × asyncio", "CPU/req × better"], rows))
    return blocks


def blocks(doc: dict, family=lambda rt: "all", titles: dict | None = None) -> list:
    """The section's blocks for a ``realworld.json`` document; runtimes grouped by ``family``."""
    out: list = [Heading(2, "Real workloads", "realworld")]
    if (doc.get("pyperformance") or {}).get("benchmarks") or (doc.get("pyperformance") or {}).get("unsupported"):
        out += _pyperformance(doc, family, titles or {"all": "every runtime"})
    if (doc.get("http") or {}).get("cells") or (doc.get("http") or {}).get("unsupported"):
        out += _http(doc)
    titles_of = {"pyperformance": "pyperformance's asyncio benchmarks", "http": "HTTP servers under wrk"}
    for part, why in (doc.get("not_measured") or {}).items():
        out.append(Para(Prose(f"{titles_of.get(part, part)}: {why}."), "meta"))
    return out


def section(facts: dict) -> Section | None:
    doc = load(facts["data"].directory)
    if not doc:
        return None
    return Section("realworld", "Real workloads", blocks(doc, facts["data"].family, facts["family_titles"]))


def standalone_text(doc: dict) -> str:
    """The section's Markdown for a document already loaded."""
    return render_markdown(blocks(doc))


def standalone(run_dir: Path) -> dict[str, str]:
    """``{"md", "html"}`` of the section alone (``loopbench realworld``), empty without realworld.json."""
    doc = load(run_dir)
    if not doc:
        return {"md": "", "html": ""}
    parts = blocks(doc)
    return {"md": render_markdown(parts), "html": render_html(parts)}

"""The report's "Real workloads" section, from a run directory's realworld.json.

Two tables (``harness.workloads.realworld`` writes the data):

- pyperformance: benchmark x runtime, each cell the runtime's time per iteration as a
  ratio to asyncio's (lower is faster), its 95% interval, and the clock the benchmark is
  judged by (CPU for those that never wait, wall for those that wait);
- HTTP: server kind x connections x runtime: requests/s, latency p50/p99 (from wrk), the
  server's CPU time per request (the decision metric) and the ratios to asyncio of
  requests/s and of CPU per request, each with its 95% interval.

A cell that could not run says "unsupported: why" or "failed: why". ``section(run_dir)``
gives ``{"md": ..., "html": ...}`` (both empty when the run has no realworld.json), for the
report templates to place as they are.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

FILENAME = "realworld.json"


def load(run_dir: Path) -> dict | None:
    path = Path(run_dir) / FILENAME
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None


def _ratio(r: dict | None) -> str:
    if not r or r.get("rounds", 0) == 0 or math.isnan(r.get("ratio", math.nan)):
        return "–"
    lo, hi = r["ci95"]
    if r["rounds"] < 2:
        return f"{r['ratio']:.2f} (1 round: no interval)"
    return f"{r['ratio']:.2f} [{lo:.2f}, {hi:.2f}]"


def _why(cell: dict) -> str:
    return f"{cell['status']}: {cell.get('reason', '')}"


def pyperformance_rows(doc: dict) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the pyperformance table (plain text cells)."""
    section = doc.get("pyperformance") or {}
    runtimes = section.get("runtimes", [])
    rows = []
    for bench in section.get("benchmarks", []):
        row = [bench["name"] + (" (control)" if bench.get("note") else ""), bench["clock"]]
        for rt in runtimes:
            cell = bench["cells"].get(rt, {})
            if cell.get("status") != "ok":
                row.append(_why(cell))
            elif rt == section.get("baseline"):
                row.append(f"{cell['median_s'] * 1e3:.1f} ms (the baseline)")
            else:
                row.append(f"{cell['median_s'] * 1e3:.1f} ms, ×{_ratio(cell.get('ratio'))}")
        rows.append(row)
    return ["benchmark", "clock", *runtimes], rows


def http_rows(doc: dict) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the HTTP table (plain text cells)."""
    section = doc.get("http") or {}
    rows = []
    for cell in section.get("cells", []):
        head = [cell["kind"], str(cell["connections"]), cell["runtime"]]
        if cell["status"] != "ok":
            rows.append(head + [_why(cell), "", "", "", "", ""])
            continue
        errors = f" ({cell['errors']} errors)" if cell.get("errors") else ""
        baseline = cell["runtime"] == section.get("baseline")
        rows.append(head + [f"{cell['rps']:,.0f}{errors}", f"{cell['p50_us'] / 1e3:.2f} / {cell['p99_us'] / 1e3:.2f}",
                            f"{cell['cpu_per_request_us']:.1f}",
                            "baseline" if baseline else _ratio(cell.get("rps_ratio")),
                            "baseline" if baseline else _ratio(cell.get("cpu_ratio"))])
    return (["server", "connections", "runtime", "requests/s", "latency p50 / p99 (ms)", "server CPU µs/request",
             "requests/s ÷ asyncio", "CPU/request ÷ asyncio"], rows)


def _prose(doc: dict) -> list[str]:
    lines = []
    pp, web = doc.get("pyperformance") or {}, doc.get("http") or {}
    if pp:
        s = pp.get("settings", {})
        lines.append(
            f"pyperformance {pp.get('pyperformance') or '(not installed)'}'s asyncio benchmarks, run unmodified from "
            "its installed data files; the loop is installed through asyncio's event loop policy. Each cell: the "
            "median time per iteration on the row's clock (cpu: process CPU time, for benchmarks that never wait; "
            "wall: for those that wait), and × its ratio to asyncio's time (lower is faster) with a 95% interval, "
            f"ratios taken round by round (rounds: {s.get('rounds', '?')}), runtimes interleaved, each round a fresh "
            f"process per benchmark and runtime of {s.get('warmups', '?')} warm-up and {s.get('values', '?')} "
            "measured values. A control (coroutines) runs no event loop: its ratios show the noise.")
        if pp.get("unsupported"):
            lines.append(f"pyperformance: unsupported: {pp['unsupported']}")
    if web:
        s = web.get("settings", {})
        lines.append(
            f"HTTP/1.1 keep-alive servers on 127.0.0.1 loaded by {web.get('wrk') or 'wrk'} (one thread) for "
            f"{s.get('duration_s', '?')} s per cell (rounds: {s.get('rounds', '?')}), runtimes interleaved, a fresh "
            "server per round. Requests/s and latency from wrk; the server's CPU time per request is the server "
            "process's own CPU time over the run divided by the requests served: the decision metric, since "
            "requests/s also depends on how fast wrk can ask on a shared machine. Ratios per round, with a 95% "
            "interval; medians over rounds.")
        if web.get("unsupported"):
            lines.append(f"HTTP: unsupported: {web['unsupported']} (nothing else was run in its place).")
    return lines


def markdown(doc: dict) -> str:
    def table(header, rows):
        esc = lambda s: str(s).replace("|", "\\|")
        out = ["| " + " | ".join(map(esc, header)) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(map(esc, row)) + " |" for row in rows]
        return "\n".join(out)

    parts = ["## Real workloads", ""]
    for line in _prose(doc):
        parts += [line, ""]
    if doc.get("pyperformance", {}).get("benchmarks"):
        parts += ["### pyperformance's asyncio benchmarks", "", table(*pyperformance_rows(doc)), ""]
    if doc.get("http", {}).get("cells"):
        parts += ["### HTTP servers under wrk", "", table(*http_rows(doc)), ""]
    return "\n".join(parts)


def html_text(doc: dict) -> str:
    def table(header, rows):
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
        return f"<table class=\"realworld\"><tr>{head}</tr>{body}</table>"

    parts = ["<h2>Real workloads</h2>"] + [f"<p>{html.escape(line)}</p>" for line in _prose(doc)]
    if doc.get("pyperformance", {}).get("benchmarks"):
        parts += ["<h3>pyperformance's asyncio benchmarks</h3>", table(*pyperformance_rows(doc))]
    if doc.get("http", {}).get("cells"):
        parts += ["<h3>HTTP servers under wrk</h3>", table(*http_rows(doc))]
    return "\n".join(parts)


def section(run_dir: Path) -> dict:
    """``{"md": str, "html": str}``: the section for the run, or empty strings without realworld.json."""
    doc = load(run_dir)
    if not doc:
        return {"md": "", "html": ""}
    return {"md": markdown(doc), "html": html_text(doc)}

"""The summary: every measure, each runtime as "× better than asyncio" (higher is better).

One table per family of runtimes (our loops, the asyncio family, structured concurrency
and generators), so no table is wider than ``document.MAX_COLUMNS``; a runtime with
nothing to show in a table (unsupported on every row, say) is left out with one line.
"""

from __future__ import annotations

from ..document import Cell, Code, Heading, Para, Prose, Section, Table
from ..model import REFERENCE, Row, fmt, times_better
from . import drop_silent, split_columns

EXPLAIN = ("Each runtime against asyncio's default loop in the same run, as **× better than asyncio**: "
           "asyncio's median time over the runtime's, or the runtime's rate over asyncio's, so higher is "
           "better on every row. ± is the half-width of the runtime's 95% confidence interval (workloads: every "
           "round of several worker processes, pooled; latency and memory: the processes that measured the "
           "cell; TCP echo: ten slices of its run; a row measured once: the spread of its rounds). ⚠: an "
           "interval wider than ±5%. **Bold**: the best, only where its interval is within ±5% and overlaps no "
           "other runtime's. \"built\": the library has no such operation, so the harness built it from the "
           "library's primitives; never compared (see [Operations the harness builds](#built)). The asyncio "
           "column gives its raw median; hover a cell in the HTML report for a runtime's.")
CURIO_O = ("`curio -O`: curio's workloads again under `python -O`: curio asserts `task not in ready` (a linear "
           "scan of its ready queue) each time it schedules a task, and `-O` removes the assert.")


def cell(row: Row, rt: str) -> Cell:
    """One runtime's cell of one measure: its factor, ± its interval, bold if best."""
    c = row.cells.get(rt)
    if c is None or c.status == "missing":
        return Cell("–", "missing", "not measured in this run")
    if c.status == "emulated":
        return Cell("built", "unsupported", f"built by the harness: {c.note}; not compared")
    if c.status != "ok" or c.value is None:
        return Cell(c.status if c.status != "ok" else "–", c.status, c.note)
    factor = times_better(row.measure, c)
    if c.halfwidth is not None:
        spread = f" ±{c.halfwidth * 100:.0f}%" + (" ⚠" if c.wide else "")
        interval = f" (95% CI {fmt(c.ci[0])} – {fmt(c.ci[1])})"
    else:
        spread = f" ±{c.spread * 50:.0f}%" if c.spread is not None else ""
        interval = ""
    text = (f"{factor:.2f}" if factor is not None else "n/a") + spread
    return Cell(text, "", f"{fmt(c.value)} {row.measure.unit}{interval}", bold=c.best)


def _status(row: Row, rt: str) -> str:
    c = row.cells.get(rt)
    return "missing" if c is None else ("unsupported" if c.status == "unsupported" else c.status)


def section(facts: dict) -> Section:
    data, rows = facts["data"], facts["rows"]
    blocks: list = [Para(Prose(EXPLAIN))]
    if "curio -O" in facts["runtimes"]:
        blocks.append(Para(Prose(CURIO_O)))
    compared = [rt for rt in facts["runtimes"] if rt != REFERENCE]
    for title, group in split_columns(compared, data.family, 2, facts["family_titles"]):
        kept, notes = drop_silent(group, lambda rt: [_status(r, rt) for r in rows],
                                  lambda rt: next((r.cells[rt].note for r in rows
                                                   if rt in r.cells and r.cells[rt].note), ""))
        blocks.append(Heading(3, title.capitalize()))
        if kept:
            table_rows = []
            for r in rows:
                ref = r.cells.get(REFERENCE)
                raw = f"{fmt(ref.value)} {r.measure.unit}" if ref is not None and ref.value is not None else "–"
                table_rows.append([Cell(r.measure.title + (" ⚠" if r.noisy else ""), "name"), Cell(raw),
                                   *(cell(r, rt) for rt in kept)])
            blocks.append(Table(["measure", f"{REFERENCE} (raw)", *kept], table_rows))
        for rt, why in notes:
            blocks.append(Para(["Column left out: ", Code(rt), f": {why}."], cls="note"))
    return Section("summary", "Summary: each runtime against asyncio",
                   [Heading(2, "Summary: × better than asyncio (higher is better)"), *blocks])

"""The summary: every measure, each runtime as "× better than asyncio" (higher is better).

One table per family of runtimes (our loops, the asyncio family, structured concurrency
and generators), so no table is wider than ``document.MAX_COLUMNS``; a runtime with
nothing to show in a table (unsupported on every row, say) is left out with one line.
"""

from __future__ import annotations

from ..document import Cell, Code, Heading, Para, Prose, Section, Table
from ...stats.samples import WIDE
from ..model import REFERENCE, Row, fmt, is_lateness, times_better
from . import drop_silent, split_columns

EXPLAIN = ("Each runtime against asyncio's default loop in the same run, as **× better than asyncio**: "
           "asyncio's median time over the runtime's, or the runtime's rate over asyncio's, so higher is "
           "better on every row. Workloads: the ratio is paired round by round (each round a fresh process, "
           "runtimes in a shuffled order, each timed right after asyncio) and ± is the half-width of the "
           "ratio's own 95% interval; each row names its clock (CPU time for work that never waits, wall time "
           "for work that waits). Latency rows are latency, in µs, with their 95% interval, never a ratio. "
           "Memory: the processes that measured the cell; TCP echo: ten slices of its run; a row measured "
           "once: the spread of its rounds. ⚠: an interval wider than ±5%. **Bold**: the best, only where it is "
           "separated from every other runtime by at least 5%. \"built\": the library has no such operation, so the harness built it from the "
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
    if is_lateness(row.measure):                      # latency as latency: µs and its interval
        interval = f" [{fmt(c.ci[0])}–{fmt(c.ci[1])}]" if c.ci else ""
        return Cell(f"{fmt(c.value)} µs{interval}", "", f"95% interval{interval or ' n/a'}", bold=c.best)
    factor = times_better(row.measure, c)
    if c.ratio_halfwidth is not None:                 # paired round by round: the ratio's own interval
        spread = f" ±{c.ratio_halfwidth * 100:.0f}%" + (" ⚠" if c.ratio_halfwidth > WIDE else "")
        interval = (f" (95% CI {fmt(c.ci[0])} – {fmt(c.ci[1])}; ratio {fmt(c.ratio_ci[0])} – "
                    f"{fmt(c.ratio_ci[1])}, {c.clock} time"
                    + (f", wall/CPU {c.wall_per_cpu:.2f}: the machine took the time" if c.machine_took_time else "")
                    + ")") if c.ci and c.ratio_ci else ""
    elif c.halfwidth is not None:
        spread = f" ±{c.halfwidth * 100:.0f}%" + (" ⚠" if c.wide else "")
        interval = f" (95% CI {fmt(c.ci[0])} – {fmt(c.ci[1])})"
    else:
        spread = f" ±{c.spread * 50:.0f}%" if c.spread is not None else ""
        interval = ""
    text = (f"{factor:.2f}" if factor is not None else "n/a") + spread
    return Cell(text, "", f"{fmt(c.value)} {row.measure.unit}{interval}", bold=c.best)


def precision_note(row: Row) -> str:
    """A micro-suite row's clock, and the precision its paired ratios reached (their widest
    95% half-width)."""
    clocks = {c.clock for c in row.cells.values() if c.clock}
    if not clocks:
        return ""
    clock = "CPU time" if clocks == {"cpu"} else "wall time" if clocks == {"wall"} else "mixed clocks"
    if row.precision is None:
        return f" [{clock}]"
    return f" [{clock}; ratios within ±{row.precision * 100:.1f}%]"


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
                table_rows.append([Cell(r.measure.title + precision_note(r) + (" ⚠" if r.noisy else ""), "name"),
                                   Cell(raw),
                                   *(cell(r, rt) for rt in kept)])
            blocks.append(Table(["measure", f"{REFERENCE} (raw)", *kept], table_rows))
        for rt, why in notes:
            blocks.append(Para(["Column left out: ", Code(rt), f": {why}."], cls="note"))
    return Section("summary", "Summary: each runtime against asyncio",
                   [Heading(2, "Summary: × better than asyncio (higher is better)"), *blocks])

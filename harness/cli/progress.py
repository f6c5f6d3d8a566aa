"""What a run shows on the terminal: a progress bar while cells finish, then a summary table.

Shared by ``loopbench run`` and ``loopbench bench``. Text that comes from a cell
(an error message, a scenario's name) is shown as text, never read as rich markup.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..results.records import Status

STATUS_STYLE = {Status.PASS: "green", Status.FAIL: "red", Status.OBSERVED: "cyan", Status.UNSUPPORTED: "dim",
                Status.ERROR: "bold red", Status.TIMEOUT: "bold magenta"}


@contextmanager
def progress_callbacks(console: Console):
    """A progress bar for a run; yields the (on_start, on_result) callbacks for run_matrix."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        task = progress.add_task("starting", total=None)

        def on_start(runtime, scn):
            progress.update(task, description=escape(f"{runtime} x {scn.name}"))

        def on_result(record, finished, total):
            progress.update(task, total=total, completed=finished)
            status = record["status"]
            if status in (Status.ERROR, Status.TIMEOUT, Status.FAIL):
                said = f": {record.get('error', '')}" if status != Status.FAIL else ""
                progress.console.print(f"  [{STATUS_STYLE[status]}]{status:>8}[/] "
                                       + escape(f"{record['runtime']} x {record['scenario']}{said}"))

        yield on_start, on_result
        progress.update(task, description="done")


#: Short column names for the terminal table, by measure key (the report has the long ones).
SHORT = {"workload:callbacks.call_soon_chain": "chain", "workload:timers.fired_small": "fire 1k",
         "workload:timers.fired_medium": "fire 10k", "workload:timers.fired_large": "fire 100k",
         "workload:timers.arm_cancel_churn": "churn", "workload:tasks.switch": "switch",
         "workload:tasks.spawn_join": "spawn", "workload:tasks.round_robin": "rr",
         "switch_event": "event", "sleep_p50": "sleep p50", "sleep_p90": "sleep p90",
         "deadline_p90": "until p90", "call_at_p90": "call_at p90", "memory": "mem", "memory_rss": "rss"}


#: The width every table fits in (or the terminal's, if narrower): no number is ever cut.
WIDTH = 100


def _cell_text(row, cell) -> tuple[str, str]:
    """(plain text, rich markup) of one cell: × better than asyncio ± its interval."""
    from ..report.model import times_better

    if cell is None or cell.status != "ok" or cell.ratio is None:
        return ("built", "[dim]built[/]") if cell is not None and cell.status == "emulated" else ("–", "[dim]–[/]")
    factor = times_better(row.measure, cell)
    spread = cell.ratio_halfwidth if cell.ratio_halfwidth is not None else \
        cell.halfwidth if cell.halfwidth is not None else (cell.spread / 2 if cell.spread else None)
    text = f"{factor:.2f}" + (f"±{spread:.0%}" if spread is not None else "")
    return text, (f"[bold green]{text}[/]" if cell.best else f"[yellow]{text}[/]" if cell.wide else text)


def _fitting(rows: list, names: list[str], texts: dict, limit: int = WIDTH) -> list[list]:
    """The measures in consecutive groups whose table fits ``limit`` columns (``WIDTH``, or a
    narrower terminal's width): a column takes its widest text, two of padding and a border;
    the runtime column comes in every table."""
    def width(header: str, cells: list[str]) -> int:
        return max([len(header), *map(len, cells)]) + 3

    base = width("runtime", names) + 1
    chunks, current, used = [], [], base
    for row in rows:
        w = width(SHORT.get(row.measure.key, row.measure.key), [texts[row.measure.key, n][0] for n in names])
        if current and used + w > limit:
            chunks.append(current)
            current, used = [], base
        current.append(row)
        used += w
    return chunks + ([current] if current else [])


def summarize(path: Path, console: Console, runtimes: list[str] | None = None) -> None:
    """What the run measured, as a terminal table: each measure's ratio to asyncio (higher
    is better for every column), ± the interval, the best in bold; then the promises not
    kept and the scenarios where runtimes differ. The full picture is the report."""
    from ..report.model import REFERENCE, behaviour_rows, benchmark_rows, harness_rows, load_run

    data = load_run(path.parent)
    names = [rt for rt in (runtimes or data.runtimes) if rt in data.runtimes and rt not in data.controls]
    # Ratios only: lateness is latency (µs, in the report), never a ratio of two tails.
    rows = [r for r in harness_rows(data.cells, names) + benchmark_rows(data.benchmark, names)
            if any(c.status == "ok" and c.ratio is not None for c in r.cells.values())]
    if rows:
        texts = {(r.measure.key, name): _cell_text(r, r.cells.get(name)) for r in rows for name in names}
        silent = [n for n in names if all(texts[r.measure.key, n][0] == "–" for r in rows)]
        names = [n for n in names if n not in silent]
        for part, chunk in enumerate(_fitting(rows, names, texts, min(WIDTH, console.width)), 1):
            title = f"{path.parent}: × better than asyncio (higher is better)"
            table = Table(title=escape(title if part == 1 else f"… continued ({part})"))
            table.add_column("runtime", no_wrap=True)
            for row in chunk:
                table.add_column(SHORT.get(row.measure.key, row.measure.key), justify="right", no_wrap=True)
            for name in names:
                table.add_row(escape(name), *(texts[row.measure.key, name][1] for row in chunk))
            console.print(table)
        ref = ", ".join(f"{SHORT.get(r.measure.key, r.measure.key)} {r.cells[REFERENCE].value:.4g} {r.measure.unit}"
                        for r in rows if REFERENCE in r.cells and r.cells[REFERENCE].value)
        console.print(escape(f"asyncio = 1.00 ({ref}); bold: best (its interval clear of the rest); "
                             "yellow: interval wider than ±5%; built: an operation the harness builds"), style="dim")
        if silent:
            console.print(escape(f"no number at all (unsupported or not measured): {', '.join(silent)}"), style="dim")
    behaviour = behaviour_rows(data.cells, names)
    failed = {b.scenario: [rt for rt, c in b.cells.items() if c["status"] == Status.FAIL] for b in behaviour}
    failed = {scn: rts for scn, rts in failed.items() if rts}
    if failed:
        console.print("[bold]promises not kept[/] (loopbench's contract, or the library's own documentation):")
        for scn, rts in sorted(failed.items()):
            console.print(escape(f"  {scn}: {', '.join(rts)}"))
    differ = [b.scenario for b in behaviour if not b.agree]
    if differ:
        console.print(escape(f"{len(differ)} scenario(s) where the runtimes differ: {', '.join(differ[:8])}"
                             + ("…" if len(differ) > 8 else "") + f"; the report explains each ({path.parent}/report.md)"))

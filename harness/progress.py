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

from .results import STATUSES, Status, latest_by_cell, load

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


def summarize(path: Path, console: Console, runtimes: list[str] | None = None) -> None:
    """Per runtime, how many cells ended in each status; then the scenarios whose expectation failed."""
    cells = latest_by_cell(load(path))
    names = runtimes or sorted({rt for rt, _ in cells})
    table = Table(title=escape(f"summary: {path}"))
    table.add_column("runtime")
    for status in STATUSES:
        table.add_column(status, justify="right", style=STATUS_STYLE[status])
    table.add_column("non-deterministic", justify="right")
    for name in names:
        mine = [r for (rt, _), r in cells.items() if rt == name]
        counts = {s: sum(r["status"] == s for r in mine) for s in STATUSES}
        flaky = sum(r.get("deterministic") is False for r in mine)
        table.add_row(escape(name), *[str(counts[s] or "") for s in STATUSES], str(flaky or ""))
    console.print(table)
    failed: dict[str, list[str]] = {}
    for (rt, scn), record in cells.items():
        if record["status"] == Status.FAIL:
            failed.setdefault(scn, []).append(rt)
    if failed:
        console.print("[bold]expected behaviour not met[/] (scenario: runtimes)")
        for scn, rts in sorted(failed.items()):
            console.print(escape(f"  {scn}: {', '.join(rts)}"))

"""The loopbench command line: ``python -m harness ...`` or ``loopbench ...``.

    loopbench list                                  runtimes and scenarios
    loopbench run [--runtimes a,b] [--scenarios x,y] [--repeat N] [--out DIR]
                  [--resume] [--quick] [--timeout S] [--jobs N]
    loopbench bench [--quick] [--out DIR] [--python PATH ...]
                                                    what `make bench` runs
    loopbench new-impl NAME [--dir DIR]             scaffold a new implementation package
    loopbench report RUN_DIR                        (re)write report.md/.html and plots from saved data
    loopbench compare A_DIR B_DIR                   what changed from run A to run B, as ratios
    loopbench explain WALKTHROUGH [--impl NAME] [--step] [--html FILE]
                                                    watch a loop work, step by step, as the talk draws it
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import runtimes as runtime_registry
from .plugins import load_plugins
from .profile import ENV_VAR as PROFILE_VAR
from .results import latest_by_cell, load
from .runner import ROOT, run_matrix, utc_stamp
from .runtime import Unavailable
from .scenario import select
from .worker import STATUSES

STATUS_STYLE = {"pass": "green", "fail": "red", "observed": "cyan", "unsupported": "dim",
                "error": "bold red", "timeout": "bold magenta"}


def _split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def cmd_list(args, console: Console) -> int:
    table = Table(title="runtimes")
    table.add_column("name", no_wrap=True)
    for col in ("family", "version", "emulated", "unsupported"):
        table.add_column(col)
    for name in runtime_registry.names():
        try:
            rt = runtime_registry.create(name)
        except Unavailable as exc:
            table.add_row(name, "?", "unavailable", "", str(exc))
            continue
        emulated = ", ".join(op for op, how in rt.support.items() if how == "emulated")
        unsupported = ", ".join(op for op, how in rt.support.items() if how == "unsupported")
        table.add_row(name, rt.family, rt.version(), emulated, unsupported)
    console.print(table)
    table = Table(title="scenarios")
    table.add_column("name", no_wrap=True)
    for col in ("kind", "checks", "quick"):
        table.add_column(col, no_wrap=True)
    table.add_column("what it asks", overflow="fold")
    for s in select():
        checks = "observed" if s.kind == "behaviour" and s.observational else (
            "expected" if s.kind == "behaviour" else "metrics")
        table.add_row(s.name, s.kind, checks, "yes" if s.quick else "", s.doc)
    console.print(table)
    return 0


def cmd_run(args, console: Console) -> int:
    wanted_runtimes = _split(args.runtimes) or runtime_registry.names()
    unknown = set(wanted_runtimes) - set(runtime_registry.names())
    if unknown:
        console.print(f"[red]unknown runtime(s): {', '.join(sorted(unknown))}[/]")
        return 2
    scenarios = select(_split(args.scenarios), quick=args.quick)
    if not scenarios:
        console.print("[red]no scenario matches[/]")
        return 2
    if args.quick:
        os.environ[PROFILE_VAR] = "quick"           # small sizes, inherited by every cell
    out_dir = Path(args.out) if args.out else ROOT / "reports" / utc_stamp()
    console.print(f"running {len(scenarios)} scenarios x {len(wanted_runtimes)} runtimes -> {out_dir}")
    with progress_callbacks(console) as (on_start, on_result):
        path = run_matrix(wanted_runtimes, scenarios, out_dir, repeat=args.repeat, resume=args.resume,
                          timeout=args.timeout, jobs=args.jobs, on_start=on_start, on_result=on_result)
    summarize(path, console, runtimes=wanted_runtimes)
    return 0


@contextmanager
def progress_callbacks(console: Console):
    """A progress bar for a run; yields the (on_start, on_result) callbacks for run_matrix."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        task = progress.add_task("starting", total=None)

        def on_start(runtime, scn):
            progress.update(task, description=f"{runtime} x {scn.name}")

        def on_result(record, finished, total):
            progress.update(task, total=total, completed=finished)
            status = record["status"]
            if status in ("error", "timeout", "fail"):
                progress.console.print(
                    f"  [{STATUS_STYLE[status]}]{status:>8}[/] {record['runtime']} x {record['scenario']}"
                    + (f": {record.get('error', '')}" if status != "fail" else ""))

        yield on_start, on_result
        progress.update(task, description="done")


def summarize(path: Path, console: Console, runtimes: list[str] | None = None) -> None:
    cells = latest_by_cell(load(path))
    names = runtimes or sorted({rt for rt, _ in cells})
    table = Table(title=f"summary: {path}")
    table.add_column("runtime")
    for status in STATUSES:
        table.add_column(status, justify="right", style=STATUS_STYLE[status])
    table.add_column("non-deterministic", justify="right")
    for name in names:
        mine = [r for (rt, _), r in cells.items() if rt == name]
        counts = {s: sum(r["status"] == s for r in mine) for s in STATUSES}
        flaky = sum(r.get("deterministic") is False for r in mine)
        table.add_row(name, *[str(counts[s] or "") for s in STATUSES], str(flaky or ""))
    console.print(table)
    failed: dict[str, list[str]] = {}
    for (rt, scn), record in cells.items():
        if record["status"] == "fail":
            failed.setdefault(scn, []).append(rt)
    if failed:
        console.print("[bold]expected behaviour not met[/] (scenario: runtimes)")
        for scn, rts in sorted(failed.items()):
            console.print(f"  {scn}: {', '.join(rts)}")


def cmd_bench(args, console: Console) -> int:
    from .bench import bench

    return bench(args.quick, args.out, console, args.python)


def cmd_new_impl(args, console: Console) -> int:
    from impls.scaffold import scaffold

    try:
        root = scaffold(args.name, Path(args.dir))
    except (ValueError, FileExistsError) as exc:
        console.print(f"[red]{exc}[/]")
        return 2
    console.print(f"created {root}\nnext:\n  pip install -e {root}\n"
                  f"  pytest --pyargs impls.conformance --impl {args.name}\n"
                  f"  loopbench run --runtimes {args.name},heap,asyncio")
    return 0


def cmd_report(args, console: Console) -> int:
    from .report.render import render

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        console.print(f"[red]no such run directory: {run_dir}[/]")
        return 2
    written = render(run_dir)
    console.print(f"report: {written['md']}\n        {written['html']}")
    return 0


def cmd_compare(args, console: Console) -> int:
    from .report.compare import compare, to_markdown

    for d in (args.a, args.b):
        if not Path(d).is_dir():
            console.print(f"[red]no such run directory: {d}[/]")
            return 2
    changes, status_changes = compare(Path(args.a), Path(args.b))
    text = to_markdown(Path(args.a), Path(args.b), changes, status_changes)
    out = Path(args.b) / f"compare-{Path(args.a).resolve().name}.md"
    out.write_text(text)
    print(text)
    console.print(f"written to {out}")
    return 0


def cmd_explain(args, console: Console) -> int:
    from .explain.cli import explain_command

    return explain_command(args, console)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loopbench", description="Compare event loops: behaviour and latency.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list runtimes and scenarios")
    run = sub.add_parser("run", help="run scenarios on runtimes, each cell in a fresh subprocess")
    run.add_argument("--runtimes", help="comma-separated runtime names (default: all)")
    run.add_argument("--scenarios", help="comma-separated scenario names or groups (default: all)")
    run.add_argument("--repeat", type=int, help="runs per behaviour scenario (default 5)")
    run.add_argument("--out", help="output directory (default reports/<UTC timestamp>)")
    run.add_argument("--resume", action="store_true", help="keep results already in --out, run only the rest")
    run.add_argument("--quick", action="store_true", help="only the quick scenarios, at small sizes")
    run.add_argument("--timeout", type=float, help="seconds per cell (default 60 behaviour, 300 latency)")
    run.add_argument("--jobs", type=int, default=2, help="behaviour cells run in parallel (default 2)")
    bench = sub.add_parser("bench", help="what `make bench` runs: everything, then the report")
    bench.add_argument("--quick", action="store_true", help="quick scenarios at small sizes (about a minute)")
    bench.add_argument("--out", help="output directory (default reports/<UTC timestamp>)")
    bench.add_argument("--python", action="append", metavar="PATH",
                       help="measure under this interpreter too, in its own venv (repeatable; "
                            "default: only the interpreter running loopbench); one report across them")
    new_impl = sub.add_parser("new-impl", help="scaffold a new implementation as an installable package")
    new_impl.add_argument("name", help="the implementation's name, e.g. 'mine'")
    new_impl.add_argument("--dir", default=".", help="where to create loopbench-NAME/ (default: here)")
    report = sub.add_parser("report", help="write report.md/.html and plots for a saved run")
    report.add_argument("run_dir")
    compare = sub.add_parser("compare", help="compare two saved runs (B against A)")
    compare.add_argument("a")
    compare.add_argument("b")
    from .explain.cli import add_parser as add_explain_parser

    add_explain_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    load_plugins()
    args = build_parser().parse_args(argv)
    console = Console()
    commands = {"list": cmd_list, "run": cmd_run, "bench": cmd_bench, "report": cmd_report,
                "compare": cmd_compare, "new-impl": cmd_new_impl, "explain": cmd_explain}
    return commands[args.command](args, console)


if __name__ == "__main__":
    sys.exit(main())

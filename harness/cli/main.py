"""The loopbench command line: ``python -m harness ...`` or ``loopbench ...``.

    loopbench list                                  runtimes and scenarios
    loopbench run [--runtimes a,b] [--scenarios x,y] [-k EXPR] [--repeat N] [--out DIR]
                  [--resume] [--quick] [--timeout S] [--jobs N]
    loopbench bench [--quick] [--out DIR] [--resume] [--python PATH ...]
                                                    what `make bench` runs
    loopbench new-impl NAME [--dir DIR]             scaffold a new implementation package
    loopbench report RUN_DIR                        (re)write report.md/.html and plots from saved data
    loopbench compare A_DIR B_DIR                   what changed from run A to run B, as ratios
    loopbench explain WALKTHROUGH [--impl NAME] [--step] [--html FILE]
                                                    watch a loop work, step by step, as the talk draws it
    loopbench cpython-tests --loop NAME [--modules m1,m2]
                                                    CPython's whole test_asyncio on any asyncio loop
    loopbench anyio-tests --loop NAME               anyio's own test suite on any asyncio loop
    loopbench judges --out DIR [--loop NAME ...]    both, as a compatibility matrix (judges.json, judges.md)
    loopbench --version

Names: ``--runtimes`` and ``--scenarios`` take exact names, groups (``timers``) and
globs (``'timers.*'``); ``-k`` a pytest-style keyword expression (``'timers and not
slides'``). A name that matches nothing is an error that suggests the closest ones.

Exit status: 0 done; 1 a run with any cell that failed, errored or timed out, or an
error (named on stderr); 2 a usage error; 130 interrupted by Ctrl-C, 143 by SIGTERM
(the cells running are killed, nothing half-done is recorded, and the exact command
that resumes the run is printed). Output goes to ``./reports/<UTC timestamp>/`` unless
``--out`` says otherwise. Errors and warnings go to stderr.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import math
import os
import shlex
import signal
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from impls import DISTRIBUTION

from ..judges import anyio_tests, cpython_tests, matrix
from . import realworld as realworld_cli
from ..execution import profile
from .. import runtimes as runtime_registry
from ..runtimes.plugins import PluginError, load_plugins
from .errors import UsageError
from .progress import progress_callbacks, summarize
from ..results.records import PROBLEMS, RunDirError, check_run_dir, latest_by_cell, load
from ..execution.runner import JOBS, run_matrix
from ..results.rundir import point_latest, utc_stamp
from ..runtimes.interface import Unavailable
from .selection import SelectionError, match_names, select_scenarios

REPORTS_DIR = "reports"
INTERRUPTED = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: the run stops cleanly and says how to resume."""


def _names(value: str | None, option: str) -> list[str] | None:
    """The comma-separated names of ``option`` (None: the option was not given)."""
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise UsageError(f"{option} names nothing; leave it out to mean all")
    return names


def cmd_list(args, console: Console) -> int:
    table = Table(title="runtimes")
    table.add_column("name", no_wrap=True)
    for col in ("family", "version", "emulated", "unsupported"):
        table.add_column(col)
    for name in runtime_registry.names():
        try:
            rt = runtime_registry.create(name)
        except Unavailable as exc:
            table.add_row(escape(name), "?", "unavailable", "", escape(str(exc)))
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
    for s in select_scenarios():
        checks = "observed" if s.kind == "behaviour" and s.observational else (
            "expected" if s.kind == "behaviour" else "metrics")
        table.add_row(escape(s.name), s.kind, checks, "yes" if s.quick else "", escape(s.doc))
    console.print(table)
    return 0


def cmd_run(args, console: Console) -> int:
    if args.resume and not args.out:
        raise UsageError("--resume continues a run: say which with --out DIR")
    runtimes = match_names(_names(args.runtimes, "--runtimes") or runtime_registry.names(),
                           runtime_registry.names(), "runtime")
    scenarios = select_scenarios(_names(args.scenarios, "--scenarios"), args.keyword, quick=args.quick)
    if args.quick:
        profile.use("quick")                       # small sizes, inherited by every cell
    out_dir = output_dir(args.out)
    console.print(escape(f"running {len(scenarios)} scenarios x {len(runtimes)} runtimes -> {out_dir}"))
    try:
        with progress_callbacks(console) as (on_start, on_result):
            path = run_matrix(runtimes, scenarios, out_dir, repeat=args.repeat, resume=args.resume,
                              timeout=args.timeout, jobs=args.jobs, on_start=on_start, on_result=on_result)
    except KeyboardInterrupt as stop:
        return interrupted(stop, out_dir, resume_command(args.argv, out_dir))
    _render_run(out_dir, console)
    summarize(path, console, runtimes=runtimes)
    problems = [r for r in latest_by_cell(load(path)).values() if r["status"] in PROBLEMS]
    if problems:
        _error_console().print(f"loopbench: {len(problems)} cell(s) failed, errored or timed out "
                               f"(see {path})", markup=False, highlight=False)
        return 1
    return 0


def _render_run(out_dir: Path, console: Console) -> None:
    """A finished run gets its report, and ``reports/latest`` points at it when it is there."""
    from ..report.render import render

    written = render(out_dir)
    if out_dir.parent == Path(REPORTS_DIR).absolute():
        point_latest(out_dir)
    console.print(escape(f"report: {written['md']}"))


def output_dir(out: str | None, *, create: bool = True) -> Path:
    """The run directory: ``--out``, or ``./reports/<UTC timestamp>``; created, or a clear UsageError."""
    path = Path(out) if out else Path(REPORTS_DIR) / utc_stamp()
    path = path.absolute()
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory")
    if not create:
        return path
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {path}: cannot create it ({exc.strerror or exc})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"--out {path}: not writable")
    return path


def resume_command(argv: list[str], out_dir: Path) -> str:
    """The exact command that continues this run: its own arguments, ``--out`` spelled out, ``--resume``."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--out":
            skip = True
        elif not (arg.startswith("--out=") or arg == "--resume"):
            kept.append(arg)
    return shlex.join([*_program(), *kept, "--out", str(out_dir), "--resume"])


def _program() -> list[str]:
    if sys.argv and Path(sys.argv[0]).name == "__main__.py":
        return [sys.executable, "-m", "harness"]
    return ["loopbench"]


def interrupted(stop: KeyboardInterrupt, out_dir: Path, how_to_resume: str | None) -> int:
    """Say what an interrupted run kept and how to go on; the exit status for it."""
    err = _error_console()
    kept = len(latest_by_cell(load(out_dir / "results.jsonl")))
    cause = "SIGTERM" if isinstance(stop, Terminated) else "Ctrl-C"
    err.print(f"loopbench: interrupted by {cause}: the running cells were killed; "
              f"{kept} finished cell(s) are kept in {out_dir / 'results.jsonl'}", markup=False, highlight=False,
              soft_wrap=True)
    if how_to_resume:
        err.print(f"to continue: {how_to_resume}", markup=False, highlight=False, soft_wrap=True)
    return INTERRUPTED[signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT]


def cmd_bench(args, console: Console) -> int:
    from ..execution.interpreters import InterpreterError, find
    from .bench import bench

    if args.resume and not args.out:
        raise UsageError("--resume continues a bench: say which with --out DIR")
    if args.resume and not Path(args.out).is_dir():
        raise UsageError(f"--resume: {args.out} is not a directory a bench wrote")
    for spec in args.python or []:
        try:
            find(spec)                              # every interpreter exists and runs, before any work
        except InterpreterError as exc:
            raise UsageError(f"--python: {exc}") from None
    out_dir = output_dir(args.out, create=False)
    latest = out_dir.parent / "latest"
    if latest.exists() and not latest.is_symlink():
        raise UsageError(f"{latest} is not the link bench keeps to the newest run; move it away first")
    output_dir(str(out_dir))
    try:
        return bench(args.quick, str(out_dir), console, rigorous=args.rigorous, pythons=args.python,
                     resume=args.resume, precision=args.precision / 100, budget_s=args.budget)
    except KeyboardInterrupt as stop:
        code = interrupted(stop, out_dir, resume_command(args.argv, out_dir))
        _error_console().print("a report of what was measured: "
                               + shlex.join([*_program(), "report", str(out_dir)]),
                               markup=False, highlight=False, soft_wrap=True)
        return code


def cmd_new_impl(args, console: Console) -> int:
    from impls.scaffold import scaffold

    directory = Path(args.dir)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--dir {args.dir}: exists and is not a directory")
    if args.name in runtime_registry.builtin_names():
        raise UsageError(f"{args.name!r} is already a runtime's name; choose another")
    try:
        root = scaffold(args.name, directory)
    except (ValueError, FileExistsError) as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"--dir {args.dir}: cannot create the package there ({exc.strerror or exc})") from None
    console.print(escape(f"created {root}\nnext:\n  pip install -e {root}\n"
                         f"  pytest --pyargs impls.conformance --impl {args.name}\n"
                         f"  loopbench run --runtimes {args.name},heap,asyncio"))
    return 0


def cmd_report(args, console: Console) -> int:
    from ..report.render import render

    run_dir = Path(args.run_dir)
    check_run_dir(run_dir)
    try:
        written = render(run_dir)
    except (TypeError, ValueError) as exc:
        raise RunDirError(_wrong_shape(run_dir, exc)) from None
    console.print(escape(f"report: {written['md']}\n        {written['html']}"))
    return 0


def cmd_compare(args, console: Console) -> int:
    from ..report.compare import compare, to_json, to_markdown

    a, b = Path(args.a), Path(args.b)
    for d in (a, b):
        check_run_dir(d)
    try:
        comparison = compare(a, b)
    except (TypeError, ValueError) as exc:
        raise RunDirError(_wrong_shape(f"{a} or {b}", exc)) from None
    for empty in comparison.empty:
        _error_console().print(escape(f"loopbench: {empty} is empty: its results.jsonl has no records and it has "
                                      "no micro-suite results; there is nothing to compare"))
    if comparison.empty and args.fail_on is not None:
        return 1
    out = b / f"compare-{a.resolve().name}.md"
    out.write_text(to_markdown(comparison))
    out.with_suffix(".json").write_text(to_json(comparison))
    if comparison.environment:
        console.print("[bold]the two runs come from different environments:[/]")
        for what, x, y in comparison.environment:
            console.print(escape(f"  {what}: {x} -> {y}"))
    table = Table(title=escape(f"{a.name} (A) -> {b.name} (B)"))
    for column in ("measure", "runtime", "A", "B", "B / A", "test", "verdict"):
        table.add_column(column, justify="left" if column in ("measure", "runtime", "verdict") else "right")
    style = {"WORSE": "bold red", "better": "green"}
    for ch in sorted(comparison.changes, key=lambda ch: (not ch.significant, ch.measure, ch.runtime)):
        table.add_row(escape(ch.measure), escape(ch.runtime), f"{ch.a:.4g}", f"{ch.b:.4g}", f"{ch.ratio:.2f}",
                      ch.test, f"[{style.get(ch.verdict, 'dim')}]{ch.verdict}[/]")
    console.print(table)
    overlap, total = comparison.agreement
    if total:
        console.print(f"the runs agree within their 95% intervals on {overlap} of {total} summary cells "
                      f"({overlap / total:.0%})")
    agree, both = comparison.verdicts
    if both:
        console.print(f"better/same/worse than asyncio: the runs agree on {agree} of {both} verdicts ({agree / both:.0%})")
    flagged = sum(1 for ch in comparison.changes if ch.significant)
    console.print(escape(f"{flagged} of {len(comparison.changes)} cells changed significantly; machine load: "
                         f"A {comparison.load[0]}; B {comparison.load[1]}"))
    console.print(escape(f"written to {out} and {out.with_suffix('.json')}"))
    if args.fail_on is not None:
        worse = comparison.regressions(args.fail_on)
        if worse:
            _error_console().print(escape(
                f"loopbench: {len(worse)} significant change(s) worse than {args.fail_on:g}% "
                f"(Holm-corrected over {sum(1 for ch in comparison.changes if ch.p_value is not None)} tests): "
                + ", ".join(f"{ch.measure} on {ch.runtime} ({ch.ratio:.2f}x)" for ch in worse[:5])))
            return 1
    return 0


def _wrong_shape(where, exc: Exception) -> str:
    return (f"{where}: a record holds a value of the wrong type, not as loopbench writes it "
            f"({type(exc).__name__}: {exc})")


def cmd_explain(args, console: Console) -> int:
    from ..explain.cli import explain_command

    return explain_command(args, console)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _finite(text: str, what: str, *, above_zero: bool) -> float:
    """A finite number of ``what`` from the command line, above 0 (or at least 0)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a {what}: {text!r}") from None
    if not math.isfinite(value) or value < 0 or (above_zero and value == 0):
        bound = "above 0" if above_zero else "of 0 or more"
        raise argparse.ArgumentTypeError(f"must be a finite {what} {bound}, not {text}")
    return value


def _percent(text: str) -> float:
    return _finite(text, "percentage", above_zero=False)


def _seconds(text: str) -> float:
    return _finite(text, "number of seconds", above_zero=True)


def _version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loopbench", allow_abbrev=False,
                                     description="Compare event loops: behaviour and latency.")
    parser.add_argument("--version", action="version", version=f"loopbench {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list runtimes and scenarios")
    run = sub.add_parser("run", allow_abbrev=False,
                         help="run scenarios on runtimes, each cell in a fresh subprocess")
    run.add_argument("--runtimes", help="comma-separated runtime names or globs (default: all)")
    run.add_argument("--scenarios", help="comma-separated scenario names, groups or globs (default: all)")
    run.add_argument("-k", dest="keyword", metavar="EXPR",
                     help="only scenarios whose name matches a keyword expression, e.g. 'timers and not slides'")
    run.add_argument("--repeat", type=_positive_int, help="runs per behaviour cell (default: 5 where a trace is judged, 20 where it is observed)")
    run.add_argument("--out", help="output directory (default ./reports/<UTC timestamp>)")
    run.add_argument("--resume", action="store_true", help="keep results already in --out, run only the rest")
    run.add_argument("--quick", action="store_true", help="only the quick scenarios, at small sizes")
    run.add_argument("--timeout", type=_seconds, help="seconds per cell (default 60 behaviour, 300 latency)")
    run.add_argument("--jobs", type=_positive_int, default=JOBS,
                     help=f"behaviour cells run in parallel (default {JOBS}: four per core: a behaviour cell mostly waits)")
    run.add_argument("--asyncio-loop", action="append", metavar="NAME=module:factory",
                     help="also run on this asyncio event loop (repeatable), e.g. rl=rloop:new_event_loop")
    bench = sub.add_parser("bench", allow_abbrev=False, help="what `make bench` runs: everything, then the report")
    bench.add_argument("--quick", action="store_true", help="quick scenarios at small sizes (about a minute)")
    bench.add_argument("--out", help="output directory (default ./reports/<UTC timestamp>)")
    bench.add_argument("--resume", action="store_true",
                       help="continue an interrupted bench in --out: keep the cells it finished, run the rest")
    bench.add_argument("--asyncio-loop", action="append", metavar="NAME=module:factory",
                       help="also measure this asyncio event loop (repeatable)")
    bench.add_argument("--rigorous", action="store_true",
                       help="default sizes, at least 10 paired rounds of the micro-suite, longer rounds (about three times as long)")
    bench.add_argument("--precision", type=_percent, default=5.0, metavar="PCT",
                       help="add paired rounds until every throughput ratio to asyncio has a 95%% "
                            "half-width within PCT percent (default 5), or the budget ends")
    bench.add_argument("--budget", type=_seconds, default=None, metavar="SECONDS",
                       help="seconds the micro-suite may take in all, its least rounds whatever "
                            "they take (default: what the steps before it left of 5 minutes on a quiet "
                            "machine, up to 9 on a shared one, at most 300; quick: 0, its least "
                            "rounds; rigorous: 1800)")
    bench.add_argument("--python", action="append", metavar="PATH",
                       help="measure under this interpreter too, in its own venv (repeatable; "
                            "default: only the interpreter running loopbench); one report across them")
    new_impl = sub.add_parser("new-impl", help="scaffold a new implementation as an installable package")
    new_impl.add_argument("name", help="the implementation's name, e.g. 'mine'")
    new_impl.add_argument("--dir", default=".", help="where to create loopbench-NAME/ (default: here)")
    report = sub.add_parser("report", help="write report.md/.html and plots for a saved run")
    report.add_argument("run_dir")
    compare = sub.add_parser("compare", help="compare two saved runs (B against A), with a significance test")
    compare.add_argument("a")
    compare.add_argument("b")
    compare.add_argument("--fail-on", type=_percent, metavar="PCT",
                         help="exit 1 when a statistically significant change is worse than PCT percent")
    from ..explain.cli import add_parser as add_explain_parser

    add_explain_parser(sub)
    cpython_tests.add_parser(sub)
    realworld_cli.add_parser(sub)
    anyio_tests.add_parser(sub)
    matrix.add_parser(sub)
    return parser


def _add_asyncio_loops(args) -> None:
    """``--asyncio-loop NAME=module:factory``: checked here, then handed to every cell's process
    through the environment. A usage error for a malformed spec, an unsafe name, a name that is
    already a runtime or given twice, and a module or factory that cannot be found; the variable
    itself (set by hand) is checked the same way."""
    try:
        inherited = runtime_registry.asyncio_loops()
        specs = getattr(args, "asyncio_loop", None) or []
        if not specs:
            return
        parsed = [runtime_registry.parse_asyncio_loop(text) for text in specs]
        taken = runtime_registry.builtin_names()
        seen: set[str] = set()
        for name, spec in parsed:
            if name in taken:
                raise UsageError(f"--asyncio-loop {name}={spec}: {name!r} is already a runtime "
                                 "(it would measure the built-in); give the loop another name")
            if name in seen:
                raise UsageError(f"--asyncio-loop: the name {name!r} is given twice")
            if name in inherited:
                raise UsageError(f"--asyncio-loop: {name!r} already names an asyncio loop (from "
                                 f"{runtime_registry.ASYNCIO_LOOPS_VAR} or an installed entry point)")
            seen.add(name)
            runtime_registry.check_asyncio_loop_importable(name, spec)
    except runtime_registry.AsyncioLoopError as exc:
        raise UsageError(str(exc)) from None
    current = os.environ.get(runtime_registry.ASYNCIO_LOOPS_VAR, "")
    os.environ[runtime_registry.ASYNCIO_LOOPS_VAR] = ";".join(
        filter(None, [current, *(f"{name}={spec}" for name, spec in parsed)]))


def _error_console() -> Console:
    return Console(stderr=True)


@contextmanager
def _warnings_on(err: Console):
    """Warnings (a skipped record, a cut torn line) as one line each on stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = lambda message, *_, **__: err.print(
            f"loopbench: warning: {message}", markup=False, highlight=False, soft_wrap=True)
        yield


@contextmanager
def _sigterm_as_interrupt():
    """SIGTERM raises ``Terminated`` (a KeyboardInterrupt) in the main thread, as Ctrl-C does."""
    def terminate(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


COMMANDS = {"list": cmd_list, "run": cmd_run, "bench": cmd_bench, "report": cmd_report,
            "compare": cmd_compare, "new-impl": cmd_new_impl, "explain": cmd_explain,
            "cpython-tests": cpython_tests.cpython_tests_command, "anyio-tests": anyio_tests.anyio_tests_command,
            "judges": matrix.judges_command, "realworld": realworld_cli.realworld_command}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)                  # a usage error: message on stderr, exit 2
    args.argv = argv
    err = _error_console()
    console = Console()

    def fail(message: str, code: int) -> int:
        err.print(f"loopbench: error: {message}", markup=False, highlight=False, soft_wrap=True)
        return code

    with _warnings_on(err), _sigterm_as_interrupt():
        try:
            load_plugins()
            _add_asyncio_loops(args)
            return COMMANDS[args.command](args, console)
        except (UsageError, SelectionError) as exc:
            parser.print_usage(sys.stderr)
            return fail(str(exc), 2)
        except (RunDirError, PluginError) as exc:
            return fail(str(exc), 1)
        except KeyboardInterrupt as stop:             # outside a run: nothing to resume
            return INTERRUPTED[signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT]


if __name__ == "__main__":
    sys.exit(main())

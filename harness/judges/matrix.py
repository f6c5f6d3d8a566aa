"""``loopbench judges --out DIR``: both judges on every loop named, as a compatibility matrix.

Runs CPython's whole test.test_asyncio (``cpython_tests``) and anyio's test suite
(``anyio_tests``) on each loop (by default ``DEFAULT_LOOPS``: asyncio, uvloop, rloop and
our heap loop hosted through ``impls.asyncio_loop``), and writes into DIR:

* ``judges.json``: every test's bucket, outcome and first line of error, per suite and loop;
* ``judges.md`` and ``judges.html``: the matrix (``harness.report.sections.compat``).

DIR may be a bench run directory: its report then includes the matrix
(``make bench JUDGES=1`` does that). A loop that cannot be made here (uvloop on Windows,
asyncio-eager before 3.12) is left out with the reason, and the others run.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

from ..report.sections import compat
from . import anyio_tests, cpython_tests, loops

DEFAULT_LOOPS = ("asyncio", "uvloop", "rloop", "heap")
SUITES = ("cpython", "anyio")


def add_parser(sub) -> None:
    parser = sub.add_parser("judges", help="CPython's test_asyncio and anyio's tests on many loops, as a matrix",
                            description="Run CPython's whole test.test_asyncio and anyio's test suite on each "
                                        f"loop (default: {', '.join(DEFAULT_LOOPS)}) and write judges.json, "
                                        "judges.md and judges.html into --out.")
    parser.add_argument("--out", required=True, help="the directory to write into (a bench run directory, or new)")
    cpython_tests.add_loop_arguments(parser)
    parser.add_argument("--suites", default=",".join(SUITES), help=f"comma-separated, of {', '.join(SUITES)}")
    parser.add_argument("--modules", help="only these modules of test.test_asyncio (comma-separated)")
    parser.add_argument("--select", metavar="EXPR", help="only the anyio tests pytest's -k EXPR selects")
    parser.add_argument("--module-timeout", type=float, default=cpython_tests.MODULE_TIMEOUT,
                        help="seconds a test_asyncio module may take before it counts as hanging")
    parser.add_argument("--install-deps", action="store_true",
                        help="pip install anyio's test dependencies that are missing")


def judges_command(args, console) -> int:
    from ..cli.errors import UsageError

    suites = [s.strip() for s in args.suites.split(",") if s.strip()]
    if not suites or set(suites) - set(SUITES):
        raise UsageError(f"--suites takes {', '.join(SUITES)}, not {args.suites!r}")
    try:
        specs = cpython_tests.loop_specs(args, default=DEFAULT_LOOPS)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = {"python": platform.python_version(), "anyio": None, "loops": [s.name for s in specs],
            "cpython": [], "anyio_suite": []}

    def progress(text: str) -> None:
        console.print(text, highlight=False)

    if "cpython" in suites:
        listed = cpython_tests.list_modules(sys.executable)
        if isinstance(listed, str):
            raise UsageError(listed)
        modules = [m.strip() for m in args.modules.split(",")] if args.modules else listed
        if set(modules) - set(listed):
            raise UsageError(f"not in test.test_asyncio: {', '.join(sorted(set(modules) - set(listed)))}")
        for spec in specs:
            start = time.perf_counter()
            run = cpython_tests.run_loop(spec, modules, module_timeout=args.module_timeout, progress=progress)
            run["seconds"] = round(time.perf_counter() - start, 1)
            data["cpython"].append(run)
            _save(out, data)
    if "anyio" in suites:
        try:
            root = anyio_tests.prepare(install=args.install_deps)
        except RuntimeError as exc:
            raise UsageError(f"anyio's suite not run: {exc}") from None
        for spec in specs:
            run = anyio_tests.run_suite(spec, root, select=args.select)
            data["anyio"] = run["anyio"]
            data["anyio_suite"].append(run)
            progress(f"{spec.name} anyio: {run['status']}, {len(run['tests'])} tests in {run['seconds']:.0f} s")
            _save(out, data)
    paths = compat.write(out)
    console.print(f"wrote {out / compat.FILE}, {paths['md']} and {paths['html']}", highlight=False)
    return 0


def _save(out: Path, data: dict) -> None:
    """judges.json as it stands (so an interrupted run keeps the loops already judged)."""
    (out / compat.FILE).write_text(json.dumps(data, indent=1))


__all__ = ["DEFAULT_LOOPS", "judges_command", "loops"]

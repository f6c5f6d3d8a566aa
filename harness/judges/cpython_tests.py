"""``loopbench cpython-tests --loop NAME``: the whole of CPython's test.test_asyncio on any asyncio loop.

The strongest outside check of an asyncio event loop is the interpreter's own
``test.test_asyncio``. This command runs all of it (every ``test_*`` module of the
package, 2,300+ tests on 3.11) on the loops named with ``--loop``: ``asyncio``,
``asyncio-eager`` (3.12+), ``uvloop``, ``rloop``, any of ours by name (hosted through
``impls.asyncio_loop``), and any other named with ``--asyncio-loop NAME=module:factory``.
``--impl NAME`` is the older spelling of ``--loop NAME``.

Each module runs in its own process (``harness.judges.cpython_child``, which says how
the loop is installed) with ``--module-timeout`` seconds; a module that takes longer is
reported as hanging, its unfinished tests counted as such, and the run goes on.

**Every test is counted in exactly one bucket** (``BUCKETS``), so the denominator is the
whole test_asyncio on every loop:

* not run: tests reading a loop's private state (asyncio's internals, which no other loop
  has), and the copies of the loop tests on another selector of asyncio's own loop;
* ran, but not on the loop under test: tests that never asked asyncio for a loop (tests of
  asyncio's own classes and functions: its selector and proactor internals, SSLProtocol,
  the Windows modules...), and, on a loop without a virtual clock, tests that need
  asyncio's virtual-time ``TestLoop``;
* ran on the loop under test, in a feature the loop declares missing (UDP, subprocess,
  signals...: ``loops.FEATURES``): a row of their own, with their outcomes;
* ran on the loop under test: passed, failed, skipped (by CPython's own conditions);
* hung (the module ran out of time first) or crashed (its process died first).

Every failure is printed with the first line of its error; those in ``KNOWN_FAILURES``
with the reason we know of. ``--json`` saves the results (``loopbench judges`` builds its
matrix from them).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import loops
from .session import run_in_session
from .cpython_child import NO_TEST_PACKAGE, OTHER_SELECTOR, PRIVATE

ROOT = Path(__file__).resolve().parents[2]

#: Every bucket a test can end in, with what it means; each test is in exactly one.
BUCKETS: dict[str, str] = {
    "passed": "ran on the loop under test and passed",
    "failed": "ran on the loop under test and failed (failure, error or unexpected success)",
    "skipped": "ran on the loop under test and was skipped by CPython's own conditions",
    "missing": "ran on the loop under test in a feature the loop declares missing",
    "off-loop": "never asked asyncio for a loop: a test of asyncio's own classes or functions",
    "virtual-time": "needs asyncio's virtual-time TestLoop, which a loop without a virtual clock cannot replace",
    PRIVATE: "not run: reads a private attribute of the loop, or tests asyncio's private transport classes "
             "(asyncio's internals, not the loop API)",
    OTHER_SELECTOR: "not run: the same loop tests on another selector of asyncio's own loop",
    "hung": "not finished: its module ran out of time",
    "crashed": "not finished: its module's process died",
}

#: Seconds one module may take before it counts as hanging.
MODULE_TIMEOUT = 600.0

@dataclass(frozen=True)
class Known:
    """Failures we know of: tests whose id ends like ``tests`` (a regex), failing with a
    symptom matching ``symptom`` (a regex), on ``loops`` (None: on every loop of ours).
    A failure with another symptom is not known, so a new fault cannot hide here."""

    tests: str
    symptom: str
    reason: str
    loops: frozenset[str] | None = None


_LOGGER_PATCH = ("the test patches asyncio.base_events.logger, the module attribute asyncio's own loop logs "
                 "through; ours logs to the same 'asyncio' logger, not through that attribute")

#: Every failure we know of, with its reason. A failure not listed here is reported as not known.
KNOWN_FAILURES: list[Known] = [
    Known(r"\.test_(future_exception_never_retrieved(_debug)?|tb_logger_exception_unretrieved|error_in_call_soon)",
          r"Expected 'error' to be called once|False is not true", _LOGGER_PATCH),
    Known(r"\.test_log_destroyed_pending_task", r"no attribute '_run_once'",
          "the test calls loop._run_once(), one iteration of asyncio's own loop (a private method)"),
    Known(r"(Future|Coroutine)GatherTests\.test_\w+", r"no attribute '_ready'",
          "the tests' helper _run_loop() reads loop._ready, asyncio's private ready queue"),
    Known(r"\.test_stop_while_run_in_complete", r"0\.3 != 0\.2",
          "asyncio's TestLoop moves its clock to the next timer at the end of the iteration in which "
          "stop() was called (0.3); a VirtualClock moves only when the loop waits, so time is still 0.2"),
    Known(r"EventLoopTests\.test_call_soon_threadsafe(_same_thread)?", r"\['world', 'hello'\]",
          "our loops take callbacks posted with call_soon_threadsafe into the ready queue at the start of "
          "the next iteration, after those already scheduled with call_soon (impls/base.py, step 2); "
          "asyncio appends both to one queue, so the test expects the thread's callback first"),
]



# ------------------------------------------------------------------ the command
def add_parser(sub) -> None:
    parser = sub.add_parser("cpython-tests", help="run CPython's whole test.test_asyncio on any asyncio loop",
                            description="Run the interpreter's own test.test_asyncio, every module in its own "
                                        "process, on each loop named (asyncio's own by default); each test "
                                        "is counted in exactly one bucket.")
    add_loop_arguments(parser)
    parser.add_argument("--modules", help="comma-separated modules of test.test_asyncio (default: all of them)")
    parser.add_argument("--module-timeout", type=float, default=MODULE_TIMEOUT,
                        help=f"seconds a module may take before it counts as hanging (default {MODULE_TIMEOUT:.0f})")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter whose test.test_asyncio to run (default: this one)")
    parser.add_argument("--json", help="also save the results here")
    parser.add_argument("--verbose", action="store_true", help="also list the tests not run, by bucket")


def add_loop_arguments(parser) -> None:
    """``--loop``, ``--impl`` (its older spelling) and ``--asyncio-loop``, shared by the judges."""
    parser.add_argument("--loop", action="append", metavar="NAME",
                        help="a loop to judge (repeatable): asyncio, asyncio-eager, uvloop, rloop, one of ours "
                             "(heap, list...) or a name given with --asyncio-loop")
    parser.add_argument("--impl", action="append", metavar="NAME", help="the same as --loop (the older spelling)")
    parser.add_argument("--asyncio-loop", action="append", metavar="NAME=module:factory", default=[],
                        help="another asyncio loop, made by calling module:factory (repeatable)")


def loop_specs(args, default: tuple[str, ...] = ("asyncio",)) -> list[loops.LoopSpec]:
    """The loops the command line names, or ValueError saying what is wrong."""
    from ..runtimes import parse_asyncio_loop

    extra = dict(parse_asyncio_loop(text) for text in args.asyncio_loop)
    chosen = (args.loop or []) + (args.impl or []) or [*extra] or list(default)
    return [loops.resolve(name, extra) for name in dict.fromkeys(chosen)]


def _error(message: str) -> None:
    """Errors go to stderr, as the command line's own do."""
    from rich.console import Console

    Console(stderr=True).print(f"loopbench: error: {message}", markup=False, highlight=False, soft_wrap=True)


def cpython_tests_command(args, console) -> int:
    from ..cli.errors import UsageError

    try:
        specs = loop_specs(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    listed = list_modules(args.python)
    if isinstance(listed, str):
        raise UsageError(listed)
    modules = [m.strip() for m in args.modules.split(",")] if args.modules else listed
    unknown = [m for m in modules if m not in listed]
    if unknown:
        raise UsageError(f"not in test.test_asyncio: {', '.join(unknown)}; choose from {', '.join(listed)}")
    status, runs = 0, []
    for spec in specs:
        results = run_loop(spec, modules, args.python, args.module_timeout,
                           progress=lambda text: console.print(text, highlight=False, soft_wrap=True))
        runs.append(results)
        status = max(status, report(results, console, verbose=args.verbose))
    if args.json:
        Path(args.json).write_text(json.dumps({"cpython": runs}, indent=1))
    return status


_LIST = ("import importlib.util, pkgutil, sys\n"
         "if importlib.util.find_spec('test') is None or importlib.util.find_spec('test.test_asyncio') is None:\n"
         "    sys.exit(3)\n"
         "import test.test_asyncio as t\n"
         "print(' '.join(sorted(m.name for m in pkgutil.iter_modules(t.__path__) if m.name.startswith('test_'))))")


def list_modules(python: str) -> list[str] | str:
    """The test modules of ``python``'s test.test_asyncio, or why there are none."""
    proc = subprocess.run([python, "-c", _LIST], capture_output=True, text=True, timeout=120)
    if proc.returncode == NO_TEST_PACKAGE:
        ver = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2], sep='.')"],
                             capture_output=True, text=True).stdout.strip()
        return (f"{python} (Python {ver}) has no test.test_asyncio: this interpreter was installed without "
                f"CPython's test package (on Debian and Ubuntu it is python{ver}'s testsuite package, "
                f"libpython{ver}-testsuite). Install it, or pass --python an interpreter that has it.")
    if proc.returncode != 0:
        return f"cannot list test.test_asyncio with {python}: {proc.stderr.strip()[-500:]}"
    return proc.stdout.split()


def run_loop(spec: loops.LoopSpec, modules: list[str], python: str = sys.executable,
             module_timeout: float = MODULE_TIMEOUT, progress=None) -> dict:
    """Every module on one loop: ``{"loop", "python", "missing", "modules": {module:
    {"status", "seconds", "tests": {test_id: {"bucket", "outcome", "detail", "feature"}}}}}``."""
    results = {"loop": spec.name, "python": None, "missing": list(spec.missing), "modules": {}}
    for module in modules:
        start = time.perf_counter()
        outcome = run_module(spec, module, python, module_timeout)
        outcome["seconds"] = round(time.perf_counter() - start, 2)
        results["modules"][module] = outcome
        if progress:
            counts = bucket_counts(outcome["tests"])
            progress(f"{spec.name} {module}: {outcome['status']}, {len(outcome['tests'])} tests in "
                     f"{outcome['seconds']:.0f} s ({', '.join(f'{v} {k}' for k, v in counts.items() if v)})")
    results["python"] = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                                       capture_output=True, text=True).stdout.strip()
    return results


def run_module(spec: loops.LoopSpec, module: str, python: str, timeout: float) -> dict:
    """One module in its own process: ``{"status": "ok"|"hung"|"crashed", "error", "tests"}``."""
    env = {**os.environ, loops.SPEC_VAR: spec.to_json(),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.jsonl"
        cmd = [python, "-m", "harness.judges.cpython_child", module, str(out)]
        status, error = "ok", ""
        with open(Path(tmp) / "output", "w+") as output:
            # Output to a file, not a pipe: a process the tests started may outlive the module.
            returncode, hung = run_in_session(cmd, output, timeout, env=env, cwd=tmp)
            if hung:
                status, error = "hung", f"the module did not finish within {timeout:.0f} s"
            output.seek(0)
            text = output.read()
            if returncode == NO_TEST_PACKAGE:
                raise SystemExit(text.strip())
            if status == "ok" and returncode != 0:
                tail = text.strip().splitlines()[-1:] or [""]
                status, error = "crashed", f"exit status {returncode}: {tail[0][:300]}"
        lines = out.read_text().splitlines() if out.exists() else []
    error = " ".join(filter(None, [error, _last_words(lines, status)]))
    return {"status": status, "error": error, "tests": classify(lines, spec, status)}


def _last_words(lines: list[str], status: str) -> str:
    """What the child's lines say about how it ended: the test it was in, the threads it left."""
    records = [json.loads(line) for line in lines if line.strip()]
    done = next((r for r in records if "done" in r), None)
    if done is not None:
        return f"(its tests left threads running: {', '.join(done['threads'])})" if done["threads"] else ""
    finished = {r["id"] for r in records if "id" in r}
    started = [r["start"] for r in records if "start" in r and r["start"] not in finished]
    if status != "ok" and started:
        return f"in {_short(started[-1])}"
    return ""


def classify(lines: list[str], spec: loops.LoopSpec, status: str) -> dict[str, dict]:
    """Each test of a module in exactly one bucket, from the child's lines (see
    ``cpython_child``) and how the module ended. A module that produced no plan at all
    (it hung or crashed while importing) counts as one test in that bucket."""
    records = [json.loads(line) for line in lines if line.strip()]
    records = [r for r in records if "start" not in r and "done" not in r]
    if not records or "planned" not in records[0]:
        return {"(the module)": {"bucket": status if status != "ok" else "crashed", "outcome": None,
                                 "detail": "the module produced no list of its tests", "feature": None}}
    planned = records[0]["planned"]
    tests: dict[str, dict] = {}
    for test_id, bucket in planned.items():
        if bucket is not None:
            tests[test_id] = {"bucket": bucket, "outcome": None, "detail": "", "feature": loops.feature_of(test_id)}
    for record in records[1:]:
        test_id, feature = record["id"], loops.feature_of(record["id"])
        entry = {"bucket": None, "outcome": record["outcome"], "detail": record["detail"], "feature": feature}
        if record.get("module_skipped"):
            entry["bucket"] = "skipped"                 # the whole module, by CPython's own condition
        elif record["loops"] == 0 and record["test_loops"] == 0:
            entry["bucket"] = "off-loop"
        elif record["loops"] == 0:
            entry["bucket"] = "virtual-time"
        elif feature in spec.missing:
            entry["bucket"] = "missing"
        else:
            entry["bucket"] = record["outcome"]
        previous = tests.get(test_id)
        if previous is None or previous["outcome"] == "passed":     # a class fixture's failure wins
            tests[test_id] = entry
    unfinished = "hung" if status == "hung" else "crashed"
    for test_id, bucket in planned.items():
        tests.setdefault(test_id, {"bucket": unfinished, "outcome": None, "detail": "", "feature":
                                   loops.feature_of(test_id)})
    return tests


def bucket_counts(tests: dict[str, dict]) -> dict[str, int]:
    counts = dict.fromkeys(BUCKETS, 0)
    for entry in tests.values():
        counts[entry["bucket"]] += 1
    return counts


def report(results: dict, console, verbose: bool = False) -> int:
    """Per-module counts by bucket, every failure with its reason, and the totals.
    Returns 1 if a failure is not known (``KNOWN_FAILURES``), else 0."""
    loop = results["loop"]
    console.print(f"CPython {results['python']} test.test_asyncio on {loop}"
                  + (f" (declares missing: {', '.join(results['missing'])})" if results["missing"] else ""),
                  highlight=False, soft_wrap=True)
    short = {"passed": "passed", "failed": "failed", "skipped": "skipped", "missing": "missing",
             "off-loop": "off-loop", "virtual-time": "virtual", PRIVATE: "private", OTHER_SELECTOR: "selector",
             "hung": "hung", "crashed": "crashed"}
    console.print(f"{'module':<22} " + " ".join(f"{v:>8}" for v in short.values()) + f" {'seconds':>8}",
                  highlight=False, soft_wrap=True)
    totals = dict.fromkeys(BUCKETS, 0)
    failures = []
    for module, outcome in results["modules"].items():
        counts = bucket_counts(outcome["tests"])
        for key, value in counts.items():
            totals[key] += value
        note = f"  {outcome['status']}: {outcome['error']}" if outcome["status"] != "ok" or outcome["error"] else ""
        console.print(f"{module:<22} " + " ".join(f"{counts[k]:>8}" for k in short)
                      + f" {outcome['seconds']:>8.1f}{note}", highlight=False, soft_wrap=True)
        failures += [(test_id, e["detail"]) for test_id, e in outcome["tests"].items() if e["bucket"] == "failed"]
        if verbose:
            for test_id, entry in outcome["tests"].items():
                if entry["bucket"] not in ("passed", "failed", "skipped"):
                    console.print(f"    {entry['bucket']}: {_short(test_id)}", highlight=False, soft_wrap=True)
    console.print(f"{'total':<22} " + " ".join(f"{totals[k]:>8}" for k in short), highlight=False, soft_wrap=True)
    by_reason: dict[str, list[str]] = {}
    unknown = []
    for test_id, detail in failures:
        reason = known_reason(test_id, detail, loop)
        if reason is None:
            unknown.append((test_id, detail))
        else:
            by_reason.setdefault(reason, []).append(test_id)
    for reason, test_ids in by_reason.items():
        console.print(f"known failures ({len(test_ids)}): {reason}", soft_wrap=True, highlight=False)
        for test_id in test_ids:
            console.print(f"    {_short(test_id)}", soft_wrap=True, highlight=False)
    for test_id, detail in unknown:
        console.print(f"[red]failure not known[/]: {_short(test_id)}: {detail}", soft_wrap=True, highlight=False)
    total = sum(totals.values())
    ran = totals["passed"] + totals["failed"]
    share = f"{100 * totals['passed'] / ran:.1f}%" if ran else "-"
    console.print(f"{total} tests in test_asyncio: {', '.join(f'{v} {k}' for k, v in totals.items() if v)}",
                  soft_wrap=True, highlight=False)
    console.print(f"{share} of those run on the loop under test passed; "
                  f"{len(failures) - len(unknown)} failures known, {len(unknown)} not", soft_wrap=True,
                  highlight=False)
    console.print(f"{totals['passed']} passed, {totals['failed']} failed", highlight=False, soft_wrap=True)
    return 1 if unknown or totals["hung"] or totals["crashed"] else 0


def _short(test_id: str) -> str:
    return test_id.removeprefix("test.test_asyncio.")


def known_reason(test_id: str, detail: str, loop: str) -> str | None:
    """The reason a failing test is known to fail on ``loop`` with this symptom, or None."""
    import impls

    for known in KNOWN_FAILURES:
        on_loop = loop in known.loops if known.loops is not None else loop in impls.names()
        if re.search(known.tests + "$", test_id) and re.search(known.symptom, detail) and on_loop:
            return known.reason
    return None

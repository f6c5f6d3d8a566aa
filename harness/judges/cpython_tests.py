"""``loopbench cpython-tests --impl NAME``: CPython's own asyncio tests, run on one of our loops.

The strongest outside check of an asyncio event loop is the interpreter's own
``test.test_asyncio``. This command runs a named slice of it (``SLICE``) against
``impls.asyncio_loop(NAME)``, the way uvloop checks itself: an event-loop policy whose
``new_event_loop()`` returns our loop, so every test that asks asyncio for a loop
(``asyncio.Runner``, ``IsolatedAsyncioTestCase``, ``asyncio.new_event_loop()``) gets ours.

Two more hooks, both in the tests' own terms:

* tests that build asyncio's ``TestLoop`` (``test_utils.TestCase.new_test_loop``: a
  virtual-time loop for ``test_tasks`` and ``test_futures``) get our loop on a
  ``VirtualClock`` instead, with ``TestLoop``'s ``advance_time``. The optional
  generator a test passes checks the timeouts ``TestLoop`` would give its selector,
  which are ``TestLoop``'s own business: it is not run. The tests' own assertions,
  including those on ``loop.time()``, are;
* ``test_events``' loop tests are a mixin that CPython instantiates once per
  selector; here once more, with ``create_event_loop`` returning ours.

The slice: every test of test_taskgroups, test_timeouts, test_locks, test_queues,
test_futures and test_tasks (whose ``SleepTests`` and ``test_sleep*`` are the sleep
tests), and the ``test_call_*``/``test_run_*`` tests of test_events and
test_base_events whose source reads no private attribute of the loop (``loop._ready``,
``loop._selector``...: asyncio's internals, not the loop API). Stubbing the
``_process_events`` hook that ``BaseEventLoop`` wants from subclasses does not count.
The tests left out are counted and listed with ``--verbose``.

``--impl asyncio`` runs the same slice on asyncio's own loops (its default loop and
``TestLoop``), unpatched: the reference.

Every failure is printed; those in ``KNOWN_FAILURES`` with the reason we know of.
The slice runs in a subprocess (``--python`` picks the interpreter), because the
policy and the patches are global and some tests leave state behind.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: The slice: module -> None (every test) or the names selected in it (a regex).
SLICE: dict[str, str | None] = {
    "test_taskgroups": None,
    "test_timeouts": None,
    "test_locks": None,
    "test_queues": None,
    "test_futures": None,
    "test_tasks": None,
    "test_events": r"test_(call|run)_",
    "test_base_events": r"test_(call|run)_",
}

#: In test_events and test_base_events, the classes whose tests are asyncio loop tests.
LOOP_TEST_CLASSES = {
    "test_events": ["EventLoopTestsMixin"],
    "test_base_events": ["BaseEventLoopTests", "BaseEventLoopWithSelectorTests"],
}

#: A test reading one of these is about asyncio's internals, not the loop API.
PRIVATE_STATE = re.compile(r"loop\._(?!process_events\b)\w+")


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

#: Seconds one test may take before it is stopped and counted as failed.
TEST_TIMEOUT = 30.0
#: Seconds the whole slice may take (it takes about half a minute) before it counts as hung.
RUN_TIMEOUT = 1200.0
#: Exit status of the child when the interpreter has no test.test_asyncio.
NO_TEST_PACKAGE = 3


# ------------------------------------------------------------------ the command
def add_parser(sub) -> None:
    parser = sub.add_parser("cpython-tests", help="run a slice of CPython's test.test_asyncio on one of our loops",
                            description="Run a slice of the interpreter's own test.test_asyncio against "
                                        "impls.asyncio_loop(NAME), through an event-loop policy.")
    parser.add_argument("--impl", required=True,
                        help="implementation name (impls.names()), or 'asyncio' for asyncio's own loop")
    parser.add_argument("--modules", help=f"comma-separated modules of the slice (default: {', '.join(SLICE)})")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter whose test.test_asyncio to run (default: this one)")
    parser.add_argument("--verbose", action="store_true", help="also list the tests left out of the slice")


def _error(message: str) -> None:
    """Errors go to stderr, as the command line's own do."""
    from rich.console import Console

    Console(stderr=True).print(f"loopbench: error: {message}", markup=False, highlight=False, soft_wrap=True)


def cpython_tests_command(args, console) -> int:
    import impls

    from ..cli.errors import UsageError

    if args.impl != "asyncio" and args.impl not in impls.names():
        raise UsageError(f"unknown implementation {args.impl!r}; choose from asyncio, {', '.join(impls.names())}")
    modules = [m.strip() for m in args.modules.split(",")] if args.modules else list(SLICE)
    unknown = [m for m in modules if m not in SLICE]
    if unknown:
        raise UsageError(f"not in the slice: {', '.join(unknown)}; choose from {', '.join(SLICE)}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        cmd = [args.python, "-m", "harness.judges.cpython_tests", "--child", args.impl,
               "--json", str(out), "--modules", ",".join(modules)]
        if args.impl != "asyncio":
            cmd += ["--loop-class", loop_class(args.impl)]
        try:
            proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True,
                                  timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            _error(f"the slice did not finish within {RUN_TIMEOUT:.0f} s")
            return 1
        if proc.returncode == NO_TEST_PACKAGE:
            _error(proc.stdout.strip())
            return 2
        if proc.returncode != 0 or not out.exists():
            _error(f"the test run failed (exit status {proc.returncode}):\n{proc.stderr[-3000:]}")
            return 1
        results = json.loads(out.read_text())
    return report(results, console, verbose=args.verbose)


def loop_class(impl: str) -> str:
    """``module:qualname`` of the loop ``impl`` makes, so that another interpreter, where
    the plugin is not installed, can still register it (if it can import the module)."""
    import impls

    loop = impls.create(impl)
    loop.close()
    return f"{type(loop).__module__}:{type(loop).__qualname__}"


def report(results: dict, console, verbose: bool = False) -> int:
    """Print per-module counts, every failure with its reason, and ``N passed, N failed``."""
    impl = results["impl"]
    console.print(f"CPython {results['python']} test.test_asyncio on "
                  + ("asyncio's own loop" if impl == "asyncio" else f"impls.asyncio_loop({impl!r})"))
    console.print(f"{'module':<18} {'passed':>7} {'failed':>7} {'skipped':>8} {'left out':>9}")
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    failures = []
    for module, tests in results["modules"].items():
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        for test_id, (outcome, detail) in tests.items():
            counts[outcome] += 1
            if outcome == "failed":
                failures.append((test_id, detail))
        for key in totals:
            totals[key] += counts[key]
        left_out = results["left_out"].get(module, [])
        console.print(f"{module:<18} {counts['passed']:>7} {counts['failed']:>7} {counts['skipped']:>8} "
                      f"{len(left_out):>9}")
        if verbose:
            for test_id in left_out:
                console.print(f"    left out (reads the loop's private state): {test_id}", highlight=False,
                              soft_wrap=True)
    by_reason: dict[str, list[str]] = {}
    unknown = []
    for test_id, detail in failures:
        reason = known_reason(test_id, detail, impl)
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
    ran = totals["passed"] + totals["failed"]
    share = f"{100 * totals['passed'] / ran:.1f}%" if ran else "-"
    console.print(f"{share} of the tests run passed; {totals['skipped']} skipped by CPython's own conditions; "
                  f"{len(failures) - len(unknown)} failures known, {len(unknown)} not", soft_wrap=True)
    console.print(f"{totals['passed']} passed, {totals['failed']} failed", highlight=False)
    return 1 if unknown else 0


def _short(test_id: str) -> str:
    return test_id.removeprefix("test.test_asyncio.")


def known_reason(test_id: str, detail: str, impl: str) -> str | None:
    """The reason a failing test is known to fail on ``impl`` with this symptom, or None."""
    for known in KNOWN_FAILURES:
        if (re.search(known.tests + "$", test_id) and re.search(known.symptom, detail)
                and (known.loops is None or impl in known.loops)):
            return known.reason
    return None


# --------------------------------------------------------------- the child side
class TestTimedOut(SystemExit):
    """Raised in a test that ran too long. A SystemExit, so that no event loop swallows it
    (asyncio's and ours re-raise SystemExit) and unittest records it as the test's error."""


class Recorder(unittest.TestResult):
    """Each test's outcome: passed, failed (failure, error, unexpected success) or skipped."""

    def __init__(self) -> None:
        super().__init__()
        self.outcomes: dict[str, tuple[str, str]] = {}

    def startTest(self, test) -> None:
        super().startTest(test)
        signal.setitimer(signal.ITIMER_REAL, TEST_TIMEOUT)

    def stopTest(self, test) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        super().stopTest(test)

    def _set(self, test, outcome: str, detail: str = "") -> None:
        test_id = test.id()
        if self.outcomes.get(test_id, ("passed",))[0] == "passed":     # a failed subtest stays failed
            self.outcomes[test_id] = (outcome, detail)

    def addSuccess(self, test) -> None:
        self._set(test, "passed")

    def addExpectedFailure(self, test, err) -> None:
        self._set(test, "passed")                 # CPython's own expected failure, as unittest counts it

    def addUnexpectedSuccess(self, test) -> None:
        self._set(test, "failed", "unexpected success")

    def addSkip(self, test, reason) -> None:
        self._set(test, "skipped", reason)

    def addFailure(self, test, err) -> None:
        self._set(test, "failed", _summary(err))

    def addError(self, test, err) -> None:
        self._set(test, "failed", _summary(err))

    def addSubTest(self, test, subtest, err) -> None:
        if err is not None:
            self._set(test, "failed", f"{subtest._subDescription()}: {_summary(err)}")


def _summary(err) -> str:
    exc_type, exc, _ = err
    text = str(exc).strip().splitlines()
    return f"{exc_type.__name__}: {text[0][:200] if text else ''}"


def _on_alarm(signum, frame) -> None:
    raise TestTimedOut(f"the test ran longer than {TEST_TIMEOUT:.0f} s")


def install_our_loop(impl: str, cls: str | None = None) -> None:
    """Make every loop the tests ask asyncio for ours: the policy and the test loop.
    ``cls`` (``module:qualname``) registers ``impl`` if this interpreter does not know it."""
    import asyncio

    from test.test_asyncio import utils as test_utils

    import impls
    from impls.asyncio_host import AsyncioLoop

    if impl not in impls.names() and cls is not None:
        module_name, _, qualname = cls.partition(":")
        impls.register(impl, getattr(importlib.import_module(module_name), qualname))
    if impl not in impls.names():
        raise SystemExit(f"unknown implementation {impl!r}; registered here: {', '.join(impls.names())}")

    class Policy(asyncio.DefaultEventLoopPolicy):
        def new_event_loop(self):
            return impls.asyncio_loop(impl)

    class VirtualTestLoop(AsyncioLoop):
        """What ``new_test_loop`` returns: our loop on a virtual clock, with TestLoop's advance_time."""

        def advance_time(self, advance: float) -> None:
            if advance:
                self.inner.clock.advance(advance)

    def new_test_loop(self, gen=None):
        loop = VirtualTestLoop(impls.create(impl, clock=impls.VirtualClock()))
        self.set_event_loop(loop)
        return loop

    asyncio.set_event_loop_policy(Policy())
    test_utils.TestCase.new_test_loop = new_test_loop


def load_slice(module_name: str, impl: str) -> tuple[unittest.TestSuite, list[str]]:
    """The selected tests of one module, and the ids of those left out."""
    module = importlib.import_module(f"test.test_asyncio.{module_name}")
    pattern = SLICE[module_name]
    loader = unittest.TestLoader()
    if pattern is None:
        return loader.loadTestsFromModule(module), []
    suite, left_out = unittest.TestSuite(), []
    for class_name in LOOP_TEST_CLASSES[module_name]:
        cls = loop_test_class(module, class_name, impl)
        for name in sorted(n for n in dir(cls) if n.startswith("test_") and re.match(pattern, n)):
            if PRIVATE_STATE.search(inspect.getsource(getattr(cls, name))):
                left_out.append(f"{module_name}.{class_name}.{name}")
            else:
                suite.addTest(cls(name))
    return suite, left_out


def loop_test_class(module, class_name: str, impl: str) -> type:
    """A test class of ``module`` whose tests run on the loop under test."""
    import asyncio

    from test.test_asyncio import utils as test_utils

    cls = getattr(module, class_name)
    if class_name == "EventLoopTestsMixin":        # CPython makes one class per selector; one more
        return type("EventLoopTests", (cls, test_utils.TestCase),
                    {"create_event_loop": lambda self: asyncio.new_event_loop(), "__module__": module.__name__})
    if impl == "asyncio":
        return cls

    def setUp(self):                              # the loop under test instead of BaseEventLoop()
        test_utils.TestCase.setUp(self)
        self.loop = asyncio.new_event_loop()
        self.set_event_loop(self.loop)

    return type(class_name, (cls,), {"setUp": setUp, "__module__": module.__name__})


def child(impl: str, modules: list[str], json_path: str, cls: str | None = None) -> int:
    if importlib.util.find_spec("test") is None or importlib.util.find_spec("test.test_asyncio") is None:
        print(f"{sys.executable} (Python {sys.version.split()[0]}) has no test.test_asyncio: this "
              f"interpreter was installed without CPython's test package (on Debian and Ubuntu it is "
              f"python{sys.version_info[0]}.{sys.version_info[1]}'s testsuite package, "
              f"libpython{sys.version_info[0]}.{sys.version_info[1]}-testsuite). "
              f"Install it, or pass --python an interpreter that has it.")
        return NO_TEST_PACKAGE
    signal.signal(signal.SIGALRM, _on_alarm)
    results = {"impl": impl, "python": sys.version.split()[0], "modules": {}, "left_out": {}}
    for module_name in modules:
        if impl != "asyncio":
            install_our_loop(impl, cls)                # again for each module: its tearDownModule resets the policy
        suite, left_out = load_slice(module_name, impl)
        recorder = Recorder()
        start = time.perf_counter()
        suite.run(recorder)
        results["modules"][module_name] = recorder.outcomes
        results["left_out"][module_name] = left_out
        print(f"{module_name}: {len(recorder.outcomes)} tests in {time.perf_counter() - start:.1f} s",
              file=sys.stderr)
    Path(json_path).write_text(json.dumps(results, indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the child side of loopbench cpython-tests")
    parser.add_argument("--child", required=True, metavar="IMPL")
    parser.add_argument("--json", required=True)
    parser.add_argument("--modules", required=True)
    parser.add_argument("--loop-class", help="module:qualname of the loop, registered if unknown here")
    args = parser.parse_args(argv)
    return child(args.child, args.modules.split(","), args.json, args.loop_class)


if __name__ == "__main__":
    sys.exit(main())

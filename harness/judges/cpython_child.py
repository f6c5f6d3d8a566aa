"""The test process of ``loopbench cpython-tests``: one module of test.test_asyncio on one loop.

Run as ``python -m harness.judges.cpython_child MODULE OUT.jsonl`` with the loop in the
environment (``loops.SPEC_VAR``, a ``LoopSpec`` as JSON). It writes, one JSON object a
line, flushed as it goes so that a module that hangs still leaves what it did:

1. ``{"planned": {test_id: bucket or null}}``: every test of the module, with the bucket
   of those it does not run (``PRIVATE``, ``OTHER_SELECTOR``);
2. ``{"id": test_id, "outcome": "passed"|"failed"|"skipped", "detail": str,
   "loops": n, "test_loops": n}`` for each test run: ``loops`` counts the loops under
   test it asked for, ``test_loops`` the virtual-time ``TestLoop``s it made instead,
   preceded by ``{"start": test_id}`` (so a hang names the test it is in);
3. ``{"done": true, "threads": [...]}`` at the end, naming the threads (not daemons)
   still running, which would keep the process from exiting: it exits without them.

How the tests get the loop under test, in their own terms:

* an event-loop policy making it (``loops.install``), installed again before any test
  that finds another policy (many tests reset it in ``tearDown``);
* tests that build asyncio's ``TestLoop`` (``test_utils.TestCase.new_test_loop``, a
  virtual-time loop for test_tasks, test_futures...) get our loop on a ``VirtualClock``
  with ``TestLoop``'s ``advance_time``; asyncio's loops keep ``TestLoop`` (a subclass of
  their own base loop); a loop with no virtual clock (uvloop, rloop) cannot stand in, so
  those tests run on ``TestLoop`` and are counted apart. The generator a test passes
  ``TestLoop`` checks the timeouts it would give its selector, which is ``TestLoop``'s own
  business: on our loop it is not run;
* classes whose ``create_event_loop`` or ``new_loop`` makes a real asyncio loop
  (test_events' loop tests, test_sock_lowlevel, test_sendfile, test_server,
  test_buffered_proto, test_ssl...): the one on asyncio's default selector (or none
  named) gets ``asyncio.new_event_loop()``, i.e. the loop under test;
  those naming another selector (poll, select...) are the same tests on another selector
  of asyncio's own loop and are not run (``OTHER_SELECTOR``);
* on a loop that declares signals missing, a child watcher's ``attach_loop`` (which
  the setUp of test_events' loop tests calls for every test, subprocess or not) leaves
  the watcher detached instead of raising; the subprocess tests then fail on their own,
  in their declared-missing row;
* test_base_events' ``test_call_*``/``test_run_*`` tests of ``BaseEventLoopTests`` get
  the loop under test instead of a bare ``BaseEventLoop()``.

A test whose source reads a private attribute of a loop (``loop._ready``,
``loop._selector``...: asyncio's internals, not the loop API) is not run (``PRIVATE``);
stubbing the ``_process_events`` hook that ``BaseEventLoop`` wants from subclasses does
not count. Nor are the tests of a class that builds asyncio's private classes
(``selector_events._SelectorSocketTransport``, ``sslproto._SSLProtocolTransport``...) or
uses ``TestLoop``'s private helpers (``assert_reader``): they test asyncio's transports,
whatever loop they are handed. Each test has ``TEST_TIMEOUT`` seconds.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import selectors
import signal
import sys
import threading
import unittest

from . import loops

#: Buckets of the tests not run.
PRIVATE = "private"
OTHER_SELECTOR = "other-selector"

#: A test reading one of these is about asyncio's internals, not the loop API.
PRIVATE_STATE = re.compile(r"loop\._(?!process_events\b)\w+")
#: A test class naming one of these tests asyncio's private classes (its transports, its
#: SSL protocol) or uses the private helpers of asyncio's TestLoop, whatever loop it is given.
PRIVATE_CLASSES = re.compile(r"\b(selector_events|proactor_events|unix_events|windows_events|sslproto)\._[A-Za-z]\w*"
                             r"|\b_(Selector|Proactor|Unix)\w*Transport\b|\.assert_(no_)?(reader|writer)\(")

#: test_base_events' classes whose call/run tests run on the loop under test.
BASE_LOOP_CLASSES = ("BaseEventLoopTests", "BaseEventLoopWithSelectorTests")
BASE_LOOP_TESTS = re.compile(r"test_(call|run)_")

#: Seconds one test may take before it is stopped and counted as failed.
TEST_TIMEOUT = 30.0
#: Exit status when the interpreter has no test.test_asyncio.
NO_TEST_PACKAGE = 3


class TestTimedOut(SystemExit):
    """Raised in a test that ran too long. A SystemExit, so that no event loop swallows it
    (asyncio's and ours re-raise SystemExit) and unittest records it as the test's error."""


def _on_alarm(signum, frame) -> None:
    raise TestTimedOut(f"the test ran longer than {TEST_TIMEOUT:.0f} s")


class Recorder(unittest.TestResult):
    """Writes each test's outcome (passed, failed: failure, error, unexpected success; or
    skipped) as a line of ``out``, with the loops it made."""

    def __init__(self, out, spec: loops.LoopSpec, policy_of) -> None:
        super().__init__()
        self.out, self.spec, self.policy_of = out, spec, policy_of
        self.current: dict | None = None

    def startTest(self, test) -> None:
        super().startTest(test)
        self.policy_of()                          # the policy again, if a test reset it
        loops.LOOPS_MADE.update(loop=0, test_loop=0)
        self.current = {"id": test.id(), "outcome": "passed", "detail": ""}
        self.out.write(json.dumps({"start": test.id()}) + "\n")
        self.out.flush()
        signal.setitimer(signal.ITIMER_REAL, TEST_TIMEOUT)

    def stopTest(self, test) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        super().stopTest(test)
        if self.current is not None:
            self.current.update(loops=loops.LOOPS_MADE["loop"], test_loops=loops.LOOPS_MADE["test_loop"])
            self.out.write(json.dumps(self.current) + "\n")
            self.out.flush()
            self.current = None

    def _set(self, test, outcome: str, detail: str = "") -> None:
        if self.current is None or self.current["id"] != test.id():   # a class or module fixture
            self.out.write(json.dumps({"id": test.id(), "outcome": outcome, "detail": detail,
                                       "loops": 0, "test_loops": 0}) + "\n")
            self.out.flush()
        elif self.current["outcome"] == "passed":                       # a failed subtest stays failed
            self.current.update(outcome=outcome, detail=detail)

    def addSuccess(self, test) -> None:
        pass

    def addExpectedFailure(self, test, err) -> None:
        pass                                      # CPython's own expected failure, as unittest counts it

    def addUnexpectedSuccess(self, test) -> None:
        self._set(test, "failed", "unexpected success")

    def addSkip(self, test, reason) -> None:
        self._set(test, "skipped", reason)

    def addFailure(self, test, err) -> None:
        self._set(test, "failed", summary(err))

    def addError(self, test, err) -> None:
        self._set(test, "failed", summary(err))

    def addSubTest(self, test, subtest, err) -> None:
        if err is not None:
            self._set(test, "failed", f"{subtest._subDescription()}: {summary(err)}")


def summary(err) -> str:
    """The first line of an exception: ``Type: message``."""
    exc_type, exc, _ = err
    text = str(exc).strip().splitlines()
    return f"{exc_type.__name__}: {text[0][:200] if text else ''}"


def flatten(suite) -> list[unittest.TestCase]:
    tests = []
    for item in suite:
        tests.extend(flatten(item) if isinstance(item, unittest.TestSuite) else [item])
    return tests


def _source(obj) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


#: The methods through which a test class makes its loop.
LOOP_MAKERS = ("create_event_loop", "new_loop")
#: What a maker that builds a real asyncio loop says.
REAL_LOOP = re.compile(r"SelectorEventLoop\(|new_event_loop\(")


def loop_maker(cls) -> tuple[str, str] | None:
    """The name and source of the method of ``cls`` that makes a real loop, if any."""
    for name in LOOP_MAKERS:
        method = getattr(cls, name, None)
        if method is not None:
            source = _source(method)
            if REAL_LOOP.search(source):
                return name, source
    return None


def static_bucket(test: unittest.TestCase) -> str | None:
    """The bucket of a test not to run, or None to run it."""
    cls = type(test)
    maker = loop_maker(cls)
    if maker is not None:
        named = re.findall(r"selectors\.(\w+Selector)\b", maker[1])
        if named and named[0] != selectors.DefaultSelector.__name__:
            return OTHER_SELECTOR
    method = getattr(cls, getattr(test, "_testMethodName", ""), None)
    if method is not None and PRIVATE_STATE.search(_source(method)):
        return PRIVATE
    if PRIVATE_CLASSES.search(_class_source(cls)):
        return PRIVATE
    return None


_CLASS_SOURCES: dict[type, str] = {}


def _class_source(cls) -> str:
    """The source of ``cls`` and of its bases defined in the same module (its mixins)."""
    if cls not in _CLASS_SOURCES:
        _CLASS_SOURCES[cls] = "".join(_source(k) for k in cls.__mro__ if k.__module__ == cls.__module__)
    return _CLASS_SOURCES[cls]


def prepare(test: unittest.TestCase) -> unittest.TestCase:
    """The test, made to run on the loop under test (see the module's docstring)."""
    import asyncio

    cls = type(test)
    maker = loop_maker(cls)
    if maker is not None and "_judged" not in cls.__dict__:
        setattr(cls, maker[0], lambda self: asyncio.new_event_loop())
        cls._judged = True
    if cls.__name__ in BASE_LOOP_CLASSES and BASE_LOOP_TESTS.match(test._testMethodName):
        from test.test_asyncio import utils as test_utils

        def setUp(self):
            test_utils.TestCase.setUp(self)
            self.loop = asyncio.new_event_loop()
            self.set_event_loop(self.loop)

        judged = type(cls.__name__, (cls,), {"setUp": setUp, "__module__": cls.__module__,
                                              "__qualname__": cls.__qualname__})
        return judged(test._testMethodName)
    return test


def install_test_loop(spec: loops.LoopSpec) -> None:
    """``new_test_loop`` counted, and on our loops a virtual-clock loop of ours."""
    import asyncio

    from test.test_asyncio import utils as test_utils

    original = test_utils.TestCase.new_test_loop

    if spec.kind == "ours":
        import impls
        from impls.asyncio_host import AsyncioLoop

        class VirtualTestLoop(AsyncioLoop):
            """Our loop on a virtual clock, with TestLoop's advance_time."""

            def advance_time(self, advance: float) -> None:
                if advance:
                    self.inner.clock.advance(advance)

        def new_test_loop(self, gen=None):
            loops.LOOPS_MADE["loop"] += 1
            loop = VirtualTestLoop(impls.create(spec.impl, clock=impls.VirtualClock()))
            self.set_event_loop(loop)
            return loop
    else:
        def new_test_loop(self, gen=None):
            loop = original(self, gen)
            if spec.kind == "eager":
                loop.set_task_factory(asyncio.eager_task_factory)
            loops.LOOPS_MADE["loop" if spec.virtual_time else "test_loop"] += 1
            return loop

    test_utils.TestCase.new_test_loop = new_test_loop


def close_loops_without_asyncio_internals() -> None:
    """The tests' teardown (``test_utils.TestCase.close_loop``) reads ``loop._default_executor``,
    asyncio's private attribute; a loop without it is closed through the public API instead:
    ``shutdown_default_executor()`` while open, then ``close()``, then the rest of the teardown."""
    from test.test_asyncio import utils as test_utils

    original = test_utils.TestCase.close_loop

    class ClosedStandIn:
        """What the rest of the teardown gets once the real loop is closed: nothing left to close."""

        _default_executor = None

        def close(self) -> None:
            pass

    def close_loop(loop):
        if hasattr(loop, "_default_executor"):
            return original(loop)
        if not loop.is_closed() and hasattr(loop, "shutdown_default_executor"):
            loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        return original(ClosedStandIn())          # the rest of the teardown: the child watcher

    test_utils.TestCase.close_loop = staticmethod(close_loop)


def detach_child_watchers(spec: loops.LoopSpec) -> None:
    """On a loop without signal handlers, a child watcher's ``attach_loop`` leaves it detached."""
    unix_events = getattr(__import__("asyncio"), "unix_events", None)
    watcher = getattr(unix_events, "BaseChildWatcher", None)
    if "signals" not in spec.missing or watcher is None:
        return
    original = watcher.attach_loop

    def attach_loop(self, loop):
        try:
            original(self, loop)
        except NotImplementedError:
            self._loop = None

    watcher.attach_loop = attach_loop


def run_module(module_name: str, out_path: str, spec: loops.LoopSpec) -> int:
    import asyncio

    if importlib.util.find_spec("test") is None or importlib.util.find_spec("test.test_asyncio") is None:
        print(f"{sys.executable} (Python {sys.version.split()[0]}) has no test.test_asyncio: this "
              f"interpreter was installed without CPython's test package (on Debian and Ubuntu it is "
              f"python{sys.version_info[0]}.{sys.version_info[1]}'s testsuite package, "
              f"libpython{sys.version_info[0]}.{sys.version_info[1]}-testsuite). "
              f"Install it, or pass --python an interpreter that has it.")
        return NO_TEST_PACKAGE
    signal.signal(signal.SIGALRM, _on_alarm)
    policy = loops.install(spec)

    def policy_of():
        if asyncio.events._event_loop_policy is not policy:
            asyncio.set_event_loop_policy(policy)

    install_test_loop(spec)
    detach_child_watchers(spec)
    close_loops_without_asyncio_internals()
    full_name = module_name if "." in module_name else f"test.test_asyncio.{module_name}"
    try:
        module = importlib.import_module(full_name)
    except unittest.SkipTest as exc:             # a module for another platform (test_windows_events)
        with open(out_path, "w") as out:
            out.write(json.dumps({"planned": {full_name: None}}) + "\n")
            out.write(json.dumps({"id": full_name, "outcome": "skipped", "detail": str(exc), "loops": 0,
                                  "test_loops": 0, "module_skipped": True}) + "\n")
        return 0
    tests = flatten(unittest.TestLoader().loadTestsFromModule(module))
    planned = {test.id(): static_bucket(test) for test in tests}
    with open(out_path, "w") as out:
        out.write(json.dumps({"planned": planned}) + "\n")
        out.flush()
        suite = unittest.TestSuite(prepare(t) for t in tests if planned[t.id()] is None)
        suite.run(Recorder(out, spec, policy_of))
        left = [t.name for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
        out.write(json.dumps({"done": True, "threads": left}) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)                                   # not waiting for the threads a test left running


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m harness.judges.cpython_child MODULE OUT.jsonl "
              f"(with the loop in ${loops.SPEC_VAR})", file=sys.stderr)
        return 2
    spec = loops.LoopSpec.from_json(os.environ[loops.SPEC_VAR])
    return run_module(argv[0], argv[1], spec)


if __name__ == "__main__":
    sys.exit(main())

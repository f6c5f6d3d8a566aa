"""``loopbench cpython-tests``: CPython's test_asyncio on any asyncio loop, every test in one bucket."""

import io
import os
import re
import subprocess
import sys
import textwrap
import unittest
from pathlib import Path

import pytest
from rich.console import Console

from harness.judges import cpython_tests, loops
from harness.judges.cpython_tests import BUCKETS, KNOWN_FAILURES, classify, known_reason, report

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "harness", "cpython-tests", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=env)


def module_counts(stdout: str) -> dict[str, list[int]]:
    """The per-module rows of the report: the counts of every bucket, in BUCKETS' order."""
    rows = re.findall(r"^(test_\w+)((?:\s+\d+){%d})\s+[\d.]+" % len(BUCKETS), stdout, re.M)
    return {name: [int(n) for n in counts.split()] for name, counts in rows}


def count_in(module: str) -> int:
    suite = unittest.TestLoader().loadTestsFromName(f"test.test_asyncio.{module}")
    return suite.countTestCases()


@pytest.mark.parametrize("loop", ["asyncio", "heap"])
def test_a_small_selection_on_asyncio_and_on_our_loop(loop):
    out = run_cli("--loop", loop, "--modules", "test_locks,test_server", "--json", os.devnull)
    counts = module_counts(out.stdout)
    # Every test of each module is in exactly one bucket: the row adds up to the module.
    for module in ("test_locks", "test_server"):
        assert sum(counts[module]) == count_in(module), out.stdout
    passed, failed = counts["test_locks"][0], counts["test_locks"][1]
    assert passed == count_in("test_locks") and failed == 0
    # test_server starts a unix server: a feature our loop declares missing, a row of its own.
    missing = counts["test_server"][list(BUCKETS).index("missing")]
    assert missing == (1 if loop == "heap" else 0)
    assert f"test.test_asyncio on {loop}" in out.stdout


def test_the_older_spelling_and_a_loop_named_on_the_command_line():
    out = run_cli("--impl", "heap", "--modules", "test_locks")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "test.test_asyncio on heap" in out.stdout
    out = run_cli("--asyncio-loop", "mine=asyncio:new_event_loop", "--loop", "mine", "--modules", "test_locks")
    assert out.returncode == 0, out.stdout + out.stderr
    assert module_counts(out.stdout)["test_locks"][0] == count_in("test_locks")


def test_known_failures_are_reported_with_their_reason():
    results = {"loop": "heap", "python": "3.x", "missing": [], "modules": {"test_events": {
        "status": "ok", "error": "", "seconds": 1.0, "tests": {
            "test.test_asyncio.test_events.EventLoopTests.test_call_soon_threadsafe": {
                "bucket": "failed", "outcome": "failed", "feature": None,
                "detail": "AssertionError: Lists differ: ['world', 'hello'] != ['hello', 'world']"},
            "test.test_asyncio.test_events.EventLoopTests.test_ok": {
                "bucket": "passed", "outcome": "passed", "feature": None, "detail": ""}}}}}
    buffer = io.StringIO()
    assert report(results, Console(file=buffer, width=200)) == 0
    text = buffer.getvalue()
    assert "known failures (1): our loops take callbacks posted with call_soon_threadsafe" in text
    assert text.strip().splitlines()[-1] == "1 passed, 1 failed"


def test_an_interpreter_without_the_test_package_is_told_so(tmp_path):
    # What Debian's python3.X looks like without libpython3.X-testsuite: a `test`
    # package with no test_asyncio in it.
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "__init__.py").write_text("")
    out = run_cli("--loop", "heap", "--modules", "test_locks", env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert out.returncode == 2
    text = " ".join(out.stderr.split())              # errors go to stderr
    assert "has no test.test_asyncio" in text and "testsuite" in text


def test_bad_arguments_are_refused():
    out = run_cli("--loop", "no-such-loop")
    assert out.returncode == 2 and "unknown loop 'no-such-loop'" in " ".join(out.stderr.split())
    assert "Traceback" not in out.stderr
    out = run_cli("--loop", "heap", "--modules", "test_nothing")
    assert out.returncode == 2 and "not in test.test_asyncio" in out.stderr and "Traceback" not in out.stderr
    out = run_cli("--asyncio-loop", "broken")
    assert out.returncode == 2 and "NAME=module:factory" in out.stdout + out.stderr


def test_a_failure_with_another_symptom_is_not_known():
    test_id = "test.test_asyncio.test_events.EventLoopTests.test_call_soon_threadsafe"
    assert known_reason(test_id, "AssertionError: Lists differ: ['world', 'hello'] != ['hello', 'world']", "heap")
    assert known_reason(test_id, "AttributeError: something else broke", "heap") is None
    assert known_reason(test_id, "AssertionError: Lists differ: ['world', 'hello']", "uvloop") is None
    assert all(k.reason and k.tests and k.symptom for k in KNOWN_FAILURES)


def test_report_fails_on_a_failure_not_known():
    results = {"loop": "heap", "python": "3.x", "missing": [], "modules": {"test_locks": {
        "status": "ok", "error": "", "seconds": 1.0, "tests": {
            "test.test_asyncio.test_locks.LockTests.test_new": {"bucket": "failed", "outcome": "failed",
                                                                "detail": "Boom: x", "feature": None},
            "test.test_asyncio.test_locks.LockTests.test_ok": {"bucket": "passed", "outcome": "passed",
                                                               "detail": "", "feature": None}}}}}
    buffer = io.StringIO()
    assert report(results, Console(file=buffer, width=200)) == 1
    text = buffer.getvalue()
    assert "failure not known: test_locks.LockTests.test_new: Boom: x" in text
    assert text.strip().splitlines()[-1] == "1 passed, 1 failed"


# ---------------------------------------------------------------- the accounting
def _line(test_id, outcome="passed", loops_made=1, test_loops=0, detail=""):
    import json

    return json.dumps({"id": test_id, "outcome": outcome, "detail": detail, "loops": loops_made,
                       "test_loops": test_loops})


def test_every_test_is_counted_in_exactly_one_bucket():
    import json

    planned = {"m.A.test_private": "private", "m.A.test_selector": "other-selector", "m.A.test_pass": None,
               "m.A.test_fail": None, "m.A.test_asyncio_class": None, "m.A.test_virtual": None,
               "m.A.test_datagram": None, "m.A.test_skip": None, "m.A.test_never_reached": None}
    lines = [json.dumps({"planned": planned}),
             json.dumps({"start": "m.A.test_pass"}), _line("m.A.test_pass"),
             _line("m.A.test_fail", "failed", detail="AssertionError: no"),
             _line("m.A.test_asyncio_class", loops_made=0),
             _line("m.A.test_virtual", loops_made=0, test_loops=1),
             _line("m.A.test_datagram", "failed"),
             _line("m.A.test_skip", "skipped"),
             json.dumps({"start": "m.A.test_never_reached"})]
    spec = loops.LoopSpec("heap", "ours", impl="heap", missing=("UDP",))
    tests = classify(lines, spec, "hung")
    assert set(tests) == set(planned)                          # every test, once
    assert {t: e["bucket"] for t, e in tests.items()} == {
        "m.A.test_private": "private", "m.A.test_selector": "other-selector", "m.A.test_pass": "passed",
        "m.A.test_fail": "failed", "m.A.test_asyncio_class": "off-loop", "m.A.test_virtual": "virtual-time",
        "m.A.test_datagram": "missing", "m.A.test_skip": "skipped", "m.A.test_never_reached": "hung"}
    assert tests["m.A.test_datagram"]["outcome"] == "failed"   # its outcome is kept in its own row
    assert set(e["bucket"] for e in tests.values()) <= set(BUCKETS)
    # A loop that declares nothing missing counts the same test as a plain failure.
    assert classify(lines, loops.resolve("asyncio"), "ok")["m.A.test_datagram"]["bucket"] == "failed"


def test_a_module_that_never_listed_its_tests_still_counts():
    tests = classify([], loops.resolve("asyncio"), "crashed")
    assert [e["bucket"] for e in tests.values()] == ["crashed"]


def test_the_whole_module_is_accounted_for_on_a_real_module():
    spec = loops.resolve("heap")
    outcome = cpython_tests.run_module(spec, "test_base_events", sys.executable, timeout=300)
    assert outcome["status"] == "ok", outcome["error"]
    assert len(outcome["tests"]) == count_in("test_base_events")
    counts = cpython_tests.bucket_counts(outcome["tests"])
    assert counts["private"] > 0 and counts["off-loop"] > 0 and counts["passed"] > 0


# ------------------------------------------------------------------ a hanging module
HANGING = '''
import signal
import time
import unittest


class Fake(unittest.TestCase):
    def test_a_first(self):
        import asyncio
        asyncio.run(asyncio.sleep(0))

    def test_b_hangs(self):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})   # past the per-test alarm too
        time.sleep(3600)

    def test_c_never_reached(self):
        pass
'''

FINE = '''
import asyncio
import unittest


class Fine(unittest.TestCase):
    def test_runs(self):
        self.assertEqual(asyncio.run(asyncio.sleep(0, "ok")), "ok")
'''


def test_a_hanging_module_is_reported_as_hanging_and_the_rest_completes(tmp_path, monkeypatch):
    package = tmp_path / "fakejudged"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "test_hangs.py").write_text(textwrap.dedent(HANGING))
    (package / "test_fine.py").write_text(textwrap.dedent(FINE))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])))
    results = cpython_tests.run_loop(loops.resolve("heap"), ["fakejudged.test_hangs", "fakejudged.test_fine"],
                                     module_timeout=20)
    hanging, fine = results["modules"]["fakejudged.test_hangs"], results["modules"]["fakejudged.test_fine"]
    assert hanging["status"] == "hung" and "test_b_hangs" in hanging["error"]
    assert {t.rsplit(".", 1)[1]: e["bucket"] for t, e in hanging["tests"].items()} == {
        "test_a_first": "passed", "test_b_hangs": "hung", "test_c_never_reached": "hung"}
    assert fine["status"] == "ok"
    assert [e["bucket"] for e in fine["tests"].values()] == ["passed"]
    buffer = io.StringIO()
    assert report(results, Console(file=buffer, width=300)) == 1
    assert "hung: the module did not finish within 20 s" in buffer.getvalue()

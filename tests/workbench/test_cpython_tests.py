"""``loopbench cpython-tests``: CPython's own asyncio tests on our loops, on small slices."""

import io
import os
import re
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from harness.judges.cpython_tests import KNOWN_FAILURES, known_reason, report

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, env=None, timeout=240):
    return subprocess.run([sys.executable, "-m", "harness", "cpython-tests", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=env)


def module_counts(stdout: str) -> dict[str, tuple[int, int, int]]:
    rows = re.findall(r"^(test_\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+$", stdout, re.M)
    return {name: (int(p), int(f), int(s)) for name, p, f, s in rows}


def test_a_small_slice_on_our_loop_and_on_asyncio():
    for impl in ("heap", "asyncio"):
        out = run_cli("--impl", impl, "--modules", "test_base_events")
        assert out.returncode == 0, out.stdout + out.stderr
        passed, failed, _ = module_counts(out.stdout)["test_base_events"]
        assert passed > 0 and failed == 0
        assert out.stdout.strip().splitlines()[-1] == f"{passed} passed, 0 failed"


def test_known_failures_are_reported_with_their_reason():
    out = run_cli("--impl", "heap", "--modules", "test_events")
    assert out.returncode == 0, out.stdout + out.stderr       # every failure is a known one
    passed, failed, _ = module_counts(out.stdout)["test_events"]
    assert failed > 0
    assert f"known failures ({failed}): our loops take callbacks posted with call_soon_threadsafe" in out.stdout
    assert "test_events.EventLoopTests.test_call_soon_threadsafe" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == f"{passed} passed, {failed} failed"


def test_an_interpreter_without_the_test_package_is_told_so(tmp_path):
    # What Debian's python3.X looks like without libpython3.X-testsuite: a `test`
    # package with no test_asyncio in it.
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "__init__.py").write_text("")
    out = run_cli("--impl", "heap", "--modules", "test_locks", env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert out.returncode == 2
    text = " ".join(out.stderr.split())              # errors go to stderr
    assert "has no test.test_asyncio" in text and "testsuite" in text


def test_bad_arguments_are_refused():
    assert run_cli("--impl", "no-such-loop").returncode == 2
    out = run_cli("--impl", "heap", "--modules", "test_nothing")
    assert out.returncode == 2 and "not in the slice" in out.stderr and "Traceback" not in out.stderr


def test_a_failure_with_another_symptom_is_not_known():
    test_id = "test.test_asyncio.test_events.EventLoopTests.test_call_soon_threadsafe"
    assert known_reason(test_id, "AssertionError: Lists differ: ['world', 'hello'] != ['hello', 'world']", "heap")
    assert known_reason(test_id, "AttributeError: something else broke", "heap") is None
    assert all(k.reason and k.tests and k.symptom for k in KNOWN_FAILURES)


def test_report_fails_on_a_failure_not_known():
    results = {"impl": "heap", "python": "3.x", "left_out": {},
               "modules": {"test_locks": {"test.test_asyncio.test_locks.LockTests.test_new": ["failed", "Boom: x"],
                                          "test.test_asyncio.test_locks.LockTests.test_ok": ["passed", ""]}}}
    buffer = io.StringIO()
    assert report(results, Console(file=buffer, width=200)) == 1
    text = buffer.getvalue()
    assert "failure not known: test_locks.LockTests.test_new: Boom: x" in text
    assert text.strip().splitlines()[-1] == "1 passed, 1 failed"

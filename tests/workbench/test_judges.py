"""The judges besides test_asyncio: anyio's suite (its report parsed, its plugin's choice of
tests), the loops a judge runs on, and the compatibility matrix rendered from judges.json."""

import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.judges import anyio_plugin, anyio_tests, loops
from harness.report.sections import compat

ROOT = Path(__file__).resolve().parents[2]

#: pytest's junit-xml, as pytest 9 writes it for anyio's tests (cut down, details shortened).
JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest"
 errors="1" failures="2" skipped="1" tests="7" time="3.1" timestamp="2026-12-07T13:40:00" hostname="m">
<testcase classname="tests.test_synchronization.TestLock" name="test_contextmanager[asyncio]" time="0.004" />
<testcase classname="tests.test_sockets.TestTCPStream" name="test_send_receive[asyncio-ipv6]" time="0.01">
<failure message="socket.gaierror: [Errno -2] Name or service not known&#10;more lines">tb</failure></testcase>
<testcase classname="tests.test_sockets.TestUDPSocket" name="test_send_receive[asyncio-ipv4]" time="0.01">
<failure message="NotImplementedError: create_datagram_endpoint: not implemented">tb</failure></testcase>
<testcase classname="tests.streams.test_tls.TestTLSStream" name="test_send_receive[asyncio]" time="0.2">
<error message="failed on setup with &quot;TimeoutError&quot;">tb</error></testcase>
<testcase classname="tests.test_debugging" name="test_main_task_name[asyncio]" time="0.001">
<skipped type="pytest.skip" message="not on this platform">skip</skipped></testcase>
<testcase classname="tests.test_taskgroups" name="test_cancel_scope_repr" time="0.001" />
<testcase classname="tests.test_taskgroups" name="test_cancel_scope_in_another_task[asyncio]" time="0.01" />
</testsuite></testsuites>"""


def test_the_junit_report_is_parsed_into_one_bucket_a_test():
    heap = loops.resolve("heap")
    tests = anyio_tests.parse_junit(JUNIT, heap)
    assert len(tests) == 7
    buckets = {t.split(".", 1)[1]: e["bucket"] for t, e in tests.items()}
    assert buckets == {
        "test_synchronization.TestLock.test_contextmanager[asyncio]": "passed",
        "test_sockets.TestTCPStream.test_send_receive[asyncio-ipv6]": "failed",
        "test_sockets.TestUDPSocket.test_send_receive[asyncio-ipv4]": "missing",      # declared missing
        "streams.test_tls.TestTLSStream.test_send_receive[asyncio]": "failed",       # a setup error
        "test_debugging.test_main_task_name[asyncio]": "skipped",
        "test_taskgroups.test_cancel_scope_repr": "off-loop",                         # takes no backend
        "test_taskgroups.test_cancel_scope_in_another_task[asyncio]": "passed",
    }
    ipv6 = tests["tests.test_sockets.TestTCPStream.test_send_receive[asyncio-ipv6]"]
    assert ipv6["detail"] == "socket.gaierror: [Errno -2] Name or service not known"      # the first line
    assert ipv6["module"] == "test_sockets"
    assert tests["tests.streams.test_tls.TestTLSStream.test_send_receive[asyncio]"]["module"] == "streams.test_tls"
    # On a loop declaring nothing missing, the UDP failure is a failure.
    udp = "tests.test_sockets.TestUDPSocket.test_send_receive[asyncio-ipv4]"
    assert anyio_tests.parse_junit(JUNIT, loops.resolve("asyncio"))[udp]["bucket"] == "failed"


@pytest.mark.parametrize("params, other", [
    (None, False),
    ({"anyio_backend": ("asyncio", {"debug": True})}, False),
    ({"anyio_backend": "asyncio"}, False),
    ({"anyio_backend": ("asyncio", {"debug": True, "loop_factory": object})}, True),
    ({"anyio_backend": "trio"}, True),
    ({"family": "ipv4"}, False),
])
def test_the_plugin_keeps_only_the_tests_on_plain_asyncio(params, other):
    item = SimpleNamespace(callspec=SimpleNamespace(params=params)) if params is not None else SimpleNamespace()
    assert anyio_plugin.other_backend(item) is other


def test_missing_test_dependencies_are_named(monkeypatch):
    monkeypatch.setattr(anyio_tests, "TEST_DEPENDENCIES", {**anyio_tests.TEST_DEPENDENCIES,
                                                           "no_such_module_here": "no-such-dist>=1"})
    with pytest.raises(RuntimeError, match=r"need no-such-dist>=1.*--install-deps"):
        anyio_tests.prepare()


def test_loops_by_name_and_their_declared_missing_features():
    assert loops.resolve("uvloop").factory == "uvloop:new_event_loop"
    assert loops.resolve("asyncio").missing == ()
    heap = loops.resolve("heap")
    assert {"UDP", "subprocess", "signals"} <= set(heap.missing)
    assert loops.resolve("mine", {"mine": "pkg:make"}) == loops.LoopSpec("mine", "factory", factory="pkg:make")
    assert loops.LoopSpec.from_json(heap.to_json()) == heap
    with pytest.raises(ValueError, match="unknown loop 'nope'.*--asyncio-loop"):
        loops.resolve("nope")
    if sys.version_info < (3, 12):
        with pytest.raises(ValueError, match="3.12"):
            loops.resolve("asyncio-eager")
    assert loops.feature_of("test.test_asyncio.test_events.EPollEventLoopTests.test_create_datagram_endpoint") == "UDP"
    assert loops.feature_of("tests.test_subprocesses.test_run_process[asyncio]") == "subprocess"
    assert loops.feature_of("test.test_asyncio.test_locks.LockTests.test_acquire") is None
    assert loops.feature_of("test.test_asyncio.test_events.EPollEventLoopTests.test_read_pty_output") == "pipes"
    assert loops.feature_of("tests.test_functools.TestReduce.test_empty_iter_no_initial[asyncio]") is None
    assert loops.feature_of("tests.test_to_process.test_print[asyncio]") == "subprocess"


def _run(loop, tests):
    return {"loop": loop, "missing": ["UDP"] if loop == "heap" else [], "seconds": 2.0, "status": "ok",
            "error": "", "tests": tests}


def test_the_matrix_links_each_failure_and_keeps_declared_missing_apart(tmp_path):
    entry = lambda bucket, outcome=None, detail="", feature=None, module="test_sockets": {  # noqa: E731
        "bucket": bucket, "outcome": outcome or bucket, "detail": detail, "feature": feature, "module": module}
    data = {"python": "3.x", "anyio": "4.x", "loops": ["asyncio", "heap"], "cpython": [], "anyio_suite": [
        _run("asyncio", {"t.tcp[asyncio]": entry("passed"), "t.udp[asyncio]": entry("passed", feature="UDP"),
                         "t.sync": entry("off-loop")}),
        _run("heap", {"t.tcp[asyncio]": entry("failed", detail="OSError: boom | <b>"),
                      "t.udp[asyncio]": entry("missing", "failed", "NotImplementedError: x", "UDP"),
                      "t.sync": entry("off-loop")})]}
    (tmp_path / "judges.json").write_text(json.dumps(data))
    paths = compat.write(tmp_path)
    text = paths["md"].read_text()
    # Every loop's total is the whole suite (loops in columns).
    assert re.search(r"^\| bucket \| asyncio \| heap \|$", text, re.M) and re.search(r"^\| total \| 3 \| 3 \|", text, re.M)
    # The declared-missing feature is a row of its own, its failure counted there.
    row = next(line for line in text.splitlines() if line.startswith("| declared missing: UDP"))
    assert row.split("|")[3].strip().startswith("0 / [1](#compat-anyio-suite-heap-declared-missing-udp)")
    # Each failed count links to an anchor that exists, listing the failure's first line, escaped.
    for target in re.findall(r"\]\(#([\w-]+)\)", text):
        assert f'<a id="{target}"></a>' in text
    assert "OSError: boom \\| &lt;b&gt;" in text
    assert 'id="compat-anyio-suite-heap-declared-missing-udp"' in paths["html"].read_text()


def test_the_judges_command_on_a_tiny_selection(tmp_path):
    out = subprocess.run([sys.executable, "-m", "harness", "judges", "--out", str(tmp_path), "--suites", "cpython",
                          "--loop", "asyncio", "--loop", "heap", "--modules", "test_locks"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads((tmp_path / "judges.json").read_text())
    assert [run["loop"] for run in data["cpython"]] == ["asyncio", "heap"]
    assert "## CPython's test.test_asyncio" in (tmp_path / "judges.md").read_text()
    assert "| locks |" in (tmp_path / "judges.md").read_text()
    bad = subprocess.run([sys.executable, "-m", "harness", "judges", "--out", str(tmp_path), "--suites", "nose"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--suites takes" in bad.stderr and "Traceback" not in bad.stderr


def test_the_bench_report_includes_the_matrix_when_the_run_has_it(tmp_path):
    import shutil

    from harness.report.render import render

    run = tmp_path / "run"
    shutil.copytree(ROOT / "reports" / "example", run)
    render(run)
    assert "Compatibility" not in (run / "report.md").read_text()
    data = {"python": "3.x", "anyio": "4.x", "loops": ["heap"], "cpython": [], "anyio_suite": [
        _run("heap", {"t.tcp[asyncio]": {"bucket": "failed", "outcome": "failed", "detail": "OSError: x",
                                         "feature": None, "module": "test_sockets"}})]}
    (run / "judges.json").write_text(json.dumps(data))
    render(run)
    assert "## Compatibility: each loop judged by tests nobody here wrote" in (run / "report.md").read_text()
    assert 'id="compat-anyio-suite-heap-sockets"' in (run / "report.html").read_text()


#: The plugin's own lines, as it writes them while the suite runs (cut down).
PROGRESS = "\n".join(json.dumps(r) for r in [
    {"nodeid": "tests/test_synchronization.py::TestLock::test_contextmanager[asyncio]", "when": "call",
     "outcome": "passed", "detail": ""},
    {"nodeid": "tests/test_sockets.py::TestUDPSocket::test_send_receive[asyncio-ipv4]", "when": "call",
     "outcome": "failed", "detail": "E   NotImplementedError: create_datagram_endpoint"},
    {"nodeid": "tests/streams/test_tls.py::TestTLSStream::test_send_receive[asyncio]", "when": "call",
     "outcome": "passed", "detail": ""},
    {"nodeid": "tests/streams/test_tls.py::TestTLSStream::test_send_receive[asyncio]", "when": "teardown",
     "outcome": "failed", "detail": "ResourceWarning: unclosed socket"},
    {"nodeid": "tests/test_taskgroups.py::test_cancel_scope_repr", "when": "call", "outcome": "passed",
     "detail": "", "loops": 0},
    {"nodeid": "tests/test_to_thread.py::test_asyncio_run_does_not_leak_event_loop", "when": "call",
     "outcome": "failed", "detail": "AssertionError: the loop was not freed", "loops": 1}])


def test_the_plugin_counts_the_loops_each_test_made(monkeypatch, tmp_path):
    from types import SimpleNamespace

    from harness.judges import anyio_plugin

    report = tmp_path / "progress.jsonl"
    monkeypatch.setenv(anyio_plugin.REPORT_VAR, str(report))
    monkeypatch.setitem(loops.LOOPS_MADE, "loop", 5)
    anyio_plugin.pytest_runtest_setup(SimpleNamespace(nodeid="t::a"))
    loops.LOOPS_MADE["loop"] += 2                                   # the test ran asyncio.run() twice
    anyio_plugin.pytest_runtest_logreport(SimpleNamespace(nodeid="t::a", when="call", outcome="passed",
                                                          longrepr=None, skipped=False))
    anyio_plugin.pytest_runtest_setup(SimpleNamespace(nodeid="t::b"))
    anyio_plugin.pytest_runtest_logreport(SimpleNamespace(nodeid="t::b", when="call", outcome="passed",
                                                          longrepr=None, skipped=False))
    made = {r["nodeid"]: r["loops"] for r in map(json.loads, report.read_text().splitlines())}
    assert made == {"t::a": 2, "t::b": 0}


def test_a_suite_stopped_early_keeps_what_the_plugin_saw():
    tests = anyio_tests.parse_progress(PROGRESS, loops.resolve("heap"))
    assert {t: (e["bucket"], e["module"]) for t, e in tests.items()} == {
        "tests.test_synchronization.TestLock.test_contextmanager[asyncio]": ("passed", "test_synchronization"),
        "tests.test_sockets.TestUDPSocket.test_send_receive[asyncio-ipv4]": ("missing", "test_sockets"),
        "tests.streams.test_tls.TestTLSStream.test_send_receive[asyncio]": ("failed", "streams.test_tls"),
        "tests.test_taskgroups.test_cancel_scope_repr": ("off-loop", "test_taskgroups"),
        # no backend parameter, but asyncio.run() made its loop through the policy: on the loop
        "tests.test_to_thread.test_asyncio_run_does_not_leak_event_loop": ("failed", "test_to_thread")}
    assert tests["tests.streams.test_tls.TestTLSStream.test_send_receive[asyncio]"]["detail"] == \
        "ResourceWarning: unclosed socket"

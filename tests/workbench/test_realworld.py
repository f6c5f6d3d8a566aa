"""The real workloads: pyperformance's benchmarks on a chosen loop, the HTTP servers, wrk's output, the report section.

* A benchmark script written for pyperf runs, unmodified, on the loop of the runtime asked
  for (asyncio's own, and our heap hosting asyncio), and both clocks are recorded.
* The installed pyperformance's benchmarks are found with the arguments and the Python
  requirement their metadata declares.
* Every server kind answers HTTP/1.1 correctly (keep-alive, pipelined requests, the JSON
  endpoint), on asyncio and on heap+asyncio.
* wrk's output is read from a captured run; without wrk, every HTTP cell says
  "unsupported: wrk not installed" and nothing runs in its place.
* The per-round ratio to the baseline, and the report section, from known data.

No assertion here is about how long anything takes.
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
import socket
import sys

import pytest

from harness.cli.main import main as cli_main
from harness.report.sections import realworld as realworld_report
from harness.stats.paired import ratio_to_baseline
from harness.workloads import pyperformance_suite, realworld
from harness.workloads.http import servers, suite as http_suite, wrk

TINY = """
import asyncio, sys
import pyperf

async def work():
    loop = asyncio.get_running_loop()
    with open(sys.argv[1], "a") as f:
        f.write(type(loop).__module__ + "." + type(loop).__qualname__ + "\\n")
    await asyncio.sleep(0)

if __name__ == "__main__":
    runner = pyperf.Runner()
    runner.argparser.add_argument("note")
    runner.parse_args()
    runner.bench_async_func("tiny", work)
    raise SystemExit("not reached: the measuring runner ends the script after its benchmark")
"""


@pytest.mark.parametrize("runtime, loop_module", [("asyncio", "asyncio."), ("heap+asyncio", "impls.")])
def test_a_pyperf_script_runs_unmodified_on_the_runtimes_loop_with_both_clocks(tmp_path, runtime, loop_module):
    script = tmp_path / "run_benchmark.py"
    script.write_text(TINY)
    note = tmp_path / "loops.txt"
    bench = pyperformance_suite.Benchmark("tiny", script, (str(note),))
    settings = pyperformance_suite.Settings(("tiny",), rounds=1, values=2, warmups=1, target_s=0.001)
    result = pyperformance_suite.run_one(runtime, bench, settings)
    assert "error" not in result, result
    assert result["benchmark"] == "tiny"
    assert len(result["wall"]) == len(result["cpu"]) == 2
    assert all(v > 0 for v in result["wall"]) and all(v >= 0 for v in result["cpu"])
    assert result["loops"] >= 1
    loops = note.read_text().split()
    assert loops and all(name.startswith(loop_module) for name in loops), loops


def test_an_installed_pyperformance_benchmark_runs_and_records_both_clocks():
    bench = pyperformance_suite.find("coroutines")
    settings = pyperformance_suite.Settings(("coroutines",), rounds=1, values=1, warmups=1, target_s=0.001)
    result = pyperformance_suite.run_one("heap+asyncio", bench, settings)
    assert result.get("benchmark") == "coroutines", result
    assert result["wall"][0] > 0 and result["cpu"][0] > 0


def test_a_failing_benchmark_says_why(tmp_path):
    script = tmp_path / "run_benchmark.py"
    script.write_text("raise RuntimeError('this benchmark is broken')\n")
    bench = pyperformance_suite.Benchmark("broken", script, ())
    result = pyperformance_suite.run_one("asyncio", bench, pyperformance_suite.Settings(("broken",)))
    assert result == {"runtime": "asyncio", "error": "RuntimeError: this benchmark is broken"}


def test_benchmarks_come_with_their_declared_arguments_and_python():
    io = pyperformance_suite.find("async_tree_io")
    assert io.script.name == "run_benchmark.py" and io.script.parent.name == "bm_async_tree"
    assert io.args == ("io",) and io.clock == "wall"
    assert pyperformance_suite.find("async_tree").args == ("none",)
    assert pyperformance_suite.find("async_generators").clock == "cpu"
    eager = pyperformance_suite.find("async_tree_eager")
    reason = pyperformance_suite.unsupported_reason(eager)
    if sys.version_info < (3, 12):
        assert reason and "3.12" in reason
    else:
        assert reason is None
    with pytest.raises(KeyError):
        pyperformance_suite.find("no_such_benchmark")


def test_a_runtime_that_cannot_run_says_why():
    reasons = realworld.unsupported(["asyncio", "no-such-loop", "trio"])
    assert "asyncio" not in reasons
    assert "unknown runtime" in reasons["no-such-loop"]
    assert "asyncio" in reasons["trio"]
    if not hasattr(asyncio, "eager_task_factory"):
        assert "3.12" in realworld.unsupported(["asyncio-eager"])["asyncio-eager"]


@pytest.mark.parametrize("runtime", ["asyncio", "heap+asyncio"])
@pytest.mark.parametrize("kind", servers.KINDS)
def test_each_server_answers_http(kind, runtime):
    server = http_suite.Server(kind, runtime)
    try:
        http_suite.check(server.port, "/")
        if kind == "aiohttp":
            http_suite.check(server.port, "/json")
        assert server.cpu() > 0
    finally:
        server.close()
    assert server.proc.returncode == 0


@pytest.mark.parametrize("kind", ["protocol", "streams"])
def test_pipelined_requests_get_one_response_each_in_order(kind):
    server = http_suite.Server(kind, "asyncio")
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
            sock.sendall(request * 3 + request[:10])          # three whole, one in part
            expected = servers.RESPONSE * 3
            received = b""
            while len(received) < len(expected):
                chunk = sock.recv(65536)
                assert chunk, "the server closed the connection"
                received += chunk
            assert received == expected
            sock.sendall(request[10:])                        # the rest of the fourth
            received = b""
            while len(received) < len(servers.RESPONSE):
                received += sock.recv(65536)
            assert received == servers.RESPONSE
    finally:
        server.close()


CAPTURED = """Running 1s test @ http://127.0.0.1:38905/
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.96ms    1.41ms  12.31ms   85.63%
    Req/Sec    20.56k     8.45k   36.60k    60.00%
  Latency Distribution
     50%  274.00us
     75%    1.15ms
     90%    3.03ms
     99%    5.75ms
  20788 requests in 1.02s, 1.55MB read
Requests/sec:  20478.97
Transfer/sec:      1.52MB
loopbench-wrk {"requests": 20788, "duration_us": 1015090, "bytes": 1621464, "errors": {"connect": 0, "read": 0, \
"write": 0, "status": 2, "timeout": 1}, "latency_us": {"p50": 274.0, "p90": 3034.0, "p99": 5748.0, "max": 12309.0, \
"mean": 956.4}}
"""


def test_wrk_output_is_parsed():
    result = wrk.parse(CAPTURED)
    assert result["requests"] == 20788
    assert result["duration_s"] == pytest.approx(1.01509)
    assert result["rps"] == pytest.approx(20788 / 1.01509)
    assert result["latency_us"]["p50"] == 274.0 and result["latency_us"]["p99"] == 5748.0
    assert result["error_count"] == 3
    with pytest.raises(ValueError, match="no result line"):
        wrk.parse("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_the_done_script_prints_what_the_parser_reads():
    assert wrk.MARK.strip() in wrk.DONE_SCRIPT
    for field in ("summary.requests", "summary.duration", "latency:percentile(50)", "latency:percentile(99)"):
        assert field in wrk.DONE_SCRIPT


def test_without_wrk_every_http_cell_is_unsupported_and_nothing_runs(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))                 # no wrk on it
    assert wrk.available() == "wrk not installed"
    with pytest.raises(FileNotFoundError, match="wrk not installed"):
        wrk.run("http://127.0.0.1:1/", 1, 1)
    started = []
    monkeypatch.setattr(http_suite, "Server", lambda *a: started.append(a))
    section = http_suite.run(["asyncio", "uvloop"], {}, http_suite.Settings(rounds=2, duration_s=1))
    assert started == []
    assert section["unsupported"] == "wrk not installed"
    assert section["cells"] and all(c["status"] == "unsupported" and c["reason"] == "wrk not installed"
                                    for c in section["cells"])
    text = realworld_report.standalone_text({"http": section})
    assert "unsupported: wrk not installed" in text


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed (CI installs it)")
def test_a_wrk_cell_measures_requests_and_the_servers_cpu():
    section = http_suite.run(["asyncio"], {}, http_suite.Settings(kinds=("protocol",), connections=(1,),
                                                                  rounds=1, duration_s=1), log=lambda s: None)
    (cell,) = section["cells"]
    assert cell["status"] == "ok", cell
    (measured,) = cell["rounds"]
    assert measured["requests"] > 0 and measured["server_cpu_s"] > 0
    assert cell["cpu_per_request_us"] == pytest.approx(measured["server_cpu_s"] / measured["requests"] * 1e6)
    assert cell["rps_ratio"]["ratio"] == 1.0


def test_a_rounds_servers_all_start_before_any_is_loaded_and_none_outlives_the_round(monkeypatch):
    events: list[tuple] = []

    class Fake:
        def __init__(self, kind, runtime):
            if runtime == "rloop" and kind == "aiohttp":
                raise RuntimeError("the server exited (status 1): no aiohttp here")
            self.kind, self.runtime, self.port = kind, runtime, 1
            events.append(("start", kind, runtime))

        def cpu(self):
            return 0.0

        def last_error(self):
            return ""

        def close(self):
            events.append(("close", self.kind, self.runtime))

    def load(url, connections, duration_s):
        events.append(("load", url))
        if len([e for e in events if e[0] == "load"]) == 5:
            raise KeyboardInterrupt                   # stopped in the middle of the second round
        return {"requests": 10, "duration_s": 1.0, "rps": 10.0, "latency_us": {"p50": 1.0, "p99": 2.0}, "errors": 0}

    monkeypatch.setattr(http_suite, "Server", Fake)
    monkeypatch.setattr(http_suite, "check", lambda port, path: None)
    monkeypatch.setattr(http_suite.wrk, "available", lambda: None)
    monkeypatch.setattr(http_suite.wrk, "version", lambda: "fake")
    monkeypatch.setattr(http_suite.wrk, "run", load)
    settings = http_suite.Settings(kinds=("protocol", "aiohttp"), connections=(50,), rounds=2, duration_s=1)
    with pytest.raises(KeyboardInterrupt):
        http_suite.run(["asyncio", "rloop"], {}, settings, log=lambda line: None)
    first_round = events[:events.index(("load", "http://127.0.0.1:1/")) + 1]
    assert [e for e in first_round if e[0] == "start"] == [("start", k, rt) for k in ("protocol", "aiohttp")
                                                           for rt in ("asyncio", "rloop") if (k, rt) != ("aiohttp", "rloop")]
    started = [e[1:] for e in events if e[0] == "start"]
    closed = [e[1:] for e in events if e[0] == "close"]
    assert sorted(started) == sorted(closed), "every server started is stopped, the interrupted round's too"
    assert len(started) == 6                          # three a round: aiohttp on rloop failed to start


def test_ratios_are_taken_against_the_same_rounds_baseline():
    result = ratio_to_baseline([[2.0, 2.2], [4.0, 4.4]], [[1.0, 1.0], [2.0, 2.0]])
    assert result["per_round"] == pytest.approx([2.1, 2.1])
    assert result["ratio"] == pytest.approx(2.1)
    assert result["ci95"][0] <= result["ratio"] <= result["ci95"][1]
    assert result["rounds"] == 2
    empty = ratio_to_baseline([[], [1.0]], [[1.0], []])
    assert empty["rounds"] == 0 and math.isnan(empty["ratio"])
    with pytest.raises(ValueError):
        ratio_to_baseline([[1.0]], [[1.0], [1.0]])


def _doc() -> dict:
    ratio = {"ratio": 0.8, "ci95": [0.7, 0.9], "per_round": [0.8, 0.8], "rounds": 2}
    return {
        "pyperformance": {"settings": {"rounds": 2, "values": 2, "warmups": 1}, "pyperformance": "1.14.0",
                          "baseline": "asyncio",
                          "runtimes": ["asyncio", "uvloop", "asyncio-eager"],
                          "benchmarks": [{"name": "async_tree", "clock": "cpu", "note": "", "cells": {
                              "asyncio": {"status": "ok", "median_s": 0.5, "ratio": {**ratio, "ratio": 1.0}},
                              "uvloop": {"status": "ok", "median_s": 0.4, "ratio": ratio},
                              "asyncio-eager": {"status": "unsupported", "reason": "new in Python 3.12"}}}]},
        "http": {"settings": {"duration_s": 1, "rounds": 2}, "wrk": "wrk 4.1.0", "baseline": "asyncio", "cells": [
            {"kind": "aiohttp", "connections": 50, "runtime": "asyncio", "status": "ok", "rps": 11000.0,
             "p50_us": 1600.0, "p99_us": 9900.0, "cpu_per_request_us": 75.0, "errors": 0,
             "rps_ratio": {**ratio, "ratio": 1.0}, "cpu_ratio": {**ratio, "ratio": 1.0}},
            {"kind": "aiohttp", "connections": 50, "runtime": "uvloop", "status": "ok", "rps": 12345.0,
             "p50_us": 1500.0, "p99_us": 9000.0, "cpu_per_request_us": 60.0, "errors": 0,
             "rps_ratio": {**ratio, "ratio": 1.1, "ci95": [1.0, 1.2]}, "cpu_ratio": ratio},
            {"kind": "aiohttp", "connections": 50, "runtime": "heap+asyncio", "status": "failed",
             "reason": "RuntimeError: the server exited"}]},
    }


def test_the_report_section_shows_both_tables(tmp_path):
    (tmp_path / "realworld.json").write_text(json.dumps(_doc()))
    section = realworld_report.standalone(tmp_path)
    md = section["md"]
    assert "## Real workloads" in md
    # times as × better than asyncio: asyncio's 0.5 s over uvloop's 0.4 s, the interval inverted
    assert "| async_tree | cpu | 1.00× (500.0 ms) | 1.25× \\[1.11, 1.43\\] | unsupported: new in Python 3.12 |" in md
    assert "| aiohttp | 50 | uvloop | 12,345 | 1.50 / 9.00 | 60.0 | 1.10× \\[1.00, 1.20\\] | 1.25× \\[1.11, 1.43\\] |" in md
    assert "| aiohttp | 50 | asyncio | 11,000 | 1.60 / 9.90 | 75.0 | 1.00× | 1.00× |" in md
    assert "failed: RuntimeError: the server exited" in md
    assert "<table" in section["html"] and "failed: RuntimeError: the server exited" in section["html"]
    assert realworld_report.standalone(tmp_path / "none") == {"md": "", "html": ""}


def test_the_command_refuses_bad_sizes(tmp_path, capsys):
    assert cli_main(["realworld", "--out", str(tmp_path), "--rounds", "0"]) == 2
    assert not (tmp_path / "realworld.json").exists()
    with pytest.raises(ValueError, match="unknown profile"):
        realworld.run(tmp_path, "huge")


def test_a_server_that_cannot_start_says_why():
    with pytest.raises(RuntimeError, match="trio is not an asyncio event loop"):
        http_suite.Server("protocol", "trio")


def test_an_unknown_benchmark_is_a_row_that_says_why(tmp_path):
    path = realworld.run(tmp_path, "quick", ["heap+asyncio"], ("pyperformance",), log=lambda s: None,
                         benchmarks=("no_such_benchmark",))
    doc = json.loads(path.read_text())
    assert doc["runtimes"] == ["asyncio", "heap+asyncio"]                  # the baseline is always measured
    (row,) = doc["pyperformance"]["benchmarks"]
    assert row["unsupported"].startswith("pyperformance has no benchmark 'no_such_benchmark'")
    assert {c["status"] for c in row["cells"].values()} == {"unsupported"}
    assert "http" not in doc


def test_a_part_the_profile_leaves_out_is_named_with_how_to_measure_it(monkeypatch, tmp_path):
    ran = []
    monkeypatch.setattr(pyperformance_suite, "run", lambda *a, **k: ran.append("pyperformance") or {})
    monkeypatch.setattr(http_suite, "run", lambda *a, **k: ran.append("http") or {"cells": []})
    document = json.loads(realworld.run(tmp_path, "default", ["asyncio"], log=lambda s: None).read_text())
    assert ran == ["http"]                                 # the default profile: the servers only
    assert "make realworld" in document["not_measured"]["pyperformance"]
    text = realworld_report.standalone_text(document)
    assert "pyperformance's asyncio benchmarks: not in this profile" in text
    ran.clear()
    document = json.loads(realworld.run(tmp_path, "default", ["asyncio"], ("pyperformance", "http"),
                                        log=lambda s: None).read_text())
    assert ran == ["pyperformance", "http"] and document["not_measured"] == {}

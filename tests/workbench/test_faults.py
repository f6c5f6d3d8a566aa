"""Fault injection: loops that hang, exit, crash, flood, leave grandchildren or raise where nobody
looks; a harness that is interrupted or killed; result files that are torn or garbage.

Every fault must end in a clear status or message, with nothing already measured lost.
The loops come from ``plugin_faulty`` (loaded through LOOPBENCH_PLUGINS, in the
harness and in every cell). Time limits are small, so the whole file stays quick.
"""

import json
import os
import shlex
import signal
import subprocess
import sys
import time

import pytest

from harness.results import records as results
from harness.cli.main import main
from harness.execution.runner import run_matrix
from harness.scenarios.registry import get


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def wait_for(predicate, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def pid_in(pids, name: str) -> int:
    path = pids / f"{name}.pid"
    assert wait_for(path.exists), f"{name} never started"
    return int(path.read_text())


# -- cells that misbehave ------------------------------------------------------------------

def test_every_faulty_loop_ends_in_a_clear_status_and_the_good_cell_is_kept(faulty, tmp_path, record_schema):
    loops = ["heap", "test-exit", "test-segv", "test-crash", "test-raise", "test-raise-init",
             "test-raise-close", "test-sysexit", "test-markup"]
    path = run_matrix(loops, [get("timers.test_tiny")], tmp_path / "run", timeout=5, jobs=2, repeat=1)
    cells = {rt: r for (rt, _), r in results.latest_by_cell(results.load(path)).items()}
    assert sorted(cells) == sorted(loops)
    assert cells["heap"]["status"] == "pass"
    errors = {rt: r["error"] for rt, r in cells.items() if rt != "heap"}
    assert {r["status"] for rt, r in cells.items() if rt != "heap"} == {"error"}
    assert "died (exit code 3)" in errors["test-exit"]
    assert f"died (signal {signal.SIGSEGV})" in errors["test-segv"]
    assert f"died (signal {signal.SIGABRT})" in errors["test-crash"]
    assert "broken on purpose" in errors["test-raise"]
    assert "cannot build this loop" in errors["test-raise-init"]
    assert "close fails" in errors["test-raise-close"]
    assert errors["test-sysexit"] == "SystemExit: 4"
    assert "<script>" in errors["test-markup"]
    for record in cells.values():
        record_schema.validate(record)


def test_a_cell_flooding_its_output_leaves_a_bounded_record(faulty, tmp_path):
    path = run_matrix(["test-flood", "heap"], [get("timers.test_tiny")], tmp_path / "run", timeout=10, repeat=1)
    cells = {rt: r for (rt, _), r in results.latest_by_cell(results.load(path)).items()}
    flood = cells["test-flood"]
    assert flood["stderr_tail"].endswith("the last words")
    assert len(flood["stderr_tail"].encode()) <= 8192                # the published schema's bound
    assert path.stat().st_size < 100_000                             # 20 MB printed, a bounded record kept
    assert "died (exit code 1)" in flood["error"] and cells["heap"]["status"] == "pass"


@pytest.fixture
def escaped_grandchild(faulty):
    """The pid of the grandchild that left the cell's process group, killed after the test."""
    yield lambda: pid_in(faulty, "test-grandchild-hang.child")
    path = faulty / "test-grandchild-hang.child.pid"
    if path.exists():
        try:
            os.kill(int(path.read_text()), signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.timeout(40)      # a runner that waits for the grandchild's end of file takes 60 s
def test_a_grandchild_holding_the_output_cannot_stretch_the_time_limit(faulty, tmp_path, escaped_grandchild):
    path = run_matrix(["test-grandchild-hang", "test-grandchild"], [get("timers.test_tiny")], tmp_path / "run",
                      timeout=3, jobs=2, repeat=1)
    escaped_grandchild()
    cells = {rt: r for (rt, _), r in results.latest_by_cell(results.load(path)).items()}
    assert cells["test-grandchild-hang"]["status"] == "timeout"
    assert cells["test-grandchild"]["status"] == "pass"           # it finished; what it left is killed
    grandchild = pid_in(faulty, "test-grandchild.child")
    assert wait_for(lambda: not alive(grandchild), 5), "the grandchild outlived its cell"


# -- the harness interrupted or killed ---------------------------------------------------------

def start_cli(tmp_path, *args):
    """The harness as a terminal starts it: SIGINT at its default, whatever this suite's is (a
    shell starting the suite in the background without job control ignores SIGINT, and Python
    keeps an ignored SIGINT ignored)."""
    return subprocess.Popen([sys.executable, "-m", "harness", *args], cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


RUN_ARGS = ("run", "--scenarios", "timers.test_tiny", "--repeat", "1", "--jobs", "1", "--timeout", "30")


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupted_run_kills_its_cell_keeps_what_finished_and_resumes(faulty, tmp_path, signum, code):
    out = tmp_path / "run"
    proc = start_cli(tmp_path, *RUN_ARGS, "--runtimes", "heap,test-hang-once,list", "--out", str(out))
    cell = pid_in(faulty, "test-hang-once")                  # heap has finished; this cell hangs
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)       # a bound for a harness that never exits
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr + stdout
    assert wait_for(lambda: not alive(cell), 5), "the running cell outlived the harness"
    kept = results.load(out / "results.jsonl")
    assert [(r["runtime"], r["status"]) for r in kept] == [("heap", "pass")]    # the pending list cell never ran
    resume = stderr.split("to continue: ", 1)[1].splitlines()[0]
    assert shlex.split(resume) == [sys.executable, "-m", "harness", *RUN_ARGS,
                                   "--runtimes", "heap,test-hang-once,list", "--out", str(out), "--resume"]
    again = subprocess.run(shlex.split(resume), cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    after = results.load(out / "results.jsonl")
    assert after[0] == kept[0]
    assert sorted((r["runtime"], r["status"]) for r in after) == [
        ("heap", "pass"), ("list", "pass"), ("test-hang-once", "pass")]


def test_a_killed_harness_takes_its_cell_with_it(faulty, tmp_path):
    proc = start_cli(tmp_path, *RUN_ARGS, "--runtimes", "test-hang", "--out", str(tmp_path / "run"))
    cell = pid_in(faulty, "test-hang")
    proc.kill()
    proc.communicate(timeout=10)
    assert wait_for(lambda: not alive(cell), 10), "the cell outlived the harness that was SIGKILLed"


# -- result files torn or garbage ----------------------------------------------------------------

def test_resume_after_a_torn_write_keeps_every_record(faulty, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--runtimes", "heap", "--scenarios", "timers.test_tiny", "--repeat", "1",
                 "--out", str(out)]) == 0
    with open(out / "results.jsonl", "a") as fh:
        fh.write('{"schema": 1, "runtime": "list", "scenario": "timers.te')       # killed mid-write
    capsys.readouterr()
    assert main(["run", "--runtimes", "heap,list", "--scenarios", "timers.test_tiny", "--repeat", "1",
                 "--out", str(out), "--resume"]) == 0
    lines = (out / "results.jsonl").read_text().splitlines()
    assert [json.loads(line)["runtime"] for line in lines] == ["heap", "list"]
    assert "torn" in capsys.readouterr().err


def test_a_report_over_garbage_keeps_the_records_and_names_the_bad_lines(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    good = {"schema": 1, "run_id": "t", "runtime": "heap", "family": "loopbench", "scenario": "callbacks.fifo",
            "kind": "behaviour", "status": "pass", "expected": ["a"], "outcomes": [{"trace": ["a"], "count": 1}],
            "env": {"profile": "quick"}}
    results.append(run / "results.jsonl", good)
    with open(run / "results.jsonl", "ab") as fh:
        fh.write(b'{"runtime": 1}\n[]\n\x00\xff\xfe\nnull\n{"status": "pass"}\n')
    assert main(["report", str(run)]) == 0
    err = capsys.readouterr().err
    assert err.count("warning: ") == 5 and "Traceback" not in err
    assert "callbacks.fifo" in (run / "report.md").read_text()


@pytest.mark.parametrize("damage", ["all garbage", "environment.json", "benchmark.json"])
def test_a_damaged_run_directory_is_refused_and_nothing_is_written(tmp_path, capsys, damage):
    run = tmp_path / "run"
    run.mkdir()
    record = {"schema": 1, "run_id": "t", "runtime": "heap", "family": "loopbench", "scenario": "a.b",
              "status": "pass", "env": {}}
    (run / "results.jsonl").write_text("garbage\n" if damage == "all garbage" else json.dumps(record) + "\n")
    if damage != "all garbage":
        (run / damage).write_text('{"python": "3.1')
    before = sorted(p.name for p in run.iterdir())
    assert main(["report", str(run)]) == 1
    err = capsys.readouterr().err
    assert "loopbench: error:" in err and "Traceback" not in err
    assert sorted(p.name for p in run.iterdir()) == before

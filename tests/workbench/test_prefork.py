"""Cells forked from a warm server: the same isolation as a fresh interpreter, and a fallback."""

import json
import os
import signal

import pytest

from harness.execution import prefork, runner
from harness.results import records as results
from harness.execution.runner import run_in_subprocess, run_matrix
from harness.scenarios.registry import get

pytestmark = pytest.mark.skipif(not prefork.enabled(), reason="prefork serves cells on Linux only")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:                                  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def servers(tmp_path, monkeypatch):
    """``run_in_subprocess`` served by a fresh set of servers, as inside ``run_matrix``."""
    pool = prefork.Servers(tmp_path / "servers")
    monkeypatch.setattr(runner, "_servers", pool)
    yield pool
    pool.close()


def _server_pids(pool):
    return [server.proc.pid for server in pool._servers.values()]


def test_one_server_serves_every_cell_of_a_thread(servers):
    first = run_in_subprocess("heap", get("callbacks.fifo"), 1, 30)
    second = run_in_subprocess("asyncio", get("callbacks.fifo"), 1, 30)
    assert first["status"] == second["status"] == "pass"
    assert len(_server_pids(servers)) == 1


def test_a_hanging_cell_is_killed_and_the_server_serves_the_next(faulty, servers):
    hung = run_in_subprocess("test-hang", get("timers.test_tiny"), 1, 2)
    cell = int((faulty / "test-hang.pid").read_text())
    assert hung["status"] == "timeout"
    assert not _alive(cell)
    pids = _server_pids(servers)
    after = run_in_subprocess("heap", get("timers.test_tiny"), 1, 30)
    assert after["status"] == "pass" and _server_pids(servers) == pids     # the same server


def test_a_crashing_cell_is_an_error_and_the_server_survives(faulty, servers):
    crashed = run_in_subprocess("test-crash", get("timers.test_tiny"), 1, 30)
    assert crashed["status"] == "error" and "died" in crashed["error"]
    pids = _server_pids(servers)
    assert run_in_subprocess("heap", get("timers.test_tiny"), 1, 30)["status"] == "pass"
    assert _server_pids(servers) == pids


def test_a_dead_server_costs_no_cell_the_next_one_starts_fresh_then_a_new_server(servers):
    assert run_in_subprocess("heap", get("callbacks.fifo"), 1, 30)["status"] == "pass"
    (dead,) = _server_pids(servers)
    os.kill(dead, signal.SIGKILL)
    assert run_in_subprocess("heap", get("callbacks.fifo"), 1, 30)["status"] == "pass"
    assert run_in_subprocess("list", get("callbacks.fifo"), 1, 30)["status"] == "pass"
    assert dead not in _server_pids(servers)


def test_a_run_leaves_no_server_behind(tmp_path, monkeypatch):
    started = []
    real = prefork.Servers.get

    def spy(self, python, start):
        server = real(self, python, start)
        started.append(server.proc.pid)
        return server

    monkeypatch.setattr(prefork.Servers, "get", spy)
    path = run_matrix(["heap", "asyncio"], [get("callbacks.fifo")], tmp_path, repeat=1, jobs=2)
    assert {r["status"] for r in results.load(path)} == {"pass"}
    assert started and not any(_alive(pid) for pid in set(started))
    assert runner._servers is None


def test_prefork_off_starts_a_fresh_interpreter_per_cell(tmp_path, monkeypatch):
    monkeypatch.setenv(prefork.ENV_VAR, "0")
    monkeypatch.setattr(prefork.Servers, "get", lambda *a: pytest.fail("a server was started"))
    path = run_matrix(["heap"], [get("callbacks.fifo")], tmp_path, repeat=1, jobs=1)
    assert [r["status"] for r in results.load(path)] == ["pass"]


def test_a_forked_cell_is_the_runtime_a_fresh_one_would_be(servers, tmp_path):
    """Same record, same verdict, whichever way the cell started (the environment aside)."""
    forked = run_in_subprocess("asyncio", get("coroutines.group_errors"), 3, 60)
    runner._servers = None
    fresh = run_in_subprocess("asyncio", get("coroutines.group_errors"), 3, 60)
    keep = ("status", "outcomes", "operations", "support", "version")
    assert {k: forked.get(k) for k in keep} == {k: fresh.get(k) for k in keep}


def test_a_cell_that_measures_its_own_memory_is_never_forked(servers, monkeypatch):
    monkeypatch.setattr(prefork.Servers, "get", lambda *a: pytest.fail("a memory cell was forked"))
    record = run_in_subprocess("heap", get("memory.sleeping_task"), None, 120)
    assert record["status"] == "observed" and record["metrics"]["bytes_per_task"] > 0


def test_a_server_that_stops_answering_costs_no_cell(servers, monkeypatch):
    monkeypatch.setattr(prefork, "ANSWER_TIMEOUT", 1.0)
    assert run_in_subprocess("heap", get("callbacks.fifo"), 1, 30)["status"] == "pass"
    (stuck,) = _server_pids(servers)
    os.kill(stuck, signal.SIGSTOP)                        # alive, but it will never answer
    assert run_in_subprocess("heap", get("callbacks.fifo"), 1, 30)["status"] == "pass"
    assert not _alive(stuck)                              # ended, not left stopped
    assert run_in_subprocess("list", get("callbacks.fifo"), 1, 30)["status"] == "pass"
    assert stuck not in _server_pids(servers)


def test_a_server_that_stops_after_forking_does_not_turn_a_finished_cell_into_a_timeout(servers, monkeypatch):
    """The server is stopped once the cell exists: the cell still ends, writes its record, and
    that record is the result (not "timeout" at the cell's limit); the server is replaced."""
    monkeypatch.setattr(prefork, "ANSWER_TIMEOUT", 1.0)
    assert run_in_subprocess("heap", get("callbacks.fifo"), 1, 30)["status"] == "pass"
    (stuck,) = _server_pids(servers)
    real_adopt = runner._running.adopt

    def adopt_then_stop_the_server(pid):
        real_adopt(pid)
        os.kill(stuck, signal.SIGSTOP)                    # it forked the cell, it will not report it

    monkeypatch.setattr(runner._running, "adopt", adopt_then_stop_the_server)
    record = run_in_subprocess("heap", get("callbacks.fifo"), 1, 20)
    assert record["status"] == "pass", record.get("error")
    assert not _alive(stuck)
    monkeypatch.setattr(runner._running, "adopt", real_adopt)
    assert run_in_subprocess("list", get("callbacks.fifo"), 1, 30)["status"] == "pass"
    assert stuck not in _server_pids(servers)


def test_resume_runs_a_timed_out_cell_again(tmp_path):
    path = run_matrix(["heap"], [get("callbacks.fifo")], tmp_path, repeat=1, jobs=1)
    (record,) = results.load(path)
    path.write_text(json.dumps(dict(record, status="timeout", error="no result after 60 s")) + "\n")
    run_matrix(["heap"], [get("callbacks.fifo")], tmp_path, repeat=1, jobs=1, resume=True)
    latest = results.latest_by_cell(results.load(path))
    assert latest[("heap", "callbacks.fifo")]["status"] == "pass"


def test_a_forked_cell_reads_no_installed_metadata_the_server_read(monkeypatch, tmp_path):
    """The asyncio loops' entry points and the libraries' versions are read once, in the
    server: a cell after the preload runs with every metadata read refused."""
    import importlib.metadata

    from harness.execution import worker

    prefork._preload()

    def refused(*args, **kwargs):
        raise AssertionError("a cell read the installed metadata again")

    monkeypatch.setattr(importlib.metadata, "entry_points", refused)
    monkeypatch.setattr(importlib.metadata, "version", refused)
    for runtime in ("heap", "asyncio", "trio"):
        record = worker.run_cell(runtime, "callbacks.fifo", 1)
        assert record["status"] in ("pass", "observed"), record
        assert record["version"] and record["version"] != "unknown"

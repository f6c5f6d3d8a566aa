"""``loopbench bench --resume`` continues an interrupted bench; its warnings go to stderr."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest

from harness.cli import bench as bench_module
from harness.cli import progress
from harness.cli.main import main
from harness.execution import preflight, runner
from harness.report import render as render_module


@pytest.fixture
def measured(monkeypatch):
    """``bench`` with its steps recorded instead of run: what it asked for."""
    asked = {"run_matrix": [], "micro_suite": 0, "realworld": 0, "budget_s": [], "cpu_share": 0.5}

    def run_matrix(runtimes, scenarios, out_dir, **how):
        asked["run_matrix"].append(how)
        if how.get("interrupt"):
            raise KeyboardInterrupt
        (out_dir / "results.jsonl").touch()
        return out_dir / "results.jsonl"

    def run_benchmarks(out_dir, profile, console, **how):
        asked["micro_suite"] += 1
        asked["budget_s"].append(how.get("budget_s"))
        (out_dir / "benchmark.json").write_text(json.dumps({"benchmarks": []}))
        return True

    def run_realworld(out_dir, profile, **how):
        asked["realworld"] += 1
        (out_dir / "realworld.json").write_text("{}")

    import harness.workloads.realworld as realworld
    monkeypatch.setattr(realworld, "run", run_realworld)
    monkeypatch.setattr(runner, "run_matrix", run_matrix)
    monkeypatch.setattr(bench_module, "run_benchmarks", run_benchmarks)
    # bench sets the profile in the environment for its cells: put it back after the test.
    monkeypatch.setenv(bench_module.PROFILE_VAR, os.environ.get(bench_module.PROFILE_VAR, "default"))
    monkeypatch.setattr(bench_module, "_record_preflight", lambda *a: None)
    monkeypatch.setattr(preflight, "read", lambda **k: SimpleNamespace(
        warnings=["the machine is busy (load 3.0)"], steadiness={"cpu_share": asked["cpu_share"]}))
    monkeypatch.setattr(progress, "summarize", lambda *a, **k: None)
    monkeypatch.setattr(render_module, "render", lambda out_dir: {"md": out_dir / "report.md",
                                                                   "html": out_dir / "report.html"})
    import harness.results.export as export
    monkeypatch.setattr(export, "write_pyperf", lambda *a: None)
    return asked


def test_bench_resume_keeps_what_was_measured(measured, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["bench", "--quick", "--out", str(out)]) == 0
    assert measured["run_matrix"][-1]["resume"] is False and measured["micro_suite"] == 1
    assert main(["bench", "--quick", "--out", str(out), "--resume"]) == 0
    assert measured["run_matrix"][-1]["resume"] is True           # finished cells kept by the runner
    assert measured["micro_suite"] == 1                            # a finished micro-suite is kept
    assert measured["realworld"] == 1                              # finished real workloads too


def test_the_micro_suite_gets_what_the_steps_before_left_of_the_bench(measured, monkeypatch, tmp_path):
    clock = {"now": 0.0}
    monkeypatch.setattr(bench_module.time, "perf_counter", lambda: clock["now"])
    real = runner.run_matrix

    def slow_matrix(*a, **how):             # the matrix took 400 s of the bench's
        clock["now"] += 400.0
        return real(*a, **how)

    monkeypatch.setattr(runner, "run_matrix", slow_matrix)
    assert main(["bench", "--out", str(tmp_path / "a")]) == 0       # a shared machine: the probe got half a core
    quiet, shared = bench_module.TARGET_S["default"]
    report = bench_module.REPORT_S
    assert measured["budget_s"][-1] == pytest.approx(min(bench_module.BUDGET_S["default"], shared - report - 400))
    clock["now"], measured["cpu_share"] = 0.0, 1.0                  # the machine to itself: the quiet target
    assert main(["bench", "--out", str(tmp_path / "q")]) == 0
    assert measured["budget_s"][-1] == 0.0 < shared - report - 400  # 400 s of its 300 s spent: the least rounds
    clock["now"], measured["cpu_share"] = 0.0, 0.5
    monkeypatch.setattr(runner, "run_matrix", real)          # a fast matrix: the profile's cap
    assert main(["bench", "--out", str(tmp_path / "b")]) == 0
    assert measured["budget_s"][-1] == pytest.approx(bench_module.BUDGET_S["default"])
    assert main(["bench", "--out", str(tmp_path / "c"), "--budget", "42"]) == 0
    assert measured["budget_s"][-1] == 42                   # --budget: as given


@pytest.mark.parametrize(("share", "at_once"), [(1.0, None), (0.95, None), (0.89, 1), (0.5, 1), (None, 1)])
def test_clocked_cells_share_the_cores_only_on_a_machine_the_bench_has_to_itself(measured, tmp_path, share, at_once):
    measured["cpu_share"] = share
    assert main(["bench", "--out", str(tmp_path / "run")]) == 0
    assert measured["run_matrix"][-1]["clocked_at_once"] == at_once      # None: one per core


@pytest.mark.parametrize(("share", "target"), [(1.0, 300.0), (0.6, 560.0), (0.3, 560.0), (0.8, 430.0),
                                               (None, 560.0)])
def test_the_bench_takes_longer_where_others_take_the_cores(share, target):
    assert bench_module.TARGET_S["default"] == (300.0, 560.0) and bench_module.SHARED_AT == 0.6
    assert bench_module.target_s("default", share) == pytest.approx(target)
    assert bench_module.target_s("rigorous", share) is None      # no target: its budget alone


def test_bench_resume_needs_the_directory_to_continue(measured, tmp_path, capsys):
    assert main(["bench", "--quick", "--resume"]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["bench", "--quick", "--resume", "--out", str(tmp_path / "never")]) == 2
    assert not measured["run_matrix"]


def test_an_interrupted_bench_says_how_to_resume(measured, monkeypatch, tmp_path, capsys):
    real = runner.run_matrix
    monkeypatch.setattr(runner, "run_matrix", lambda *a, **how: real(*a, **how, interrupt=True))
    out = tmp_path / "run"
    assert main(["bench", "--quick", "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert "to continue:" in err and "--resume" in err and str(out) in err


def test_bench_warnings_go_to_stderr(measured, tmp_path, capsys):
    assert main(["bench", "--quick", "--out", str(tmp_path / "run")]) == 0
    said = capsys.readouterr()
    assert "the machine is busy" in said.err and "the machine is busy" not in said.out

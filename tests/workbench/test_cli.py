"""The command line, end to end: a small matrix, the conventions, and bad command lines."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.results import records as results
from harness.cli.main import main
from harness.execution.profile import ENV_VAR as PROFILE_VAR


def run_cli(*args, cwd, timeout=240, env=None):
    """``python -m harness ARGS`` from ``cwd``, as a user runs it (the package as installed)."""
    env = dict(os.environ if env is None else env)
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


def call(argv, capsys) -> tuple[int, str, str]:
    """``main(argv)`` in this process: (exit status, stdout, stderr). An exception fails the test."""
    try:
        code = main(argv)
    except SystemExit as exc:                         # argparse's own usage errors and --version
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(autouse=True)
def _profile_restored(monkeypatch):
    """``--quick`` sets the profile for the process; every test starts and ends in the default."""
    monkeypatch.setenv(PROFILE_VAR, "default")


def test_list_names_every_runtime_and_scenario(tmp_path):
    import impls
    from harness.scenarios.registry import all_scenarios

    out = run_cli("list", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    for name in impls.names() + ["asyncio", "uvloop"]:
        assert name in out.stdout
    assert "latency.sleep_lateness" in out.stdout
    assert len(all_scenarios()) > 5


def test_run_from_any_directory_writes_under_its_reports(tmp_path):
    out = run_cli("run", "--runtimes", "heap,asyncio", "--scenarios", "workload.tasks.spawn_join,workload.callbacks.call_soon_chain",
                  "--quick", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    [run_dir] = [d for d in (tmp_path / "reports").iterdir() if not d.is_symlink()]
    assert (tmp_path / "reports" / "latest").resolve() == run_dir.resolve()     # the run's report is the latest
    assert (run_dir / "report.md").exists()
    records = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    assert sorted((r["runtime"], r["scenario"]) for r in records) == [
        ("asyncio", "workload.callbacks.call_soon_chain"), ("asyncio", "workload.tasks.spawn_join"),
        ("heap", "workload.callbacks.call_soon_chain"), ("heap", "workload.tasks.spawn_join")]
    assert all(r["status"] == "observed" and r["metrics"] and r["env"]["profile"] == "quick" for r in records)
    assert "asyncio = 1.00" in out.stdout and out.stderr == ""


def test_version(capsys):
    import importlib.metadata

    code, out, _ = call(["--version"], capsys)
    import impls

    try:
        expected = importlib.metadata.version(impls.DISTRIBUTION)      # "loopbench" on PyPI is another project
    except importlib.metadata.PackageNotFoundError:
        expected = "unknown (not installed)"
    assert code == 0 and out.strip() == f"loopbench {expected}"


def test_a_run_with_a_failing_cell_exits_1_and_says_so_on_stderr(faulty, tmp_path, capsys):
    code, out, err = call(["run", "--runtimes", "heap", "--scenarios", "coroutines.test_wrong,timers.test_tiny",
                           "--repeat", "1", "--out", str(tmp_path / "run")], capsys)
    assert code == 1 and "1 cell(s) failed" in err
    assert {r["status"] for r in results.load(tmp_path / "run" / "results.jsonl")} == {"pass", "fail"}


def test_scenarios_by_glob_and_keyword(faulty, tmp_path, capsys):
    code, _, err = call(["run", "--runtimes", "he*p", "--scenarios", "*.test_*", "-k", "tiny or flaky",
                         "--repeat", "1", "--out", str(tmp_path / "run")], capsys)
    assert code == 0, err
    cells = results.latest_by_cell(results.load(tmp_path / "run" / "results.jsonl"))
    assert sorted(cells) == [("heap", "coroutines.test_flaky"), ("heap", "timers.test_tiny")]


def test_cell_markup_is_printed_as_text(faulty, tmp_path, capsys):
    code, out, err = call(["run", "--runtimes", "test-markup", "--scenarios", "timers.test_tiny",
                           "--out", str(tmp_path / "run")], capsys)
    assert "[bold red]boom[/]" in out and "<script>" in out
    assert code == 1


# -- bad command lines: a message on stderr, the right exit status, no traceback, nothing run ---

def _quick_run(where: Path) -> Path:
    where.mkdir()
    results.append(where / "results.jsonl", {"schema": 1, "run_id": "t", "runtime": "heap", "family": "loopbench",
                                             "scenario": "callbacks.fifo", "status": "pass",
                                             "env": {"profile": "quick"}})
    (where / "environment.json").write_text(json.dumps({"profile": "quick"}))
    return where


def _default_run(where: Path) -> Path:
    where.mkdir()
    results.append(where / "results.jsonl", {"schema": 1, "run_id": "t", "runtime": "heap", "family": "loopbench",
                                             "scenario": "callbacks.fifo", "status": "pass",
                                             "env": {"profile": "default"}})
    return where


BAD_COMMAND_LINES = [
    # (argv, exit status, what stderr says); {tmp} is a fresh directory, {file} a file in it
    ([], 2, "required"),
    (["bogus"], 2, "invalid choice"),
    (["run", "--bogus"], 2, "unrecognized"),
    (["run", "--out"], 2, "expected one argument"),
    (["run", "--ou", "x"], 2, "unrecognized"),
    (["list", "extra"], 2, "unrecognized"),
    (["run", "--repeat", "-1"], 2, "--repeat"),
    (["run", "--repeat", "0"], 2, "--repeat"),
    (["run", "--repeat", "two"], 2, "--repeat"),
    (["run", "--jobs", "0"], 2, "--jobs"),
    (["run", "--timeout", "nan"], 2, "--timeout"),
    (["run", "--timeout", "inf"], 2, "--timeout"),
    (["run", "--timeout", "-1"], 2, "--timeout"),
    (["run", "--timeout", "0"], 2, "--timeout"),
    (["run", "--timeout", "soon"], 2, "--timeout"),
    (["run", "--runtimes", ""], 2, "--runtimes names nothing"),
    (["run", "--runtimes", " , "], 2, "--runtimes names nothing"),
    (["run", "--scenarios", ""], 2, "--scenarios names nothing"),
    (["run", "--runtimes", "heep"], 2, "did you mean 'heap'"),
    (["run", "--runtimes", "heap,no-such-loop"], 2, "no runtime matches 'no-such-loop'"),
    (["run", "--scenarios", "timers.slides,no.such"], 2, "no scenario matches 'no.such'"),
    (["run", "--scenarios", "timer.slides"], 2, "did you mean 'timers.slides'"),
    (["run", "--scenarios", "nosuch.*"], 2, "no scenario matches 'nosuch.*'"),
    (["run", "-k", "timers and"], 2, "-k"),
    (["run", "-k", "(timers"], 2, "not closed"),
    (["run", "-k", "zzzz"], 2, "no scenario matches"),
    (["run", "--resume"], 2, "--out"),
    (["run", "--out", "{file}"], 2, "not a directory"),
    (["run", "--out", "{file}/sub"], 2, "cannot create"),
    (["bench", "--out", "{file}"], 2, "not a directory"),
    (["run", "--runtimes", "heap", "--out", "{quick}", "--resume"], 1, "quick profile"),
    (["run", "--runtimes", "heap", "--out", "{quick}"], 1, "already holds results"),
    (["report", "{tmp}"], 1, "has no results.jsonl"),
    (["report", "{tmp}/nowhere"], 1, "no such run directory"),
    (["report", "{file}"], 1, "no such run directory"),
    (["compare", "{quick}", "{tmp}/nowhere"], 1, "no such run directory"),
    (["compare", "{quick}", "{default}"], 1, "compare runs of one profile"),
    (["new-impl", "not a name", "--dir", "{tmp}"], 2, "identifier"),
    (["explain", "nosuch"], 2, "invalid choice"),
]


@pytest.mark.parametrize("argv, code, says", BAD_COMMAND_LINES, ids=[" ".join(c[0]) or "(none)"
                                                                   for c in BAD_COMMAND_LINES])
def test_a_bad_command_line_gets_a_message_and_harms_nothing(tmp_path, capsys, argv, code, says):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    (tmp / "file").write_text("precious")
    places = {"tmp": str(tmp), "file": str(tmp / "file"), "quick": str(_quick_run(tmp_path / "quick")),
              "default": str(_default_run(tmp_path / "default"))}
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    got, out, err = call([arg.format(**places) for arg in argv], capsys)
    assert got == code, err
    assert says in err
    assert (tmp / "file").read_text() == "precious"
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before, "a refused command wrote something"


def test_a_missing_plugin_is_named_not_a_traceback(monkeypatch, capsys):
    monkeypatch.setenv("LOOPBENCH_PLUGINS", "no_such_plugin_module")
    code, _, err = call(["list"], capsys)
    assert code == 1 and "no_such_plugin_module" in err and "not an importable module" in err


def test_bench_refuses_a_reports_latest_that_is_a_real_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports" / "latest").mkdir(parents=True)
    (tmp_path / "reports" / "latest" / "keep.md").write_text("mine")
    code, _, err = call(["bench", "--quick"], capsys)
    assert code == 2 and "latest" in err
    assert (tmp_path / "reports" / "latest" / "keep.md").read_text() == "mine"
    assert [p.name for p in (tmp_path / "reports").iterdir()] == ["latest"]

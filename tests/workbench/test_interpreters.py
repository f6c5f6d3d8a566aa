"""Other interpreters: finding them, their venvs and their errors, and the report across them.

The venv tests use the interpreters pyenv keeps under ``/root/.pyenv/versions`` (or
any ``python3.X`` on PATH) and skip, saying which, where none other than this one is
present. They build bare venvs (``--without-pip``): the part that depends on the
interpreter; the installing is pip's.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from rich.console import Console

from harness.execution import interpreters
from harness.execution.interpreters import (Interpreter, InterpreterError, Source, bench_all, ensure_venv, find, project_source,
                                  source_from, venv_dir)
from harness.report.interpreters import (Sample, compare_interpreters, ranges_disjoint, render_across,
                                         write_manifest)
from harness.results import records as results
from harness.report.model import load_run

PYENV = Path("/root/.pyenv/versions")


def _pythons(minor: int) -> list[str]:
    found = sorted(str(p) for p in PYENV.glob(f"3.{minor}.*/bin/python3")) if PYENV.is_dir() else []
    return found or [p for p in [shutil.which(f"python3.{minor}")] if p]


def _another_python() -> str:
    """An interpreter 3.11+ other than the one running the tests, or a skip saying none is present."""
    for minor in (13, 12, 11, 14):
        for path in _pythons(minor):
            try:
                interpreter = find(path)
            except InterpreterError:
                continue
            if Path(interpreter.executable).resolve() != Path(sys.executable).resolve() and not interpreter.is_running:
                return path
    pytest.skip("only one Python 3.11+ interpreter is present here (none under /root/.pyenv/versions "
                "nor python3.11-3.14 on PATH besides the one running the tests)")


@pytest.fixture
def project(tmp_path):
    """A source whose pyproject.toml the tests may change."""
    root = tmp_path / "project"
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "pkg"\nversion = "0"\n')
    (root / "pkg" / "__init__.py").write_text("")
    return Source(root)


# ------------------------------------------------------------------ finding an interpreter
def test_the_running_interpreter_is_found_and_measures_itself():
    me = find(sys.executable)
    assert me.is_running
    assert me.version == ".".join(map(str, sys.version_info[:3]))
    assert me.tag == f"py{me.version}" or me.implementation != "cpython"


def test_a_missing_interpreter_is_named_in_the_error(tmp_path):
    with pytest.raises(InterpreterError, match=r"'no-such-python3\.99' not found on PATH"):
        find("no-such-python3.99")
    with pytest.raises(InterpreterError, match=r"not found: no such file") as caught:
        find(str(tmp_path / "bin" / "python3"))
    assert str(tmp_path / "bin" / "python3") in str(caught.value)


def test_a_file_that_is_not_an_interpreter_is_named_in_the_error(tmp_path):
    script = tmp_path / "python3"
    script.write_text("#!/bin/sh\necho 'I am not Python' >&2\nexit 3\n")
    script.chmod(0o755)
    with pytest.raises(InterpreterError, match=r"could not be run \(exit status 3\): I am not Python") as caught:
        find(str(script))
    assert str(script) in str(caught.value)


def test_a_too_old_interpreter_is_named_with_its_version():
    old = _pythons(10)
    if not old:
        pytest.skip("no Python 3.10 here (pyenv nor python3.10 on PATH)")
    with pytest.raises(InterpreterError, match=r"is Python 3\.10\.\d+; loopbench needs Python 3\.11 or newer") as caught:
        find(old[0])
    assert old[0] in str(caught.value)


# ------------------------------------------------------------------ the source a venv installs
def test_the_source_is_the_checkout_else_what_pip_recorded(tmp_path):
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "pyproject.toml").write_text('[project]\nname = "loop-workbench"\n')
    assert source_from(checkout, None) == Source(checkout)
    site = tmp_path / "site-packages"                       # installed: no pyproject.toml above the package
    site.mkdir()
    assert source_from(site, json.dumps({"url": checkout.as_uri(), "dir_info": {}})) == Source(checkout)
    wheel = tmp_path / "loopbench-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK")
    found = source_from(site, json.dumps({"url": wheel.as_uri(), "archive_info": {}}))
    assert found.is_wheel and found.files() == [wheel]
    for recorded in (None, json.dumps({"url": "https://example.org/loopbench-0.1.0.tar.gz", "archive_info": {}}),
                     json.dumps({"url": (tmp_path / "deleted.whl").as_uri(), "archive_info": {}})):
        with pytest.raises(InterpreterError, match="installed without a source"):
            source_from(site, recorded)


def test_this_checkout_is_the_source_here():
    source = project_source()
    assert (source.path / "pyproject.toml").is_file()
    files = {str(f.relative_to(source.path)) for f in source.files()}
    assert "harness/execution/interpreters.py" in files and "impls/protocol.py" in files
    assert not any(f.startswith(("tests/", ".venv/", "reports/", ".git/")) for f in files)


# ------------------------------------------------------------------ venvs
def test_the_cache_key_follows_pyproject_and_the_interpreter(project, tmp_path):
    me = find(sys.executable)
    first = venv_dir(me, project, tmp_path)
    assert first == venv_dir(me, project, tmp_path)
    assert first.name.startswith(f"{me.tag}-")
    assert venv_dir(me, project, Path("relative")).is_absolute()      # benches run in their own directory
    (project.path / "pyproject.toml").write_text('[project]\nname = "pkg"\nversion = "1"\n')
    assert venv_dir(me, project, tmp_path) != first
    other = Interpreter("elsewhere", "/opt/elsewhere/bin/python3", me.version)
    assert venv_dir(other, project, tmp_path) != venv_dir(me, project, tmp_path)


def test_the_code_key_follows_the_package_files_but_not_the_tests(project):
    before = project.code_key()
    (project.path / "tests").mkdir()
    (project.path / "tests" / "test_x.py").write_text("x = 1\n")
    assert project.code_key() == before
    (project.path / "pkg" / "__init__.py").write_text("changed = True\n")
    assert project.code_key() != before


def test_a_venv_is_built_for_a_second_interpreter_kept_and_rebuilt_when_pyproject_changes(project, tmp_path):
    other = find(_another_python())
    root = tmp_path / "venvs"
    python = ensure_venv(other, project, root, install=False)
    import subprocess

    said = subprocess.run([str(python), "-c", "import sys, platform; print(platform.python_version(), sys.prefix)"],
                          capture_output=True, text=True, check=True).stdout.split()
    assert said[0] == other.version
    assert Path(said[1]).resolve() == python.parent.parent.resolve()      # the venv's own prefix
    marker = python.parent.parent / "kept"
    marker.write_text("")
    assert ensure_venv(other, project, root, install=False) == python and marker.exists()   # cached
    (project.path / "pyproject.toml").write_text('[project]\nname = "pkg"\nversion = "2"\n')
    rebuilt = ensure_venv(other, project, root, install=False)
    assert rebuilt != python and rebuilt.exists()
    assert not python.parent.parent.exists(), "the venv for the old pyproject.toml is removed"


def test_a_venv_that_fails_to_build_names_the_interpreter(project, tmp_path, monkeypatch):
    me = find(sys.executable)
    broken = Interpreter(sys.executable, sys.executable, me.version)
    # A step that fails: `python -m venv` into a path that is a file.
    root = tmp_path / "venvs"
    root.mkdir()
    venv_dir(broken, project, root).write_text("a file, not a directory")
    monkeypatch.setattr(interpreters, "_remove_stale", lambda *a, **k: None)
    with pytest.raises(InterpreterError, match=r"could not create the venv \(exit status \d+; log: ") as caught:
        ensure_venv(broken, project, root, install=False)
    assert f"({sys.executable})" in str(caught.value) and me.version in str(caught.value)


# ------------------------------------------------------------------ a run across interpreters
def rec(runtime, scenario, status, family="peer", **extra):
    return {"schema": 1, "run_id": "t", "runtime": runtime, "family": family, "scenario": scenario,
            "group": scenario.split(".")[0], "kind": "latency", "status": status, **extra}


def handoff(us):
    return {"handoff_us": {"median": us, "min": us * 0.99, "max": us * 1.01, "spread": 0.02, "n": 5}}


def chain(runtime, seconds):
    """A micro-suite entry for the call_soon chain: 20,000 callbacks a round, rounds within ±2%."""
    return {"name": f"test_workload[callbacks.call_soon_chain-{runtime}]",
            "stats": {"median": seconds, "iqr": seconds * 0.02, "min": seconds * 0.98, "max": seconds * 1.02,
                      "rounds": 5},
            "extra_info": {"runtime": runtime, "workload": "callbacks.call_soon_chain", "ops_per_round": 20_000}}


def write_run(directory, records, benchmark):
    directory.mkdir(parents=True, exist_ok=True)
    for r in records:
        results.append(directory / "results.jsonl", r)
    (directory / "benchmark.json").write_text(json.dumps(benchmark))
    return directory


def _run(directory, asyncio_us, heap_us, asyncio_s, unavailable=None, eager_us=None):
    records = [rec("asyncio", "latency.switch_event", "observed", metrics=handoff(asyncio_us)),
               rec("heap", "latency.switch_event", "observed", "loopbench", metrics=handoff(heap_us))]
    if unavailable:
        records.append(rec("asyncio-eager", "latency.switch_event", "unsupported",
                           reason=f"runtime unavailable: {unavailable}"))
    if eager_us:
        records.append(rec("asyncio-eager", "latency.switch_event", "observed", metrics=handoff(eager_us)))
    records += [rec("trio", "latency.switch_event", "observed", metrics=handoff(heap_us), support="emulated",
                    emulated_ops=["event"]),
                rec("curio", "latency.switch_event", "observed", metrics=handoff(heap_us),
                    **({"support": "emulated", "emulated_ops": ["event"]} if unavailable else {}))]
    return write_run(directory, records, {"benchmarks": [chain("asyncio", asyncio_s)]})


def test_the_comparison_divides_by_the_baseline_and_marks_disjoint_ranges(tmp_path):
    runs = {"py3.11": load_run(_run(tmp_path / "a", 10.0, 4.0, 0.02, unavailable="needs 3.12")),
            "py3.13": load_run(_run(tmp_path / "b", 5.0, 2.0, 0.01, eager_us=4.5))}
    rows = {(r.measure.key, r.runtime): r for r in compare_interpreters(runs)}
    switch = rows[("switch_event", "asyncio")]
    assert switch.sides["py3.11"].sample == Sample(10.0, 9.9, 10.1, 5)
    assert switch.versus["py3.13"].ratio == pytest.approx(0.5)
    assert switch.versus["py3.13"].significant is True and switch.versus["py3.13"].verdict == "better"
    runs["py3.13"] = load_run(_run(tmp_path / "c", 5.0, 4.02, 0.01))
    heap = {(r.measure.key, r.runtime): r for r in compare_interpreters(runs)}[("switch_event", "heap")]
    assert heap.versus["py3.13"].ratio == pytest.approx(1.005)
    assert heap.versus["py3.13"].significant is False                            # 3.96..4.04 and 3.98..4.06
    rate = rows[("workload:callbacks.call_soon_chain", "asyncio")]
    assert rate.sides["py3.11"].sample.value == pytest.approx(20_000 / 0.02)
    assert rate.sides["py3.11"].sample.low == pytest.approx(20_000 / (0.02 * 1.02))
    assert rate.versus["py3.13"].ratio == pytest.approx(2.0)
    assert rate.versus["py3.13"].verdict == "better" and rate.versus["py3.13"].significant
    built = rows[("switch_event", "trio")]                 # the harness's event on both sides
    assert built.sides["py3.11"].status == "emulated" and built.versus["py3.13"].ratio == pytest.approx(0.5)
    mixed = rows[("switch_event", "curio")]                # built on one side only: not comparable
    assert mixed.sides["py3.13"].status == "ok" and mixed.versus == {}
    eager = rows[("switch_event", "asyncio-eager")]
    assert (eager.sides["py3.11"].status, eager.sides["py3.11"].note) == ("unavailable", "needs 3.12")
    assert eager.sides["py3.13"].sample.value == 4.5 and eager.versus == {}     # nothing to divide by
    assert switch.baseline == "py3.11" and eager.baseline == "py3.13"


def test_the_significance_test_can_be_replaced(tmp_path):
    runs = {"a": load_run(_run(tmp_path / "a", 10.0, 4.0, 0.02)), "b": load_run(_run(tmp_path / "b", 10.5, 4.0, 0.02))}
    asked = []

    def never(a, b):
        asked.append((a.value, b.value))
        return None

    rows = compare_interpreters(runs, test=never)
    assert (10.0, 10.5) in asked
    assert all(v.significant is None for r in rows for v in r.versus.values())


def test_ranges_disjoint_needs_both_ranges():
    assert ranges_disjoint(Sample(1, 0.9, 1.1), Sample(2, 1.8, 2.2)) is True
    assert ranges_disjoint(Sample(1, 0.9, 1.1), Sample(1.05, 1.0, 1.2)) is False
    assert ranges_disjoint(Sample(1), Sample(2, 1.8, 2.2)) is None


def test_one_report_names_every_interpreter_and_the_failed_one_says_why(tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    console = Console(file=open(tmp_path / "console.txt", "w"), width=120)
    made = {"py3.11.7": (10.0, 4.0, 0.02, "needs 3.12"), "py3.12.1": (8.0, 4.0, 0.01, None, 6.0),
            "py3.13.0": (5.0, 4.0, 0.01, None, 3.0)}

    def prepare_one(spec, log):
        if spec == "python3.10":
            raise InterpreterError("Python interpreter 'python3.10' is Python 3.10.13; loopbench needs 3.11")
        return Interpreter(spec, spec, spec.removeprefix("py")), spec

    def measure(interpreter, python, out_dir, quick, console):
        _run(out_dir, *made[interpreter.spec])

    outcomes = bench_all(["py3.11.7", "python3.10", "py3.12.1", "py3.13.0"], True, run_dir, console,
                         measure=measure, prepare_one=prepare_one)
    assert [o.error is None for o in outcomes] == [True, False, True, True]
    write_manifest(run_dir, "quick", [{"spec": o.spec, "tag": o.tag, "label": o.interpreter and o.interpreter.label,
                                       "error": o.error} for o in outcomes])
    monkeypatch.delenv("LOOPBENCH_PROFILE", raising=False)
    written = render_across(run_dir)
    text = written["md"].read_text()
    assert "### call_soon chain (N=20,000): callbacks/s (higher is better)" in text    # the N the run recorded
    assert "LOOPBENCH_PROFILE" not in os.environ
    assert "| CPython 3.11.7 |" in text and "| CPython 3.13.0 |" in text
    assert "**not measured**: Python interpreter 'python3.10' is Python 3.10.13" in text
    assert "### hand-off between two tasks via events (µs, lower is better)" in text
    assert "| asyncio | 10 (9.9–10.1) | 8 (7.92–8.08) · **0.80× better ✱** | 5 (4.95–5.05) · **0.50× better ✱** |" in text
    assert "| asyncio-eager (against CPython 3.12.1) | unavailable | 6 (5.94–6.06) | 3 (2.97–3.03) · **0.50× better ✱** |" in text
    assert "| CPython 3.11.7 | `py3.11.7` | – | – | asyncio-eager: needs 3.12 |" in text      # the reason, once
    assert json.loads((run_dir / "interpreters.json").read_text())["profile"] == "quick"
    page = written["html"].read_text()
    assert '<td class="name">asyncio</td>' in page and "<b>0.50× better ✱</b>" in page
    assert "<h4>The asyncio family</h4>" in page     # each interpreter's own summary, from the same section


def test_a_bench_that_fails_is_named_with_its_log(tmp_path, monkeypatch):
    """run_bench runs ``PYTHON -m harness bench --out DIR`` in DIR; a relative PYTHON still runs."""
    fake = tmp_path / "bin" / "python3"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "asked: $*"\necho "in: $PWD"\nexit 4\n')
    fake.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    console = Console(file=open(tmp_path / "console.txt", "w"), width=200)
    me = Interpreter("python3.99", "/nowhere/python3.99", "3.99.0")
    out = tmp_path / "run" / "py3.99.0"
    with pytest.raises(InterpreterError, match=r"CPython 3\.99\.0 \(python3\.99\): loopbench bench failed "
                                               r"\(exit status 4; log: .*bench\.log\)"):
        interpreters.run_bench(me, "bin/python3", out, True, console, options=("--precision", "3"))
    log = (out / "bench.log").read_text().splitlines()
    assert log == [f"asked: -m harness bench --out {out.resolve()} --quick --precision 3", f"in: {out.resolve()}"]
    assert "py3.99.0 | asked: -m harness bench" in (tmp_path / "console.txt").read_text()


def test_two_interpreters_of_one_version_get_their_own_directories(tmp_path):
    console = Console(file=open(tmp_path / "console.txt", "w"))
    seen = []
    outcomes = bench_all(["a", "b"], True, tmp_path, console,
                         measure=lambda i, p, out, q, c: seen.append(out.name),
                         prepare_one=lambda spec, log: (Interpreter(spec, spec, "3.12.1"), spec))
    assert seen == ["py3.12.1", "py3.12.1-2"] == [o.tag for o in outcomes]


# ------------------------------------------------------------------ asyncio-eager
def test_asyncio_eager_is_unavailable_before_3_12_with_the_reason():
    from harness import runtimes
    from harness.runtimes.interface import Unavailable

    if sys.version_info >= (3, 12):
        rt = runtimes.create("asyncio-eager")
        seen = []

        async def child():
            seen.append("child")

        async def main():
            ref = rt.spawn(child)
            seen.append("after spawn")
            await rt.join(ref)

        rt.run(main)
        assert seen == ["child", "after spawn"]          # the task ran inside create_task
    else:
        with pytest.raises(Unavailable, match=r"asyncio\.eager_task_factory is new in Python 3\.12"):
            runtimes.create("asyncio-eager")


def test_asyncio_eager_runs_the_task_inside_spawn_on_a_newer_interpreter(tmp_path):
    """On 3.12+ (another interpreter, with this checkout on its path: the runtime needs only the stdlib)."""
    import subprocess

    newer = next((p for minor in (13, 12) for p in _pythons(minor)), None)
    if newer is None:
        pytest.skip("no Python 3.12+ here (pyenv nor python3.12/3.13 on PATH)")
    program = ("from harness.runtimes.asyncio_rt import AsyncioEagerRuntime, AsyncioRuntime\n"
               "for rt in (AsyncioEagerRuntime(), AsyncioRuntime()):\n"
               "    seen = []\n"
               "    async def child(): seen.append('child')\n"
               "    async def main():\n"
               "        ref = rt.spawn(child); seen.append('after spawn'); await rt.join(ref)\n"
               "    rt.run(main); print(rt.name, seen)\n")
    root = Path(interpreters.__file__).resolve().parents[2]
    out = subprocess.run([newer, "-c", program], capture_output=True, text=True, cwd=root, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["asyncio-eager ['child', 'after spawn']", "asyncio ['after spawn', 'child']"]


# ------------------------------------------------------------------ the command line
def test_bench_takes_python_repeatedly_and_hands_over(monkeypatch, tmp_path):
    from harness.execution import runner
    from harness.cli.main import build_parser, main

    assert build_parser().parse_args(["bench", "--quick"]).python is None
    handed = []
    monkeypatch.setattr(interpreters, "bench_interpreters",
                        lambda specs, quick, out, console, resume=False, options=(): handed.append(
                            (specs, quick, out, options)) or 7)
    monkeypatch.setattr(runner, "run_matrix", lambda *a, **k: pytest.fail("measured here instead of handing over"))
    monkeypatch.setattr(interpreters, "find", lambda spec: Interpreter(spec, spec, "3.12.0"))   # they exist
    out = tmp_path / "x"
    assert main(["bench", "--quick", "--python", "python3.12", "--python", "/opt/py/bin/python3",
                 "--out", str(out)]) == 7
    assert handed[0][:3] == (["python3.12", "/opt/py/bin/python3"], True, str(out.absolute()))
    assert handed[0][3] == ("--precision", "5")           # each interpreter's bench gets the options
    assert main(["bench", "--rigorous", "--precision", "3", "--budget", "60", "--python", "python3.12",
                 "--out", str(out)]) == 7
    assert handed[1][3] == ("--rigorous", "--precision", "3", "--budget", "60")


def test_a_library_that_fails_to_import_here_makes_its_runtime_unavailable(monkeypatch):
    """curio 1.6 raises AttributeError at import on Python 3.12+: unavailable there, with the reason."""
    import importlib

    from harness import runtimes
    from harness.runtimes.interface import Unavailable

    real = importlib.import_module

    def import_module(name, *args):
        if name == "harness.runtimes.broken_rt":
            raise AttributeError("module 'multiprocessing.connection' has no attribute 'CHALLENGE'")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", import_module)
    monkeypatch.setitem(runtimes.PEERS, "test-broken", "broken_rt:Broken")
    with pytest.raises(Unavailable, match=r"cannot import the adapter broken_rt on Python 3\.\d+\.\d+: "
                                          r"AttributeError: .*CHALLENGE"):
        runtimes.create("test-broken")


def test_a_run_on_a_busy_machine_is_called_out(tmp_path):
    run_dir = tmp_path / "run"
    for tag in ("py3.11.7", "py3.13.0"):
        _run(run_dir / tag, 10.0, 4.0, 0.02)
        (run_dir / tag / "environment.json").write_text(json.dumps({"cpu_count": 2, "loadavg": [0.5, 0.5, 0.5]}))
    entries = [{"spec": "a", "tag": "py3.11.7", "label": "CPython 3.11.7", "error": None, "load": [1.0, 1.5]},
               {"spec": "b", "tag": "py3.13.0", "label": "CPython 3.13.0", "error": None, "load": [1.2, 3.5]}]
    write_manifest(run_dir, "quick", entries)
    text = render_across(run_dir)["md"].read_text()
    assert "| CPython 3.11.7 | `a` | – | 1.0 → 1.5 on 2 CPUs |" in text
    assert "> **Busy machine:** the 1-minute load average exceeded the CPU count during CPython 3.13.0." in text
    entries[1]["load"] = [1.2, 1.9]
    write_manifest(run_dir, "quick", entries)
    assert "Busy machine" not in render_across(run_dir)["md"].read_text()


def test_a_hanging_interpreter_wrapper_is_killed_with_everything_it_started(tmp_path, monkeypatch):
    """A ``--python`` wrapper script that hangs: at the probe's limit its child goes too."""
    import signal
    import time

    pid_file = tmp_path / "child.pid"
    wrapper = tmp_path / "python-wrapper"
    wrapper.write_text(f"#!/bin/sh\n{sys.executable} -c 'import time; time.sleep(600)' &\n"
                       f"echo $! > {pid_file}\nwait\n")
    wrapper.chmod(0o755)
    monkeypatch.setattr(interpreters, "PROBE_TIMEOUT", 2)
    with pytest.raises(InterpreterError, match="did not answer"):
        find(str(wrapper))
    child = int(pid_file.read_text())
    for _ in range(100):                          # killed already; allow its parent to reap it
        try:
            os.kill(child, 0)
            with open(f"/proc/{child}/stat") as fh:
                if fh.read().split(")")[-1].split()[0] == "Z":
                    break
        except (ProcessLookupError, FileNotFoundError):
            break
        time.sleep(0.05)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the wrapper's child outlived the probe")


def test_bench_across_interpreters_points_latest_at_the_combined_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(interpreters, "bench_all", lambda specs, quick, run_dir, console, **how: [])
    import harness.report.interpreters as across

    monkeypatch.setattr(across, "render_across", lambda run_dir: {"md": run_dir / "report.md",
                                                                   "html": run_dir / "report.html"})
    run_dir = (tmp_path / "reports" / "20260101T000000Z").absolute()    # what `loopbench bench` hands over
    console = Console(file=open(tmp_path / "console.txt", "w"))
    interpreters.bench_interpreters(["python3"], True, str(run_dir), console)
    latest = tmp_path / "reports" / "latest"
    assert latest.is_symlink() and latest.resolve() == run_dir.resolve()


def test_bench_refuses_a_missing_interpreter_before_measuring_anything(monkeypatch, tmp_path, capsys):
    from harness.cli.main import main

    monkeypatch.setattr(interpreters, "bench_interpreters", lambda *a: pytest.fail("it went on"))
    assert main(["bench", "--quick", "--python", str(tmp_path / "nowhere" / "python3"), "--out", str(tmp_path / "x")]) == 2
    assert "not found" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()

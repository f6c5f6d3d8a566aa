"""``make bench``: measure every runtime, then write the report.

1. the harness matrix: every behaviour and latency scenario on every runtime, each
   cell in its own subprocess (``harness.execution.runner``), into ``results.jsonl``; except
   the ``workload.*`` scenarios, whose workloads step 2 measures.
   The quick profile (``--quick``) is a smoke run that must finish within a minute:
   its latency cells share the machine like the behaviour cells;
2. the micro-suite (``harness.workloads.microbench``: pytest-benchmark over ``harness.workloads.programs``),
   into ``benchmark.json``;
   then the real workloads (``harness.workloads.realworld``: pyperformance's asyncio
   benchmarks, HTTP servers under wrk), into ``realworld.json``;
3. the report (``harness.report``): report.md, report.html, PNG plots;
4. ``reports/latest`` pointed at the new directory.

With ``--python`` (``pythons``), ``harness.execution.interpreters`` runs all of this once per
interpreter, each in its own venv, and writes one report across them.

A step that fails is reported and the next still runs: a broken benchmark suite
must not cost the harness results, and the report says what is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ..execution import preflight
from ..runtimes import described
from ..stats import samples
from ..execution.profile import ENV_VAR as PROFILE_VAR
from ..workloads.programs import PLANS_VAR
from ..results.rundir import point_latest, utc_stamp

BENCH_TIMEOUT = {"quick": 120, "default": 600, "rigorous": 1800}

#: Runtimes measured a second time under ``python -O``, as "NAME -O", because their
#: library's cost changes with it (a peer says so among its ``variants``): curio asserts
#: ``task not in ready`` (a linear scan of its ready queue) every time it schedules a
#: task, and ``-O`` removes the assert.
OPTIMIZED = tuple(name for name, d in described().items() if f"{name} -O" in d.variants)


def run_benchmarks(out_dir: Path, profile: str, console: Console) -> bool:
    """The micro-suite in ``samples.PROCESSES[profile]`` fresh processes, merged into benchmark.json.

    Each process warms up and times every workload on every runtime, for the rounds the
    first process planned (``harness.workloads.programs.Plans``: a fast runtime gets more rounds, a
    slow one fewer, the same in every process); ``samples.merge`` pools them, with a 95%
    interval.
    The timer stores with up to 1M timers (the virtual-clock rows and the churn against
    armed timers: our loops and floors) run once, in a process of their own before the
    others: a process that has just held a million timers is not like the others (a
    larger, fragmented heap), and must not be the one that times the workloads first.
    Then the ``OPTIMIZED`` runtimes' task workloads again under ``python -O``.
    """
    out_dir = Path(out_dir).absolute()            # the suite runs with out_dir as its working directory
    stores = "virtual_clock or churn_with_armed"
    ok = _micro_suite(out_dir, "benchmark-stores.json", profile, console, select=stores, label="timer stores")
    documents = _take(out_dir / "benchmark-stores.json")
    done, merged = _in_processes(out_dir, profile, console, select=f"not ({stores})")
    ok = done and ok
    merged["benchmarks"] = samples.merge(documents).get("benchmarks", []) + merged.get("benchmarks", [])
    for name in OPTIMIZED:
        done, extra = _in_processes(out_dir, profile, console, python_flags=("-O",), select=f"{name} and tasks")
        ok = done and ok
        for entry in extra.get("benchmarks", []):
            info = entry.setdefault("extra_info", {})
            if info.get("runtime") == name:
                info.update(runtime=f"{name} -O", python_flags=["-O"])
                entry["name"] = entry.get("name", "").replace(f"[{name}-", f"[{name} -O-")
                merged["benchmarks"].append(entry)
    (out_dir / "benchmark.json").write_text(json.dumps(merged, indent=2))
    shutil.rmtree(out_dir / ".benchmarks", ignore_errors=True)     # pytest-benchmark's own store, unused
    return ok


def _in_processes(out_dir: Path, profile: str, console: Console, *, python_flags: tuple[str, ...] = (),
                  select: str | None = None) -> tuple[bool, dict]:
    """Run the micro-suite (or the tests ``-k select``) in fresh processes; their merged document."""
    processes = samples.PROCESSES[profile]
    plans = out_dir / f"plans{'-O' if python_flags else ''}.json"
    ok, documents = True, []
    try:
        for i in range(processes):
            name = f"benchmark-{'O-' if python_flags else ''}p{i + 1}.json"
            ok = _micro_suite(out_dir, name, profile, console, python_flags=python_flags,
                              select=select, plans=plans, label=f"{i + 1}/{processes}") and ok
            documents.extend(_take(out_dir / name))
    finally:
        plans.unlink(missing_ok=True)
    return ok, samples.merge(documents)


def _take(path: Path) -> list[dict]:
    """A process's JSON document, read and removed (a process that died left none)."""
    if not path.exists():
        return []
    try:
        return [json.loads(path.read_text())]
    except json.JSONDecodeError:
        return []
    finally:
        path.unlink()


def _micro_suite(out_dir: Path, json_name: str, profile: str, console: Console, *,
                 python_flags: tuple[str, ...] = (), select: str | None = None, plans: Path | None = None,
                 label: str = "") -> bool:
    """Run ``harness.workloads.microbench`` (all of it, or the tests ``-k select``) into ``out_dir/json_name``."""
    # Only pytest-benchmark is loaded (not every installed plugin: hypothesis alone costs
    # a second per process, and a run starts eleven), and no project's configuration (a
    # run directory inside a checkout would pick up its pyproject.toml).
    cmd = [sys.executable, *python_flags, "-m", "pytest", "--pyargs", "harness.workloads.microbench",
           "-c", os.devnull, "-o", "addopts=",
           "-p", "no:cacheprovider", "-p", "pytest_benchmark.plugin", "--rootdir", str(out_dir),
           "-q", "--benchmark-json", str(out_dir / json_name), "--benchmark-columns=median,iqr,rounds",
           "--benchmark-sort=name", "--benchmark-save-data", *(["-k", select] if select else [])]
    env = dict(os.environ, **{PROFILE_VAR: profile, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    if plans is not None:
        env[PLANS_VAR] = str(plans)
    log = out_dir / (Path(json_name).stem + ".log")
    try:
        proc = subprocess.run(cmd, cwd=out_dir, env=env, timeout=BENCH_TIMEOUT[profile], text=True,
                              capture_output=True)
    except subprocess.TimeoutExpired:
        Console(stderr=True).print(f"loopbench: warning: micro-benchmarks timed out after {BENCH_TIMEOUT[profile]} s",
                                   markup=False, highlight=False, soft_wrap=True)
        return False
    log.write_text(proc.stdout + proc.stderr)
    tail = [line for line in proc.stdout.splitlines() if " passed" in line or " failed" in line or "error" in line]
    console.print(f"  micro-benchmarks{' ' + label if label else ''}{' ' + ' '.join(python_flags) if python_flags else ''}"
                  f"{' -k ' + select if select else ''}: {tail[-1] if tail else 'no summary'} (log: {log.name})")
    return proc.returncode == 0


def _record_preflight(out_dir: Path, machine: "preflight.Reading") -> None:
    """Add the pre-flight reading to the run's environment.json."""
    path = out_dir / "environment.json"
    try:
        env = json.loads(path.read_text()) if path.exists() else {}
    except json.JSONDecodeError:
        env = {}
    env["preflight"] = machine.as_dict()
    path.write_text(json.dumps(env, indent=2))


def bench(quick: bool, out: str | None, console: Console, rigorous: bool = False,
          pythons: list[str] | None = None, resume: bool = False) -> int:
    """``resume``: continue the bench in ``out`` (its finished cells kept, a finished
    micro-suite too), as ``run --resume`` does."""
    if pythons:
        from ..execution.interpreters import bench_interpreters

        return bench_interpreters(pythons, quick, out, console, resume=resume)
    from .. import runtimes as runtime_registry
    from .progress import progress_callbacks, summarize
    from ..report.render import render
    from ..execution.runner import run_matrix
    from ..scenarios.registry import select

    profile = "quick" if quick else "rigorous" if rigorous else "default"
    os.environ[PROFILE_VAR] = profile
    out_dir = (Path(out) if out else Path("reports") / utc_stamp()).absolute()
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    console.print(f"[bold]loopbench bench[/] ({profile} profile) -> {out_dir}")

    machine = preflight.read(steady_s=preflight.STEADY_S)
    errors = Console(stderr=True)                        # warnings go to stderr
    for warning in machine.warnings:
        errors.print(f"loopbench: warning: pre-flight: {warning}", markup=False, highlight=False, soft_wrap=True)

    console.print("[bold]1/3[/] behaviour and latency scenarios on every runtime")
    with progress_callbacks(console) as (on_start, on_result):
        scenarios = [s for s in select(quick=quick) if s.in_bench]   # the rest: step 2 measures them
        path = run_matrix(runtime_registry.names(), scenarios, out_dir, resume=resume,
                          repeat=3 if quick else None, timed_alone=not quick,
                          on_start=on_start, on_result=on_result)
    summarize(path, console)
    _record_preflight(out_dir, machine)

    console.print("[bold]2/3[/] pytest-benchmark micro-benchmarks")
    if resume and (out_dir / "benchmark.json").exists():
        console.print("  kept: benchmark.json (the micro-suite finished before the bench was interrupted)")
        bench_ok = True
    else:
        bench_ok = run_benchmarks(out_dir, profile, console)
    if (out_dir / "benchmark.json").exists():
        from ..results.export import FILENAME, write_pyperf
        try:
            write_pyperf(out_dir / "benchmark.json", out_dir / FILENAME)
        except Exception as exc:          # the export must not cost the run its report
            bench_ok = False
            errors.print(f"loopbench: warning: pyperf export failed: {exc}", markup=False, highlight=False,
                         soft_wrap=True)

    console.print("[bold]2/3[/] real workloads: pyperformance's asyncio benchmarks, HTTP servers under wrk")
    try:
        from ..workloads.realworld import run as run_realworld
        run_realworld(out_dir, "quick" if quick else "default",
                      log=lambda line: console.print(line, markup=False, soft_wrap=True))
    except Exception as exc:          # the real workloads must not cost the run its report
        bench_ok = False
        console.print(f"[yellow]real workloads failed: {escape(str(exc))}[/]")

    console.print("[bold]3/3[/] report")
    written = render(out_dir)
    if out is None or out_dir.parent == Path("reports").absolute():
        point_latest(out_dir)
    console.print(f"report: {written['md']}\n        {written['html']}")
    console.print(f"done in {time.perf_counter() - started:.0f} s"
                  + ("" if bench_ok else " [yellow](micro-benchmarks incomplete: see benchmark-*.log)[/]"))
    return 0 if bench_ok else 1

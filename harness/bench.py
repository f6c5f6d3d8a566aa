"""``make bench``: measure every runtime, then write the report.

1. the harness matrix: every behaviour and latency scenario on every runtime, each
   cell in its own subprocess (``harness.runner``), into ``results.jsonl``; except
   the ``workload.*`` scenarios, whose workloads step 2 measures.
   The quick profile (``--quick``) is a smoke run that must finish within a minute:
   its latency cells run two at a time like the behaviour cells;
2. the micro-suite (``harness.microbench``: pytest-benchmark over ``harness.workloads``),
   into ``benchmark.json``;
3. the report (``harness.report``): report.md, report.html, PNG plots;
4. ``reports/latest`` pointed at the new directory.

A step that fails is reported and the next still runs: a broken benchmark suite
must not cost the harness results, and the report says what is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from .runner import utc_stamp

BENCH_TIMEOUT = {"quick": 120, "default": 600}

#: Runtimes measured a second time under ``python -O``, as "NAME -O", because their
#: library's cost changes with it: curio asserts ``task not in ready`` (a linear scan of
#: its ready queue) every time it schedules a task, and ``-O`` removes the assert.
OPTIMIZED = ("curio",)


def run_benchmarks(out_dir: Path, profile: str, console: Console) -> bool:
    ok = _micro_suite(out_dir, "benchmark.json", profile, console)
    for name in OPTIMIZED:
        ok = _optimized_pass(out_dir, name, profile, console) and ok
    return ok


def _micro_suite(out_dir: Path, json_name: str, profile: str, console: Console, *,
                 python_flags: tuple[str, ...] = (), select: str | None = None) -> bool:
    """Run ``harness.microbench`` (all of it, or the tests ``-k select``) into ``out_dir/json_name``."""
    cmd = [sys.executable, *python_flags, "-m", "pytest", "--pyargs", "harness.microbench", "-o", "addopts=",
           "-p", "no:cacheprovider", "--rootdir", str(out_dir),
           "-q", "--benchmark-json", str(out_dir / json_name), "--benchmark-columns=median,iqr,rounds",
           "--benchmark-sort=name", *(["-k", select] if select else [])]
    env = dict(os.environ, LOOPBENCH_PROFILE=profile)
    log = out_dir / (Path(json_name).stem + ".log")
    try:
        proc = subprocess.run(cmd, cwd=out_dir, env=env, timeout=BENCH_TIMEOUT[profile], text=True,
                              capture_output=True)
    except subprocess.TimeoutExpired:
        console.print(f"[bold red]micro-benchmarks timed out after {BENCH_TIMEOUT[profile]} s[/]")
        return False
    log.write_text(proc.stdout + proc.stderr)
    tail = [line for line in proc.stdout.splitlines() if " passed" in line or " failed" in line or "error" in line]
    console.print(f"  micro-benchmarks{' ' + ' '.join(python_flags) if python_flags else ''}"
                  f"{' -k ' + select if select else ''}: {tail[-1] if tail else 'no summary'} (log: {log.name})")
    return proc.returncode == 0


def _optimized_pass(out_dir: Path, name: str, profile: str, console: Console) -> bool:
    """``name``'s workloads again under ``python -O``, added to benchmark.json as runtime "NAME -O"."""
    json_name = f"benchmark-{name}-O.json"
    ok = _micro_suite(out_dir, json_name, profile, console, python_flags=("-O",), select=name)
    main_path, extra_path = out_dir / "benchmark.json", out_dir / json_name
    if not (main_path.exists() and extra_path.exists()):
        return False
    merged, extra = json.loads(main_path.read_text()), json.loads(extra_path.read_text())
    for entry in extra.get("benchmarks", []):
        info = entry.setdefault("extra_info", {})
        if info.get("runtime") != name:
            continue
        info["runtime"] = f"{name} -O"
        info["python_flags"] = ["-O"]
        entry["name"] = entry.get("name", "").replace(f"[{name}-", f"[{name} -O-")
        merged.setdefault("benchmarks", []).append(entry)
    main_path.write_text(json.dumps(merged, indent=2))
    extra_path.unlink()
    return ok


def point_latest(out_dir: Path) -> None:
    latest = out_dir.parent / "latest"
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(out_dir.name, target_is_directory=True)


def bench(quick: bool, out: str | None, console: Console) -> int:
    from . import runtimes as runtime_registry
    from .__main__ import summarize
    from .report.render import render
    from .runner import run_matrix
    from .scenario import select

    profile = "quick" if quick else "default"
    os.environ["LOOPBENCH_PROFILE"] = profile
    out_dir = Path(out) if out else Path("reports") / utc_stamp()
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    console.print(f"[bold]loopbench bench[/] ({profile} profile) -> {out_dir}")

    console.print("[bold]1/3[/] behaviour and latency scenarios on every runtime")
    from .__main__ import progress_callbacks
    with progress_callbacks(console) as (on_start, on_result):
        scenarios = [s for s in select(quick=quick) if s.in_bench]   # the rest: step 2 measures them
        path = run_matrix(runtime_registry.names(), scenarios, out_dir,
                          repeat=3 if quick else None, timed_alone=not quick,
                          on_start=on_start, on_result=on_result)
    summarize(path, console)

    console.print("[bold]2/3[/] pytest-benchmark micro-benchmarks")
    bench_ok = run_benchmarks(out_dir, profile, console)

    console.print("[bold]3/3[/] report")
    written = render(out_dir)
    if out is None:
        point_latest(out_dir)
    console.print(f"report: {written['md']}\n        {written['html']}")
    console.print(f"done in {time.perf_counter() - started:.0f} s"
                  + ("" if bench_ok else " [yellow](micro-benchmarks incomplete: see benchmark.log)[/]"))
    return 0

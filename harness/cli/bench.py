"""``make bench``: measure every runtime, then write the report.

1. the harness matrix: every behaviour and latency scenario on every runtime, each
   cell in its own subprocess (``harness.execution.runner``), into ``results.jsonl``; except
   the ``workload.*`` scenarios, whose workloads step 3 measures.
   The quick profile (``--quick``) is a smoke run that must finish within a minute:
   its latency cells share the machine like the behaviour cells;
2. the real workloads (``harness.workloads.realworld``: HTTP servers under wrk; the
   rigorous profile adds pyperformance's asyncio benchmarks), into ``realworld.json``;
3. the micro-suite (``harness.workloads.microbench``: pytest-benchmark over
   ``harness.workloads.programs``), into ``benchmark.json``, in paired rounds until every
   ratio to asyncio is as precise as asked (``--precision``) or its time ends: ``--budget``
   seconds, by default what the steps before it left of the bench's ``TARGET_S`` (300 s
   on a machine the bench has to itself, up to 560 s on a shared one), so a
   busy machine gets a shorter, less precise micro-suite and says so, rather than a
   bench that runs on;
4. the report (``harness.report``): report.md, report.html, PNG plots;
5. ``reports/latest`` pointed at the new directory.

With ``--python`` (``pythons``), ``harness.execution.interpreters`` runs all of this once per
interpreter, each in its own venv, and writes one report across them.

A step that fails is reported and the next still runs: a broken benchmark suite
must not cost the harness results, and the report says what is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ..execution import preflight
from ..runtimes import described
from ..stats import paired, samples
from ..execution.profile import ENV_VAR as PROFILE_VAR
from ..workloads.programs import CELLS_VAR, PLANS_VAR, REFERENCE, ROUND_VAR, SKIPS_VAR
from ..results.rundir import point_latest, utc_stamp

BENCH_TIMEOUT = {"quick": 120, "default": 600, "rigorous": 1800}

#: The 95% half-width every throughput ratio to asyncio should reach (``--precision``).
PRECISION = 0.05
#: How long the whole bench may take (seconds), per profile, as (on a machine the bench has
#: to itself, on a machine others share): the micro-suite's rounds get what the matrix and
#: the real workloads left of it, less ``REPORT_S`` for the report, and at most
#: ``BUDGET_S`` (at least their least rounds). None: ``BUDGET_S`` alone. Which of the two,
#: the pre-flight probe says (``target_s``).
TARGET_S = {"quick": None, "default": (300.0, 560.0), "rigorous": None}
#: The pre-flight probe's CPU share (the CPU time its busy work got, over the wall time it
#: took) at and below which the machine counts as shared: 0.60 with two busy loops on two
#: cores, 1.00 alone.
SHARED_AT = 0.6
#: Seconds kept for writing the report (plots included) on a busy machine.
REPORT_S = 30.0
#: Seconds the micro-suite may take in all where there is no ``TARGET_S`` (``--budget``
#: sets it outright): rounds are added until every ratio reaches ``PRECISION`` or the
#: next would overrun it. The quick profile is a smoke run: its least rounds only.
BUDGET_S = {"quick": 0.0, "default": 300.0, "rigorous": 1800.0}
#: The fewest paired rounds, however long they take: a t interval needs a few.
LEAST_ROUNDS = {"quick": 2, "default": 3, "rigorous": 10}
#: The most rounds a run takes, however imprecise (pyperf's default is 20 processes; the
#: later rounds here measure only the cells still short of the precision asked).
MOST_ROUNDS = {"quick": 2, "default": 30, "rigorous": 60}
#: Seconds a round's process takes before it measures anything (start, imports,
#: collection): the fixed part of a round's cost, when the next one is estimated.
ROUND_START_S = 3.0
#: Rounds after the first that run at once, each in its own process: one per core, at most
#: four. They are timed on CPU time, each process's own, so a round beside another on the
#: other core measures what it measures alone: on the 2-core VM, eight rounds two at a time
#: took 60-64 s against 126 s one at a time, for the same precision (median half-width
#: ±4.7% and ±5.6% against ±5.5% and ±5.7%) and the same ratios (median 1.007 of those
#: taken one at a time). The first round runs alone: it plans the duets every round repeats.
ROUNDS_AT_ONCE = max(1, min(4, os.cpu_count() or 1))
#: The micro-suite's timer: the worker's CPU time (all its threads). The workloads that
#: wait on real deadlines are compared on the wall time each round also records.
TIMER = "time.process_time"

#: Runtimes measured a second time under ``python -O``, as "NAME -O", because their
#: library's cost changes with it (a peer says so among its ``variants``): curio asserts
#: ``task not in ready`` (a linear scan of its ready queue) every time it schedules a
#: task, and ``-O`` removes the assert.
OPTIMIZED = tuple(name for name, d in described().items() if f"{name} -O" in d.variants)


def target_s(profile: str, cpu_share: float | None) -> float | None:
    """The bench's ``TARGET_S`` on a machine whose pre-flight probe got ``cpu_share``: the
    quiet figure at a share of 1, the shared one at ``SHARED_AT`` and below, in proportion
    between (a share the probe could not measure: the shared one). The same work takes
    longer where others take the cores (the matrix waits longer, each round gets less of a
    core), so a busy machine is given the time that buys the same precision, and a quiet
    one does not idle through it."""
    span = TARGET_S[profile]
    if span is None:
        return None
    quiet, shared = span
    if cpu_share is None:
        return shared
    taken = min(1.0, max(0.0, (1.0 - cpu_share) / (1.0 - SHARED_AT)))
    return quiet + taken * (shared - quiet)


def run_benchmarks(out_dir: Path, profile: str, console: Console, *, precision: float = PRECISION,
                   budget_s: float | None = None) -> bool:
    """The micro-suite in paired rounds, merged into benchmark.json, within ``budget_s`` seconds
    (default: the profile's ``BUDGET_S``).

    First the timer stores with up to 100k-1M timers (the virtual-clock rows and the churn
    against armed timers: our loops and floors), once, in a process of their own: a process
    that has just held a million timers is not like the others (a larger, fragmented heap)
    and must not be the one that times the workloads first. Then the ``OPTIMIZED``
    runtimes' task workloads again under ``python -O`` (their least rounds: processes of
    their own, without asyncio, so not paired).

    Then the rounds. A round is one fresh process that warms up and times every workload on
    every runtime, in an order shuffled by the round, for the duets the first process
    planned (``harness.workloads.programs.Plans``, the same in every process). At least
    ``LEAST_ROUNDS[profile]``; then more, ``ROUNDS_AT_ONCE`` at a time, until every ratio to
    asyncio has a 95% half-width within ``precision`` (``harness.stats.paired``), or the
    next rounds would end past the budget, or ``MOST_ROUNDS``. ``samples.merge`` pools them; the
    document's ``precision`` says what was asked, reached, and why the rounds stopped.
    Skipped cells (unsupported, too slow) are kept with their reasons in ``skipped``.
    """
    started = time.perf_counter()
    budget_s = BUDGET_S[profile] if budget_s is None else budget_s
    out_dir = Path(out_dir).absolute()            # the suite runs with out_dir as its working directory
    skips = out_dir / "benchmark-skipped.jsonl"
    skips.unlink(missing_ok=True)
    stores = "virtual_clock or churn_with_armed"
    # The timer stores' process runs beside the -O rounds (each on a core of its own, timed
    # on its own CPU time), when there is a second core.
    with ThreadPoolExecutor(max_workers=2 if ROUNDS_AT_ONCE > 1 else 1) as pool:
        stored = pool.submit(_micro_suite, out_dir, "benchmark-stores.json", profile, console, select=stores,
                             label="timer stores")
        optimized_rounds = [(name, pool.submit(_in_rounds, out_dir, profile, console, python_flags=("-O",),
                                               select=f"{name} and tasks", at_once=1))
                            for name in OPTIMIZED]
        ok = stored.result()
        optimized_rounds = [(name, future.result()) for name, future in optimized_rounds]
    documents = _take(out_dir / "benchmark-stores.json")
    optimized = []
    for name, (done, extra, _) in optimized_rounds:
        ok = done and ok
        for entry in extra.get("benchmarks", []):
            info = entry.setdefault("extra_info", {})
            if info.get("runtime") == name:
                # Its rounds ran in processes of their own, without asyncio: not paired.
                info.pop("round_medians", None)
                info.pop("relative_medians", None)
                info.update(runtime=f"{name} -O", python_flags=["-O"])
                entry["name"] = entry.get("name", "").replace(f"[{name}-", f"[{name} -O-")
                optimized.append(entry)
    done, merged, reached = _in_rounds(out_dir, profile, console, select=f"not ({stores})",
                                       precision=precision,
                                       budget_s=max(0.0, budget_s - (time.perf_counter() - started)))
    ok = done and ok
    merged["benchmarks"] = (samples.merge(documents).get("benchmarks", []) + merged.get("benchmarks", [])
                            + optimized)
    reached["budget_s"] = budget_s
    merged["precision"] = reached
    merged["skipped"] = _skipped(skips)
    (out_dir / "benchmark.json").write_text(json.dumps(merged, indent=2))
    shutil.rmtree(out_dir / ".benchmarks", ignore_errors=True)     # pytest-benchmark's own store, unused
    return ok


def _skipped(path: Path) -> list[dict]:
    """The micro-suite's skipped cells, one per (workload, runtime), with the reason."""
    seen: dict[tuple[str, str], dict] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                skip = json.loads(line)
            except json.JSONDecodeError:
                continue
            seen.setdefault((skip.get("workload"), skip.get("runtime")), skip)
        path.unlink()
    return list(seen.values())


def _in_rounds(out_dir: Path, profile: str, console: Console, *, python_flags: tuple[str, ...] = (),
               select: str | None = None, precision: float | None = None,
               budget_s: float = 0.0, at_once: int | None = None) -> tuple[bool, dict, dict]:
    """Run the micro-suite (or the tests ``-k select``) in rounds of fresh processes: the
    least, then (with ``precision``) more, each measuring only the cells whose ratio to
    asyncio (compared on CPU time) is still wider than ``precision``, until none is, or
    the next rounds would end past ``budget_s`` seconds from the first (their cost
    estimated from the last ones', per cell), or ``MOST_ROUNDS``. The first round runs
    alone (it plans the duets); the later ones ``at_once`` at a time (default
    ``ROUNDS_AT_ONCE``), each in its own process. Returns (all ok, the merged document,
    what precision was reached).

    A cell that reached the target stops there, so the rounds get cheaper as cells settle
    and the noisy cells get the rounds. Each remaining cell still runs in duets with
    asyncio, so every round it takes is paired. The rows compared on wall time (timers that
    wait for real deadlines) are measured with the rest but do not decide when to stop: on
    a shared machine their spread is the machine's, which rounds narrow slowly; the report
    shows the precision each of them reached."""
    least = LEAST_ROUNDS[profile]
    most = max(least, MOST_ROUNDS[profile])
    at_once = ROUNDS_AT_ONCE if at_once is None else at_once
    plans = out_dir / f"plans{'-O' if python_flags else ''}.json"
    ok, documents = True, []
    pending: list[tuple[str, str]] | None = None                  # None: every cell
    started = time.perf_counter()
    stopped = "the least rounds"

    def one_round(i: int) -> tuple[bool, list[dict]]:
        name = f"benchmark-{'O-' if python_flags else ''}p{i + 1}.json"
        done = _micro_suite(out_dir, name, profile, console, python_flags=python_flags, select=select,
                            plans=plans, label=f"round {i + 1}", round_=i, cells=pending)
        return done, _take(out_dir / name)

    try:
        i = 0
        while i < most:
            batch = range(i, i + (1 if i == 0 else min(at_once, most - i)))
            begun = time.perf_counter()
            if len(batch) == 1:
                finished = [one_round(i)]
            else:
                with ThreadPoolExecutor(max_workers=len(batch)) as pool:
                    finished = list(pool.map(one_round, batch))
            took = time.perf_counter() - begun
            i += len(batch)
            measured = max(sum(1 for d in document for e in d.get("benchmarks", [])
                               if (e.get("extra_info") or {}).get("workload")) for _, document in finished)
            for done, document in finished:
                ok = done and ok
                documents.extend(document)
            if i < least:
                continue
            if precision is None:
                stopped = "the least rounds"
                break
            every = paired.paired_ratios(samples.merge(documents), REFERENCE)
            ratios = _on_cpu_time(every)
            if not any(ratio.halfwidth is None or ratio.halfwidth > precision for ratio in ratios.values()):
                stopped = "precision reached" if ratios else "no ratio to make precise"
                break
            # The wall-time rows go on with the rest (cheap: a thousand timers), but never
            # decide when the rounds stop.
            pending = sorted(cell for cell, ratio in every.items()
                             if ratio.halfwidth is None or ratio.halfwidth > precision)
            spent = time.perf_counter() - started
            # Rounds at once take about as long as one where each has a core.
            per_cell = max(0.0, took - ROUND_START_S) / max(1, measured)
            if spent + ROUND_START_S + per_cell * len(pending) > budget_s:
                stopped = "time budget spent"
                break
            more = min(at_once, most - i)
            if more:
                console.print(f"  {len(pending)} of {len(every)} ratios to {REFERENCE} wider than ±{precision:.0%}: "
                              f"{'one more round' if more == 1 else f'{more} more rounds'} of those "
                              f"({budget_s - spent:.0f} s of the budget left)")
        else:
            stopped = "the most rounds"
    finally:
        plans.unlink(missing_ok=True)
    merged = samples.merge(documents)
    ratios = paired.paired_ratios(merged, REFERENCE)
    widest = paired.widest(_on_cpu_time(ratios))
    halfwidths = sorted(r.halfwidth for r in ratios.values() if r.halfwidth is not None)
    reached = {"target": precision, "budget_s": budget_s, "rounds": len(documents), "stopped": stopped,
               "widest": None if widest is None or widest == float("inf") else widest,
               "median": statistics.median(halfwidths) if halfwidths else None,
               "widest_of": "the ratios compared on CPU time",
               "within": sum(h <= precision for h in halfwidths) if precision is not None else None,
               "ratios": len(ratios),
               "seconds": time.perf_counter() - started, "timer": TIMER,
               "gc": "collected and frozen before each timed round; enabled during it",
               "interval": "paired by round, Student's t on the log of the per-round ratios (95%)",
               "stopping": "a ratio stops being measured once its interval is within the target; the later "
                           "rounds measure only the rest (those on wall time go on with them, but do not decide "
                           "when to stop)"}
    return ok, merged, reached


def _on_cpu_time(ratios: dict) -> dict:
    """The ratios of the workloads compared on CPU time (``Workload.clock == "cpu"``)."""
    from ..workloads.programs import WORKLOADS

    return {cell: ratio for cell, ratio in ratios.items()
            if cell[0] not in WORKLOADS or WORKLOADS[cell[0]].clock == "cpu"}


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
                 label: str = "", round_: int = 0, cells: list[tuple[str, str]] | None = None) -> bool:
    """Run ``harness.workloads.microbench`` (all of it, or the tests ``-k select``; of those,
    only the (workload, runtime) ``cells`` if given) into ``out_dir/json_name``."""
    # Only pytest-benchmark is loaded (not every installed plugin: hypothesis alone costs
    # a second per process, and a run starts eleven), and no project's configuration (a
    # run directory inside a checkout would pick up its pyproject.toml).
    cmd = [sys.executable, *python_flags, "-m", "pytest", "--pyargs", "harness.workloads.microbench",
           "-c", os.devnull, "-o", "addopts=",
           "-p", "no:cacheprovider", "-p", "pytest_benchmark.plugin", "--rootdir", str(out_dir),
           "-q", "--benchmark-json", str(out_dir / json_name), "--benchmark-columns=median,iqr,rounds",
           f"--benchmark-timer={TIMER}",
           "--benchmark-sort=name", "--benchmark-save-data", *(["-k", select] if select else [])]
    env = dict(os.environ, **{PROFILE_VAR: profile, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
                              ROUND_VAR: str(round_), SKIPS_VAR: str(out_dir / "benchmark-skipped.jsonl")})
    if plans is not None:
        env[PLANS_VAR] = str(plans)
    if cells is not None:
        env[CELLS_VAR] = json.dumps([list(cell) for cell in cells])
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


def _precision_reached(out_dir: Path) -> str:
    """One line on the micro-suite's rounds: how many, the widest ratio interval, why they stopped."""
    try:
        precision = json.loads((out_dir / "benchmark.json").read_text()).get("precision") or {}
    except (OSError, json.JSONDecodeError):
        return ""
    if not precision:
        return ""
    widest, median = precision.get("widest"), precision.get("median")
    within = (f", {precision['within']} of {precision['ratios']} within the target"
              if precision.get("within") is not None and precision.get("ratios") else "")
    return (f"  micro-suite: {precision.get('rounds')} paired rounds in {precision.get('seconds', 0):.0f} s, "
            f"95% intervals of the ratios to {REFERENCE}: median "
            f"{'n/a' if median is None else f'±{median:.1%}'}, widest "
            f"{'n/a' if widest is None else f'±{widest:.1%}'}{within} (target ±{(precision.get('target') or 0):.0%}; "
            f"stopped: {precision.get('stopped')})")


def bench(quick: bool, out: str | None, console: Console, rigorous: bool = False,
          pythons: list[str] | None = None, resume: bool = False, precision: float = PRECISION,
          budget_s: float | None = None) -> int:
    """``resume``: continue the bench in ``out`` (its finished cells kept, a finished
    micro-suite too), as ``run --resume`` does; ``precision`` and ``budget_s``: when the
    micro-suite's paired rounds may stop (``run_benchmarks``)."""
    if pythons:
        from ..execution.interpreters import bench_interpreters

        options = ((["--rigorous"] if rigorous else []) + ["--precision", f"{precision * 100:g}"]
                   + ([] if budget_s is None else ["--budget", f"{budget_s:g}"]))
        return bench_interpreters(pythons, quick, out, console, resume=resume, options=tuple(options))
    from .. import runtimes as runtime_registry
    from .progress import progress_callbacks, summarize
    from ..report.render import render
    from ..execution.runner import QUIET_SHARE, run_matrix
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

    console.print("[bold]1/4[/] behaviour and latency scenarios on every runtime")
    with progress_callbacks(console) as (on_start, on_result):
        scenarios = [s for s in select(quick=quick) if s.in_bench]   # the rest: step 3 measures them
        share = (machine.steadiness or {}).get("cpu_share")
        path = run_matrix(runtime_registry.names(), scenarios, out_dir, resume=resume,
                          repeat=3 if quick else None, timed_alone=not quick,
                          on_start=on_start, on_result=on_result,
                          clocked_at_once=None if share is not None and share >= QUIET_SHARE else 1)
    summarize(path, console)
    _record_preflight(out_dir, machine)
    bench_ok = True

    console.print("[bold]2/4[/] real workloads: HTTP servers under wrk"
                  + (", pyperformance's asyncio benchmarks" if rigorous or quick else ""))
    if resume and (out_dir / "realworld.json").exists():
        console.print("  kept: realworld.json (measured before the bench was interrupted)")
    else:
        try:
            from ..workloads.realworld import run as run_realworld
            run_realworld(out_dir, "quick" if quick else "default",
                          parts=("pyperformance", "http") if rigorous else None,
                          log=lambda line: console.print(line, markup=False, soft_wrap=True))
        except Exception as exc:          # the real workloads must not cost the run its report
            bench_ok = False
            errors.print(f"loopbench: warning: real workloads failed: {exc}", markup=False, highlight=False,
                         soft_wrap=True)

    console.print("[bold]3/4[/] pytest-benchmark micro-benchmarks")
    if resume and (out_dir / "benchmark.json").exists():
        console.print("  kept: benchmark.json (the micro-suite finished before the bench was interrupted)")
    else:
        target = target_s(profile, share)
        if budget_s is None and target is not None:
            budget_s = min(BUDGET_S[profile], max(0.0, target - REPORT_S - (time.perf_counter() - started)))
            console.print(f"  budget: {budget_s:.0f} s (what the steps before left of the bench's {target:.0f} s"
                          + ("" if share is None else f": the pre-flight probe got {share:.0%} of a core") + ")")
        bench_ok = run_benchmarks(out_dir, profile, console, precision=precision, budget_s=budget_s) and bench_ok
    if (out_dir / "benchmark.json").exists():
        from ..results.export import FILENAME, write_pyperf
        try:
            write_pyperf(out_dir / "benchmark.json", out_dir / FILENAME)
        except Exception as exc:          # the export must not cost the run its report
            bench_ok = False
            errors.print(f"loopbench: warning: pyperf export failed: {exc}", markup=False, highlight=False,
                         soft_wrap=True)

    reached = _precision_reached(out_dir)
    if reached:
        console.print(escape(reached))

    console.print("[bold]4/4[/] report")
    written = render(out_dir)
    if out is None or out_dir.parent == Path("reports").absolute():
        point_latest(out_dir)
    console.print(f"report: {written['md']}\n        {written['html']}")
    console.print(f"done in {time.perf_counter() - started:.0f} s"
                  + ("" if bench_ok else " [yellow](micro-benchmarks incomplete: see benchmark-*.log)[/]"))
    return 0 if bench_ok else 1

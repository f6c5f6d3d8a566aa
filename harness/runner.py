"""Run a matrix of (runtime, scenario) cells, each in a fresh subprocess with a time limit.

Isolation is the point: a scenario that hangs becomes ``timeout`` (its whole process
group is killed), one that crashes the interpreter becomes ``error`` with what it
printed, and the rest of the matrix still runs. Each record is appended to
``results.jsonl`` the moment its cell finishes; ``resume=True`` skips cells the
file already has, so an interrupted run continues where it stopped.

Behaviour cells, and latency cells that time nothing (``parallel=True``: the memory
count), may run two at a time (``jobs``); the other latency cells always run alone,
after them, so they measure the loop and not their neighbour.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime, timezone
from pathlib import Path

from . import results
from .environment import environment
from .scenario import BEHAVIOUR, Scenario
from .worker import ERROR, TIMEOUT

DEFAULT_TIMEOUT = {"behaviour": 60.0, "latency": 300.0}
ROOT = Path(__file__).resolve().parent.parent


def utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def run_in_subprocess(runtime: str, scenario: Scenario, repeat: int | None, timeout: float,
                      python: str = sys.executable) -> dict:
    """Run one cell in a fresh interpreter; always returns a record, whatever happens to it."""
    fd, out_path = tempfile.mkstemp(prefix="loopbench-cell-", suffix=".json")
    os.close(fd)
    cmd = [python, "-m", "harness.worker", runtime, scenario.name, "--out", out_path]
    if repeat:
        cmd += ["--repeat", str(repeat)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    started = time.perf_counter()
    base = {"runtime": runtime, "scenario": scenario.name, "group": scenario.group, "kind": scenario.kind,
            "doc": scenario.doc, "explain": scenario.explain, "expected": scenario.expected}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=str(ROOT), env=env)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        stdout, stderr = proc.communicate()
        return dict(base, status=TIMEOUT, timeout_s=timeout, duration_s=round(time.perf_counter() - started, 3),
                    error=f"no result after {timeout:g} s; the cell's process group was killed",
                    stderr_tail=_tail(stderr))
    finally:
        if proc.poll() is None:
            _kill_group(proc)
    try:
        with open(out_path) as fh:
            record = json.load(fh)
    except (OSError, json.JSONDecodeError):
        how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit code {proc.returncode}"
        record = dict(base, status=ERROR, error=f"the cell's process died ({how}) without a result",
                      stderr_tail=_tail(stderr), duration_s=round(time.perf_counter() - started, 3))
    finally:
        try:
            os.unlink(out_path)
        except OSError:
            pass
    return record


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(text: str | None, lines: int = 30) -> str:
    return "\n".join((text or "").splitlines()[-lines:])


def plan(runtimes: Iterable[str], scenarios: Iterable[Scenario]) -> list[tuple[str, Scenario]]:
    """Cells in run order: every behaviour cell, then every latency cell."""
    scenarios = list(scenarios)
    cells = [(rt, s) for s in scenarios if s.kind == BEHAVIOUR for rt in runtimes]
    cells += [(rt, s) for s in scenarios if s.kind != BEHAVIOUR for rt in runtimes]
    return cells


def run_matrix(runtimes: list[str], scenarios: list[Scenario], out_dir: Path, *, repeat: int | None = None,
               resume: bool = False, timeout: float | None = None, jobs: int = 2,
               timed_alone: bool = True,
               on_result: Callable[[dict, int, int], None] | None = None,
               on_start: Callable[[str, Scenario], None] | None = None,
               cell_runner: Callable[..., dict] = run_in_subprocess) -> Path:
    """Run every cell not already in ``out_dir/results.jsonl`` (with ``resume``); return that path.

    ``timed_alone=False`` lets the latency cells share the ``jobs`` too: for a smoke
    run (``make bench QUICK=1``), whose numbers only show that the pipeline works.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "results.jsonl"
    env = environment()
    (out_dir / "environment.json").write_text(json.dumps(env, indent=2))
    done = set(results.latest_by_cell(results.load(path))) if resume else set()
    if not resume and path.exists():
        path.unlink()
    run_id = utc_stamp()
    cells = [(rt, s) for rt, s in plan(runtimes, scenarios) if (rt, s.name) not in done]
    total, finished = len(cells), 0

    def one(cell):
        runtime, scn = cell
        if on_start:
            on_start(runtime, scn)
        limit = timeout if timeout is not None else DEFAULT_TIMEOUT[scn.kind]
        return cell_runner(runtime, scn, repeat, limit)

    def record_result(record):
        nonlocal finished
        family = "loopbench" if record["runtime"] in _our_names() else "peer"
        record = {"schema": results.SCHEMA, "run_id": run_id, "family": family, **record, "env": env}
        results.append(path, record)
        finished += 1
        if on_result:
            on_result(record, finished, total)

    shared = [c for c in cells if c[1].kind == BEHAVIOUR or c[1].parallel or not timed_alone]
    latency = [c for c in cells if c not in shared]
    if jobs > 1 and len(shared) > 1:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for future in as_completed([pool.submit(one, cell) for cell in shared]):
                record_result(future.result())
    else:
        for cell in shared:
            record_result(one(cell))
    for cell in latency:
        record_result(one(cell))
    return path


def _our_names() -> set[str]:
    import impls
    return set(impls.names())

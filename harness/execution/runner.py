"""Run a matrix of (runtime, scenario) cells, each in a process of its own with a time limit.

Isolation is the point: a scenario that hangs becomes ``timeout`` (its whole process
group is killed, whatever it started and whatever still holds its output), one that
crashes the interpreter becomes ``error`` with the tail of what it printed, and the
rest of the matrix still runs. Each record is appended to ``results.jsonl`` the
moment its cell finishes; ``resume=True`` skips cells the file already has (but runs a
cell whose last record is a timeout again), so an interrupted run continues where it
stopped (in the same profile only).

A cell's output goes to a file in its own temporary directory, never through a pipe:
a grandchild that inherits it cannot make the runner wait past the time limit, and
only its last ``OUTPUT_TAIL_BYTES`` are read back. The directory goes with the cell,
however the cell ends.

On Linux a cell's process is forked from a warm server that has already imported
the harness and the libraries (``harness.execution.prefork``): the same isolation as a fresh
interpreter, without paying a quarter of a second of imports for every cell.

Interrupting a run (KeyboardInterrupt, or SIGTERM turned into one by the command
line) cancels the cells not yet started, kills the process groups of the running
ones and records none of them: the file holds only cells that finished.

Cells run in three waves, each sharing the machine only as far as its cells allow:

1. behaviour cells, and latency cells timed in CPU time or timing nothing
   (``parallel=True``: the scaling curves, the memory count), several at a time
   (``jobs``, ``JOBS``), the latency ones first because they are the longest;
2. behaviour cells whose outcome depends on the real clock (``timing_sensitive``), and
   latency cells that time how late a short sleep wakes (``sleeps``), one per core
   (``CORES``) on a machine the run has to itself: they sleep nearly all the time, so a
   neighbour never takes the core they wake on. Where other work already keeps the cores
   busy (``clocked_at_once=1``, as ``make bench`` asks when its pre-flight probe got less
   than ``QUIET_SHARE`` of a core), one at a time: there a neighbour of ours would add to
   the stalls that can push deadlines 3 ms apart into one batch;
3. the other latency cells (timed on the wall clock, keeping a core busy: the echo, the
   hand-offs), alone, so that they measure the loop and not their neighbour.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from . import manifest, prefork, profile
from ..results import records as results
from ..stats import samples
from .environment import environment, write_environment
from ..results.records import RESULTS_FILE, Record, RunDirError, Status, new_record
from ..results.rundir import utc_stamp
from ..scenarios.registry import BEHAVIOUR, Scenario
from .worker import unsupported_record

DEFAULT_TIMEOUT = {"behaviour": 60.0, "latency": 300.0}
#: Cells that may share the machine run this many at a time: four per core, because a
#: behaviour cell mostly waits on its timers (a fifth of a core each, measured); the
#: cells whose outcome depends on the real clock run one per core, the timed latency
#: cells alone, whatever this is.
JOBS = 4 * (os.cpu_count() or 1)
#: Cells whose outcome depends on the real clock run this many at a time: one per core.
CORES = os.cpu_count() or 1
#: The pre-flight probe's CPU share (``harness.execution.preflight``) from which a machine
#: counts as the run's own, and the clocked cells run one per core.
QUIET_SHARE = 0.9
#: How much of a cell's output a record keeps: its last lines, at most this many bytes.
OUTPUT_TAIL_BYTES = 8192
OUTPUT_TAIL_LINES = 30


class Cancelled(Exception):
    """A cell not started because its run is being stopped."""


class _RunningCells:
    """The cell processes alive now, so that stopping a run can end every one of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._procs: set[subprocess.Popen] = set()
        self._pids: set[int] = set()            # cells forked by a prefork server
        self._stopping = False

    def open(self) -> None:
        with self._lock:
            self._stopping = False

    def start(self, cmd: list[str], **kwargs) -> subprocess.Popen:
        with self._lock:
            if self._stopping:
                raise Cancelled()
            proc = subprocess.Popen(cmd, start_new_session=True, **kwargs)
            self._procs.add(proc)
            return proc

    def finish(self, proc: subprocess.Popen) -> None:
        """Kill the cell's group (anything it left running dies with it) and reap the cell."""
        _kill_group(proc)
        with self._lock:
            self._procs.discard(proc)
        proc.wait()

    def adopt(self, pid: int) -> None:
        """A cell forked by a server: its group is killed if the run stops."""
        with self._lock:
            self._pids.add(pid)
            if self._stopping:
                prefork.kill_group(pid)

    def release(self, pid: int) -> None:
        """The cell ended: kill whatever it left running in its group."""
        prefork.kill_group(pid)
        with self._lock:
            self._pids.discard(pid)

    def stop_all(self) -> None:
        """Start no more cells; kill the group of every running one."""
        with self._lock:
            self._stopping = True
            for proc in self._procs:
                _kill_group(proc)
            for pid in self._pids:
                prefork.kill_group(pid)


_running = _RunningCells()


def run_in_subprocess(runtime: str, scenario: Scenario, repeat: int | None, timeout: float,
                      python: str = sys.executable, share: int | None = None) -> Record:
    """Run one cell in a process of its own; always returns a record, whatever happens to it.

    Inside ``run_matrix`` (on Linux) the process is forked from a warm server
    (``harness.execution.prefork``); otherwise, or if the server fails, or if the scenario measures
    its process's own memory (``Scenario.fresh_process``), it is a fresh interpreter.
    """
    record = new_record(runtime, scenario)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="loopbench-cell-") as tmp:
        out_path, log_path = Path(tmp) / "record.json", Path(tmp) / "output.log"
        argv = [runtime, scenario.name, "--out", str(out_path)]
        if repeat is not None:
            argv += ["--repeat", str(repeat)]
        if share is not None:
            argv += ["--share", str(share)]
        code = _SERVED
        servers = _servers
        if servers is not None and not scenario.fresh_process:
            code = _run_forked(servers, python, argv, log_path, timeout)
        if code is _SERVED:
            code = _run_fresh(python, argv, log_path, timeout)
        elapsed = round(time.perf_counter() - started, 3)
        tail = output_tail(log_path)
        if code is None:
            return dict(record, status=Status.TIMEOUT, timeout_s=timeout, duration_s=elapsed,
                          error=f"no result after {timeout:g} s; the cell's process group was killed",
                          stderr_tail=tail)
        try:
            loaded = json.loads(out_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            loaded = None
        if not results.is_record(loaded):
            how = ("an end its prefork server did not report" if code is prefork.UNREPORTED
                   else f"signal {-code}" if code < 0 else f"exit code {code}")
            return dict(record, status=Status.ERROR, stderr_tail=tail, duration_s=elapsed,
                          error=f"the cell's process died ({how}) without a result")
        return loaded


#: "not run yet": ``_run_forked`` could not run the cell, a fresh interpreter must.
_SERVED = object()
#: The prefork servers of the ``run_matrix`` in progress (None: every cell starts fresh).
_servers: "prefork.Servers | None" = None


def _run_fresh(python: str, argv: list[str], log_path: Path, timeout: float) -> int | None:
    """``python -m harness.execution.worker ARGV`` in a new session; its return code, None on timeout."""
    cmd = [python, "-m", "harness.execution.worker", *argv]
    # The cell watches the read end: it closes when this process ends, however it ends.
    watch_read, watch_write = os.pipe()
    try:
        with open(log_path, "wb") as log:
            proc = _running.start(cmd + ["--parent-pipe", str(watch_read)], stdin=subprocess.DEVNULL,
                                  stdout=log, stderr=log, pass_fds=(watch_read,))
    except BaseException:
        os.close(watch_write)
        raise
    finally:
        os.close(watch_read)
    try:
        proc.wait(timeout=timeout)
        return proc.returncode
    except subprocess.TimeoutExpired:
        return None
    finally:
        _running.finish(proc)
        os.close(watch_write)


def _run_forked(servers: "prefork.Servers", python: str, argv: list[str], log_path: Path,
                timeout: float):
    """The cell forked from this thread's warm server; its return code, None on timeout,
    or ``_SERVED`` if the server failed (it is dropped; the caller runs the cell fresh)."""
    pids: list[int] = []
    try:
        server = servers.get(python, _running.start)
        return server.run(argv, log_path, timeout, on_pid=lambda pid: (pids.append(pid), _running.adopt(pid)))
    except prefork.ServerGone:
        servers.drop(python)
        return _SERVED
    finally:
        for pid in pids:
            _running.release(pid)


def _kill_group(proc: subprocess.Popen) -> None:
    prefork.kill_group(proc.pid)


def output_tail(path: Path, max_bytes: int = OUTPUT_TAIL_BYTES, lines: int = OUTPUT_TAIL_LINES) -> str:
    """The last ``lines`` lines of the file at ``path``, reading at most its last ``max_bytes``."""
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - max_bytes))
            data = fh.read(max_bytes)
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    kept = text.splitlines()
    if size > max_bytes and kept:
        kept = kept[1:]                         # the first line read is a fragment
    return "\n".join(kept[-lines:])


#: Why a control runtime's cell was not run (recorded in the run's manifest).
CONTROL_SKIP = "a control runs only the scenarios that time one of the harness's own constructions"


def _worth_running(runtime: str, scn: Scenario) -> bool:
    """A control runtime (``Runtime.control``) exists to show what the harness's own
    constructions cost: it runs only the scenarios that time one of them."""
    from ..runtimes import CONTROLS, create

    if runtime not in CONTROLS:
        return True
    try:
        rt = create(runtime)
    except Exception:                  # unavailable: its cells say so themselves
        return True
    return any(rt.how(op) == "emulated" for op in scn.timed_ops)


def plan(runtimes: Iterable[str], scenarios: Iterable[Scenario]) -> list[tuple[str, Scenario]]:
    """Cells in run order: every behaviour cell, then every latency cell."""
    scenarios = list(scenarios)
    cells = [(rt, s) for s in scenarios if s.kind == BEHAVIOUR for rt in runtimes]
    cells += [(rt, s) for s in scenarios if s.kind != BEHAVIOUR for rt in runtimes]
    return cells


def run_matrix(runtimes: list[str], scenarios: list[Scenario], out_dir: Path, *, repeat: int | None = None,
               resume: bool = False, timeout: float | None = None, jobs: int = JOBS,
               timed_alone: bool = True,
               on_result: Callable[[dict, int, int], None] | None = None,
               on_start: Callable[[str, Scenario], None] | None = None,
               cell_runner: Callable[..., Record] = run_in_subprocess,
               processes: int | None = None, clocked_at_once: int | None = None) -> Path:
    """Run every cell not already in ``out_dir/results.jsonl`` (with ``resume``; a cell whose
    last record is a timeout runs again); return that path.

    ``resume=False`` on a directory that already holds results, and ``resume=True`` on
    one measured in another profile, raise ``RunDirError``: nothing measured is lost
    and no run mixes profiles. ``timed_alone=False`` lets the latency cells share the
    ``jobs`` too: for a smoke run (``make bench QUICK=1``), whose numbers only show
    that the pipeline works. ``processes``: how many processes a sampled latency cell
    (``Scenario.sampled``) is measured in (default: ``samples.PROCESSES`` of the profile).
    ``clocked_at_once``: how many clocked cells (the second wave) run at once (default
    ``CORES``; 1 where other work shares the machine, so that no cell of ours adds to it).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / RESULTS_FILE
    if processes is None:
        processes = samples.PROCESSES[profile.current()]
    env = environment()
    if resume:
        measured = results.run_profile(out_dir)
        if measured is not None and measured != env["profile"]:
            raise RunDirError(f"{out_dir} was measured in the {measured} profile, not {env['profile']}: "
                              f"resume it in the {measured} profile"
                              + (" (with --quick)" if measured == "quick" else " (without --quick)"))
        # A timeout is not kept: it may say more about the machine or the harness at the time
        # (a loaded machine, a prefork server that stopped answering) than about the cell.
        done = {cell for cell, record in results.latest_by_cell(results.load(path)).items()
                if record.get("status") != Status.TIMEOUT}
    else:
        if path.exists() and path.stat().st_size:
            raise RunDirError(f"{out_dir} already holds results: resume it, or measure into another directory")
        done = set()
    write_environment(out_dir / "environment.json", env)
    run_id = utc_stamp()
    cells, skipped = [], []
    for rt, s in plan(runtimes, scenarios):
        if (rt, s.name) not in done:
            (cells if _worth_running(rt, s) else skipped).append((rt, s))
    manifest.record(out_dir, list(runtimes), list(scenarios), [(rt, s.name, CONTROL_SKIP) for rt, s in skipped])
    total, finished = len(cells), 0

    def one(cell):
        runtime, scn = cell
        if on_start:
            on_start(runtime, scn)
        if runtime in checked_here:           # a cell that cannot run here needs no process
            early = unsupported_record(runtime, scn)
            if early is not None:
                return early
        limit = timeout if timeout is not None else DEFAULT_TIMEOUT[scn.kind]
        if scn.sampled and processes > 1:
            return results.pool_processes(_each_process(cell_runner, runtime, scn, repeat, limit, processes))
        return cell_runner(runtime, scn, repeat, limit)

    # The harness's own adapters may be asked in this process whether a cell can run at
    # all; a registered loop is user code, asked only inside its cell's process.
    checked_here = {rt for rt in runtimes if rt not in _our_names() and cell_runner is run_in_subprocess}

    def record_result(record):
        nonlocal finished
        family = "loopbench" if record["runtime"] in _our_names() else "peer"     # if the cell did not say
        record = results.stamp(record, run_id=run_id, family=family, env=env)
        results.append(path, record)
        finished += 1
        if on_result:
            on_result(record, finished, total)

    waves = _waves(cells, timed_alone=timed_alone, jobs=jobs,
                   clocked_at_once=CORES if clocked_at_once is None else clocked_at_once)
    _running.open()
    global _servers
    server_logs = None
    if cell_runner is run_in_subprocess and prefork.enabled() and cells:
        server_logs = tempfile.TemporaryDirectory(prefix="loopbench-prefork-")
        _servers = prefork.Servers(Path(server_logs.name))
    pools: list[ThreadPoolExecutor] = []
    try:
        for wave, at_once in waves:
            if at_once > 1 and len(wave) > 1:
                pools.append(ThreadPoolExecutor(max_workers=at_once))
                for future in as_completed([pools[-1].submit(one, cell) for cell in wave]):
                    record_result(future.result())
            else:
                for cell in wave:
                    record_result(one(cell))
    except BaseException:
        # Interrupted (or a harness bug): no more cells, end the running ones, record none of them.
        _running.stop_all()
        raise
    finally:
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)
        if server_logs is not None:
            servers, _servers = _servers, None
            servers.close()
            server_logs.cleanup()
    return path


def _waves(cells: list, *, timed_alone: bool, jobs: int, clocked_at_once: int = 1) -> list[tuple[list, int]]:
    """The cells in the order they run, as (cells, how many at a time) (the module's docstring)."""
    if not timed_alone:                                # a smoke run: everything shares the pool
        return [(cells, jobs)]
    shared, clocked, alone = [], [], []
    for cell in cells:
        scn = cell[1]
        if (scn.kind == BEHAVIOUR and not scn.timing_sensitive) or scn.parallel:
            shared.append(cell)
        elif scn.timing_sensitive or scn.sleeps:
            clocked.append(cell)
        else:
            alone.append(cell)
    shared.sort(key=lambda c: c[1].kind == BEHAVIOUR)          # the long latency cells first
    return [(shared, jobs), (clocked, max(1, min(jobs, clocked_at_once))), (alone, 1)]


def _each_process(cell_runner, runtime: str, scn: Scenario, repeat, limit: float, processes: int) -> list[Record]:
    """A sampled cell, once per process, each with its share of the samples; it stops at
    the first process that does not observe (an error or a timeout is the cell's outcome)."""
    records = []
    for _ in range(processes):
        records.append(cell_runner(runtime, scn, repeat, limit, share=processes))
        if records[-1].get("status") != Status.OBSERVED:
            break
    return records


def _our_names() -> set[str]:
    import impls
    return set(impls.names())

"""Run one cell, (runtime, scenario), and produce its result record.

``python -m harness.execution.worker RUNTIME SCENARIO --repeat N --out FILE --parent-pipe FD``
is what the runner starts in a fresh subprocess for every cell, so a scenario that
hangs, leaks threads or crashes the interpreter harms only its own cell. ``run_cell``
is also callable in-process (tests).

A cell never outlives the harness that started it. The cell runs in its own process
group (so the runner can kill it and whatever it started); it watches the read end
of a pipe whose write end only the runner holds, and when that pipe closes (the
runner exited, however it died) it kills its own group. On Linux the kernel also
sends it SIGTERM when its parent dies (``PR_SET_PDEATHSIG``), which does the same.

The statuses are ``harness.results.records.Status``; the runner sets ``timeout`` and the
``error`` of a process that died, the worker every other.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import sys
import threading
import time
import traceback
from typing import Any

from .. import runtimes
from .profile import SHARE_VAR
from ..results.records import Record, Status, canonical, new_record
from ..runtimes.interface import EMULATED, UNSUPPORTED, Unavailable, Unsupported
from ..scenarios.registry import BEHAVIOUR, Scenario, get

DEFAULT_REPEAT = 5
#: A cell whose outcome is observed (nobody promised its trace, so it can only be
#: described) runs at least this often, so that "always the same" means something: a
#: coin flip comes out the same 5 times in 6% of cells, 20 times in 2 in a million.
OBSERVED_REPEAT = 20


def check_repeat(repeat: int | None) -> int | None:
    """``repeat`` if it is None (the scenario's own count) or a whole number >= 1; else ValueError."""
    if repeat is not None and (isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1):
        raise ValueError(f"repeat must be a whole number >= 1, not {repeat!r}")
    return repeat


def unsupported_record(runtime_name: str, scn: Scenario) -> Record | None:
    """The cell's record if it cannot run at all here (runtime unavailable, or lacking an
    operation the scenario needs), without running anything; None if it can run.

    The runner asks this in its own process first, so such a cell costs no subprocess."""
    record = new_record(runtime_name, scn)
    try:
        rt = runtimes.create(runtime_name)
    except Unavailable as exc:
        record.update(status=Status.UNSUPPORTED, reason=f"runtime unavailable: {exc}")
        return record
    missing = [op for op in scn.needs if rt.how(op) == UNSUPPORTED]
    if not missing:
        return None
    record.update(status=Status.UNSUPPORTED, version=rt.version(), family=rt.family,
                  reason=f"{runtime_name} has no {', '.join(missing)}")
    return record


def run_cell(runtime_name: str, scenario_name: str, repeat: int | None = None) -> Record:
    """Run ``scenario_name`` on ``runtime_name``; return its record (``harness.results.records``)."""
    check_repeat(repeat)
    scn = get(scenario_name)
    started = time.perf_counter()
    record = new_record(runtime_name, scn)
    try:
        early = unsupported_record(runtime_name, scn)
        if early is not None:
            return early
        rt = runtimes.create(runtime_name)
        record["version"] = rt.version()
        record["emulated_ops"] = [op for op in scn.timed_ops if rt.how(op) == EMULATED]
        record["support"] = EMULATED if record["emulated_ops"] else "native"
        record["family"] = rt.family
        described = rt.operations()
        record["operations"] = {op: described[op] for op in scn.needs if op in described}
        if scn.kind == BEHAVIOUR:
            _run_behaviour(rt, scn, repeat, record)
        else:
            metrics: dict = {}
            scn.fn(rt, metrics)
            record.update(status=Status.OBSERVED, metrics=canonical(metrics))
    except Unsupported as exc:
        record.update(status=Status.UNSUPPORTED, reason=str(exc))
    except BaseException as exc:                       # the cell's own failure, not the harness's
        if isinstance(exc, KeyboardInterrupt):
            raise
        record.update(status=Status.ERROR, error=f"{type(exc).__name__}: {exc}",
                      traceback=traceback.format_exc(limit=20))
    record["duration_s"] = round(time.perf_counter() - started, 4)
    return record


def run_once(rt, scn: Scenario) -> list:
    """Run a behaviour scenario once, on a fresh loop; return its trace.

    An exception escaping the loop is the scenario's outcome if it says so
    (``crash_is_outcome``), recorded as ``["loop raised", type]``; otherwise it propagates.
    """
    trace: list = []
    try:
        if scn.mode == "forever":
            rt.run_forever(lambda: scn.fn(rt, trace))
        else:
            rt.run(lambda: scn.fn(rt, trace))
    except Unsupported:
        raise
    except BaseException as exc:
        if not scn.crash_is_outcome or isinstance(exc, KeyboardInterrupt):
            raise
        trace.append(["loop raised", type(exc).__name__])
    return trace


def repeats(rt, scn: Scenario, repeat: int | None = None) -> int:
    """How many runs a behaviour cell gets: the run's ``--repeat`` if given; else the
    scenario's own (``DEFAULT_REPEAT``), raised to ``OBSERVED_REPEAT`` where the outcome
    will be observed rather than judged."""
    if check_repeat(repeat) is not None:
        return repeat
    own = scn.repeat or DEFAULT_REPEAT
    observed = scn.expected is None or judged_by(rt, scn) is None
    return max(own, OBSERVED_REPEAT) if observed else own


def _run_behaviour(rt, scn: Scenario, repeat: int | None, record: Record) -> None:
    repeat = repeats(rt, scn, repeat)
    counts: collections.Counter = collections.Counter()
    first_seen: dict[str, Any] = {}
    for _ in range(repeat):
        trace = run_once(rt, scn)
        key = json.dumps(canonical(trace))
        counts[key] += 1
        first_seen.setdefault(key, canonical(trace))
    outcomes = [{"trace": first_seen[key], "count": n} for key, n in counts.most_common()]
    record["repeat"] = repeat
    record["outcomes"] = outcomes
    record["deterministic"] = len(outcomes) == 1
    if scn.expected is None:
        record["status"] = Status.OBSERVED
        return
    expected = canonical(scn.expected)
    matches = bool(outcomes) and all(o["trace"] == expected for o in outcomes)
    judge = judged_by(rt, scn)
    if judge is None:
        # The expected trace is loopbench's contract, which this library never promised:
        # what it did is recorded, and a difference is labelled, not failed.
        record["status"] = Status.OBSERVED
        record["differs_from_contract"] = not matches
    else:
        record["status"] = Status.PASS if matches else Status.FAIL
        record["judged_by"] = judge


def judged_by(rt, scn: Scenario) -> str | None:
    """Whose promise a stated trace checks on ``rt``: loopbench's contract (our loops), the
    library's own documentation (``scn.documented_by`` names it), or nobody's (None)."""
    if rt.family == "loopbench":
        return "loopbench's contract"
    if rt.api is not None and rt.api in scn.documented_by:
        return f"{rt.api}'s documentation"
    return None


def die_with_parent(parent_pipe: int | None) -> None:
    """Kill this cell's process group when the runner that started it goes away.

    ``parent_pipe``: the read end of a pipe only the runner writes to; end of file on
    it means the runner exited. On Linux, ``PR_SET_PDEATHSIG`` asks the kernel for
    SIGTERM on the parent's death too (it acts even if the watching thread cannot).
    """
    parent = os.getppid()
    signal.signal(signal.SIGTERM, lambda *_: _kill_own_group())
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if parent_pipe is not None:
        def watch():
            try:
                while os.read(parent_pipe, 1):
                    pass
            except OSError:
                pass
            _kill_own_group()
        threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    if os.getppid() != parent:                 # the parent died before the watch began
        _kill_own_group()


def _kill_own_group() -> None:
    os.killpg(os.getpgid(0), signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.execution.worker")
    parser.add_argument("runtime")
    parser.add_argument("scenario")
    parser.add_argument("--repeat", type=int, default=None, help="runs (>= 1; default: the scenario's own)")
    parser.add_argument("--out", required=True, help="file to write the JSON record to")
    parser.add_argument("--parent-pipe", type=int, default=None,
                        help="read end of a pipe from the runner: the cell dies when it closes")
    parser.add_argument("--share", type=int, default=None,
                        help="processes sharing a sampled latency cell's samples (this is one of them)")
    args = parser.parse_args(argv)
    if args.share is not None:
        if args.share < 1:
            parser.error(f"--share must be >= 1, not {args.share}")
        os.environ[SHARE_VAR] = str(args.share)
    if args.parent_pipe is not None:
        die_with_parent(args.parent_pipe)
    from ..runtimes.plugins import load_plugins
    load_plugins()
    record = run_cell(args.runtime, args.scenario, args.repeat)
    partial = args.out + ".partial"
    with open(partial, "w") as fh:
        json.dump(record, fh, default=repr)
    os.replace(partial, args.out)             # the runner sees the whole record or none
    return 0


if __name__ == "__main__":
    sys.exit(main())

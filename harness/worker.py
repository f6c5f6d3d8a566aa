"""Run one cell, (runtime, scenario), and produce its result record.

``python -m harness.worker RUNTIME SCENARIO --repeat N --out FILE`` is what the
runner starts in a fresh subprocess for every cell, so a scenario that hangs, leaks
threads or crashes the interpreter harms only its own cell. ``run_cell`` is also
callable in-process (tests, ``--inline``).

The status of a cell:

``unsupported``  the runtime lacks an operation the scenario needs (nothing ran)
``pass``/``fail`` an expected trace was stated; every repeat matched it / one did not
``observed``     an observational scenario (or a latency one) ran and was recorded
``error``        the scenario or adapter raised (traceback recorded)
``timeout``      the cell did not finish in time (set by the runner, which kills it)
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
import traceback
from typing import Any

from . import runtimes
from .runtime import EMULATED, UNSUPPORTED, Unavailable, Unsupported
from .scenario import BEHAVIOUR, Scenario, get

PASS, FAIL, OBSERVED, UNSUPPORTED_STATUS, ERROR, TIMEOUT = (
    "pass", "fail", "observed", "unsupported", "error", "timeout")
STATUSES = (PASS, FAIL, OBSERVED, UNSUPPORTED_STATUS, ERROR, TIMEOUT)
DEFAULT_REPEAT = 5


def _canonical(trace: Any) -> Any:
    """Traces compare after a JSON round trip (tuples become lists)."""
    return json.loads(json.dumps(trace, default=repr))


def _base_record(runtime_name: str, scn: Scenario) -> dict:
    return {"runtime": runtime_name, "scenario": scn.name, "group": scn.group, "kind": scn.kind,
            "doc": scn.doc, "explain": scn.explain,
            "expected": _canonical(scn.expected) if scn.expected is not None else None}


def run_cell(runtime_name: str, scenario_name: str, repeat: int | None = None) -> dict:
    """Run ``scenario_name`` on ``runtime_name``; return the record (see the schema in the README)."""
    scn = get(scenario_name)
    record = _base_record(runtime_name, scn)
    started = time.perf_counter()
    try:
        rt = runtimes.create(runtime_name)
    except Unavailable as exc:
        record.update(status=UNSUPPORTED_STATUS, reason=f"runtime unavailable: {exc}")
        return record
    record["version"] = rt.version()
    missing = [op for op in scn.needs if rt.how(op) == UNSUPPORTED]
    if missing:
        record.update(status=UNSUPPORTED_STATUS,
                      reason=f"{runtime_name} has no {', '.join(missing)}")
        return record
    record["emulated_ops"] = [op for op in scn.timed_ops if rt.how(op) == EMULATED]
    record["support"] = EMULATED if record["emulated_ops"] else "native"
    try:
        if scn.kind == BEHAVIOUR:
            _run_behaviour(rt, scn, repeat, record)
        else:
            metrics: dict = {}
            scn.fn(rt, metrics)
            record.update(status=OBSERVED, metrics=_canonical(metrics))
    except Unsupported as exc:
        record.update(status=UNSUPPORTED_STATUS, reason=str(exc))
    except BaseException as exc:                       # the cell's own failure, not the harness's
        if isinstance(exc, KeyboardInterrupt):
            raise
        record.update(status=ERROR, error=f"{type(exc).__name__}: {exc}",
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


def _run_behaviour(rt, scn: Scenario, repeat: int | None, record: dict) -> None:
    repeat = repeat or scn.repeat or DEFAULT_REPEAT
    counts: collections.Counter = collections.Counter()
    first_seen: dict[str, Any] = {}
    for _ in range(repeat):
        trace = run_once(rt, scn)
        key = json.dumps(_canonical(trace))
        counts[key] += 1
        first_seen.setdefault(key, _canonical(trace))
    outcomes = [{"trace": first_seen[key], "count": n} for key, n in counts.most_common()]
    record["repeat"] = repeat
    record["outcomes"] = outcomes
    record["deterministic"] = len(outcomes) == 1
    if scn.expected is None:
        record["status"] = OBSERVED
    else:
        expected = _canonical(scn.expected)
        record["status"] = PASS if all(o["trace"] == expected for o in outcomes) else FAIL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.worker")
    parser.add_argument("runtime")
    parser.add_argument("scenario")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--out", required=True, help="file to write the JSON record to")
    args = parser.parse_args(argv)
    from .plugins import load_plugins
    load_plugins()
    record = run_cell(args.runtime, args.scenario, args.repeat)
    with open(args.out, "w") as fh:
        json.dump(record, fh, default=repr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Result records: the one record type, its statuses, and the JSON Lines file a run writes.

One line per (runtime, scenario) cell, appended as soon as the cell finishes, so an
interrupted run keeps everything it measured and ``--resume`` continues it. The
worker builds a record (``new_record``), the runner stamps it (``stamp``) and
appends it (``append``), the report and the command line read it back (``load``).
The file's schema is published as ``docs/results.schema.json``; the tests validate
records against it.

Record fields (``schema`` = 1):

=================  ===========================================================
``schema``         1
``run_id``         UTC timestamp of the run that wrote it
``runtime``        e.g. ``"heap"``, ``"asyncio"``, ``"anyio-trio"``
``family``         ``"loopbench"`` or ``"peer"``
``version``        version of the runtime's library (Python's for asyncio)
``scenario``       e.g. ``"timers.slides"``; ``group`` and ``kind`` (behaviour|latency)
``status``         a ``Status``: pass | fail | observed | unsupported | error | timeout
``support``        native | emulated (when an operation the scenario used was emulated)
``emulated_ops``   which operations were emulated
``reason``         why unsupported
``expected``       the expected trace (behaviour scenarios that state one), else null
``outcomes``       [{"trace": [...], "count": n}], most frequent first (behaviour)
``deterministic``  true if every repeat gave the same trace
``repeat``         how many times the scenario ran
``metrics``        numbers (latency scenarios), see ``harness/scenarios/latency.py``
``metrics_by_process``  a sampled latency cell (``Scenario.sampled``): each process's
                   metrics; ``metrics`` then holds their medians (raw samples joined)
``processes``      how many processes measured a sampled cell
``error``          ``"Type: message"``, with ``traceback`` (status error)
``stderr_tail``    the last lines the cell printed (a cell that died or timed out), bounded
``timeout_s``      the time limit a timed-out cell exceeded
``duration_s``     wall time of the cell
``env``            the environment block (``harness.execution.environment``), whose ``profile``
                   says which run profile measured it
=================  ===========================================================

Writing is crash-safe: each record is one ``write`` of one line, synced; a line
left torn by a killed run is cut off before the next append, so the next record
always starts on a fresh line. Reading skips what is not a record (a torn line,
garbage, JSON of the wrong shape) with a warning naming the line.
"""

from __future__ import annotations

import enum
import json
import math
import os
import statistics
import warnings
from pathlib import Path
from typing import Any, TypedDict

SCHEMA = 1
RESULTS_FILE = "results.jsonl"


class Status(enum.StrEnum):
    """What became of a cell."""
    PASS = "pass"                #: an expected trace was stated and every repeat matched it
    FAIL = "fail"                #: an expected trace was stated and a repeat did not match it
    OBSERVED = "observed"        #: an observational or latency scenario ran and was recorded
    UNSUPPORTED = "unsupported"  #: the runtime lacks an operation the scenario needs (nothing ran)
    ERROR = "error"              #: the scenario, adapter or cell process failed
    TIMEOUT = "timeout"          #: the cell did not finish in time (the runner killed it)


STATUSES = tuple(Status)
#: A run with any of these exits non-zero: something did not do what was asked.
PROBLEMS = frozenset({Status.FAIL, Status.ERROR, Status.TIMEOUT})


class Record(TypedDict, total=False):
    """One cell's result, as written to ``results.jsonl`` (see the table above)."""
    schema: int
    run_id: str
    runtime: str
    family: str
    operations: dict
    judged_by: str
    differs_from_contract: bool
    version: str
    scenario: str
    group: str
    kind: str
    doc: str
    explain: str
    status: str
    support: str
    emulated_ops: list[str]
    reason: str
    expected: list | None
    outcomes: list[dict]
    deterministic: bool
    repeat: int
    metrics: dict
    error: str
    traceback: str
    stderr_tail: str
    timeout_s: float
    duration_s: float
    env: dict


def canonical(value: Any) -> Any:
    """A value as it reads back from JSON (tuples become lists, the unknown its repr)."""
    return json.loads(json.dumps(value, default=repr))


def new_record(runtime: str, scenario) -> Record:
    """The fields every record of ``scenario`` on ``runtime`` has, whatever became of it."""
    return Record(runtime=runtime, scenario=scenario.name, group=scenario.group, kind=scenario.kind,
                  doc=scenario.doc, explain=scenario.explain,
                  expected=canonical(scenario.expected) if scenario.expected is not None else None)


def stamp(record: Record, *, run_id: str, family: str, env: dict) -> Record:
    """The record as the run writes it: schema, run id, family first (the cell's own, if it
    said; else ``family``); the environment last."""
    rest = {k: v for k, v in record.items() if k != "family"}
    return Record(schema=SCHEMA, run_id=run_id, family=record.get("family", family), **rest, env=env)


def pool_processes(records: list[Record]) -> Record:
    """One record from the processes of a sampled cell (``Scenario.sampled``).

    If one process did not observe (an error, a timeout), its record is the cell's.
    Otherwise the first record, whose ``metrics`` become the processes' pooled: counts
    (``n``, ``early_*``) summed, ``min`` and ``max`` the extremes, every other number the
    median over the processes, every list of numbers (raw samples) joined.
    Either way ``metrics_by_process`` keeps each observing process's own metrics (the
    report's interval comes from them) and ``processes`` says how many ran.
    """
    observed = [r for r in records if r.get("status") == Status.OBSERVED]
    failed = [r for r in records if r.get("status") != Status.OBSERVED]
    pooled = dict(failed[0] if failed else records[0])
    if observed and not failed:
        pooled["metrics"] = _pool_metrics([r.get("metrics") or {} for r in observed])
    if observed:
        pooled["metrics_by_process"] = [r.get("metrics") or {} for r in observed]
    pooled["processes"] = len(records)
    pooled["duration_s"] = round(sum(r.get("duration_s") or 0 for r in records), 4)
    return pooled


#: How ``pool_processes`` pools a number, by its key; any other number: the median.
_POOL_BY_KEY = {"n": sum, "min": min, "max": max}


def _pool_metrics(each: list[Any], key: str = "") -> Any:
    first = each[0]
    if isinstance(first, dict):
        return {k: _pool_metrics([m[k] for m in each if isinstance(m, dict) and k in m], k) for k in first}
    if isinstance(first, bool) or not all(type(m) is type(first) for m in each):
        return first
    if isinstance(first, (int, float)):
        values = [m for m in each if not (isinstance(m, float) and math.isnan(m))]
        pool = sum if key.startswith("early_") else _POOL_BY_KEY.get(key, statistics.median)
        return pool(values) if values else first
    if isinstance(first, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                       for m in each for v in m):
        return [v for m in each for v in m]
    return first


def is_record(value: Any) -> bool:
    """True if ``value`` has the shape of a record: the fields a reader relies on, a known status."""
    return (isinstance(value, dict) and isinstance(value.get("runtime"), str)
            and isinstance(value.get("scenario"), str) and value.get("status") in STATUSES
            and isinstance(value.get("env", {}), dict))


def append(path: Path, record: Record) -> None:
    """Append one record as one line, synced so a crash cannot lose it.

    A torn last line (a run killed mid-write) is cut off first, so this record starts
    on a fresh line instead of being glued to the fragment and lost with it.
    """
    line = (json.dumps(record, default=repr) + "\n").encode("utf-8")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        _cut_torn_tail(fd, path)
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _cut_torn_tail(fd: int, path: Path, chunk: int = 65536) -> None:
    """Truncate whatever follows the last newline of the file open at ``fd``."""
    size = os.lseek(fd, 0, os.SEEK_END)
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    end = size
    while end > 0:
        start = max(0, end - chunk)
        newline = os.pread(fd, end - start, start).rfind(b"\n")
        if newline >= 0:
            keep = start + newline + 1
            break
        end = start
    else:
        keep = 0
    warnings.warn(f"{path}: cut off a torn last line ({size - keep} bytes) left by an interrupted write")
    os.ftruncate(fd, keep)


def load(path: Path) -> list[Record]:
    """Every record in ``path`` (none if it does not exist).

    A line that is not a record (torn, not UTF-8, not JSON, JSON of another shape) is
    skipped with a warning naming it; the records around it are kept.
    """
    records: list[Record] = []
    path = Path(path)
    if not path.exists():
        return records
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                warnings.warn(f"{path}:{number}: skipping a line that is not JSON (an interrupted write?)")
                continue
            if not is_record(value):
                warnings.warn(f"{path}:{number}: skipping JSON that is not a result record")
                continue
            records.append(value)
    return records


def latest_by_cell(records: list[Record]) -> dict[tuple[str, str], Record]:
    """The last record of each (runtime, scenario) cell."""
    cells: dict[tuple[str, str], Record] = {}
    for record in records:
        cells[(record["runtime"], record["scenario"])] = record
    return cells


class RunDirError(Exception):
    """A run directory that cannot be read or continued as asked; the message says why."""


def read_json(path: Path) -> dict | None:
    """A run directory's JSON side file (environment.json, benchmark.json), or None if absent."""
    if not path.exists():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunDirError(f"{path} is corrupt ({exc}); restore it or delete it") from None
    if not isinstance(value, dict):
        raise RunDirError(f"{path} is corrupt (a JSON object was expected); restore it or delete it")
    return value


def check_run_dir(directory: Path) -> list[Record]:
    """The records of a saved run, after checking that it is one; ``RunDirError`` says what is wrong."""
    directory = Path(directory)
    if not directory.is_dir():
        raise RunDirError(f"no such run directory: {directory}")
    path = directory / RESULTS_FILE
    if not path.is_file():
        raise RunDirError(f"{directory} is not a run directory: it has no {RESULTS_FILE}")
    for side in ("environment.json", "benchmark.json"):
        read_json(directory / side)
    records = load(path)
    if not records and path.stat().st_size:
        raise RunDirError(f"{path} holds no result records")
    run_profile(directory, records)
    return records


def run_profile(directory: Path, records: list[Record] | None = None) -> str | None:
    """The profile a run directory was measured with (None: nothing measured yet).

    The profile is in environment.json and in every record's ``env``; a directory
    holding more than one is refused (``RunDirError``): its numbers cannot be compared.
    """
    directory = Path(directory)
    if records is None:
        records = load(directory / RESULTS_FILE)
    seen = {r.get("env", {}).get("profile", "default") for r in records}
    env = read_json(directory / "environment.json")
    if env is not None and records:
        seen.add(env.get("profile", "default"))
    if len(seen) > 1:
        raise RunDirError(f"{directory} mixes the profiles {', '.join(sorted(seen))}; "
                          "measure each profile into its own directory")
    return seen.pop() if seen else None

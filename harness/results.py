"""Result records: the JSON Lines file a run writes, and how to read it back.

One line per (runtime, scenario) cell, appended as soon as the cell finishes, so an
interrupted run keeps everything it measured and ``--resume`` continues it.

Record schema (``schema`` = 1):

=================  ===========================================================
``schema``         1
``run_id``         UTC timestamp of the run that wrote it
``runtime``        e.g. ``"heap"``, ``"asyncio"``, ``"anyio-trio"``
``family``         ``"loopbench"`` or ``"peer"``
``version``        version of the runtime's library (Python's for asyncio)
``scenario``       e.g. ``"timers.slides"``; ``group`` and ``kind`` (behaviour|latency)
``status``         pass | fail | observed | unsupported | error | timeout
``support``        native | emulated (when an operation the scenario used was emulated)
``emulated_ops``   which operations were emulated
``reason``         why unsupported
``expected``       the expected trace (behaviour scenarios that state one), else null
``outcomes``       [{"trace": [...], "count": n}], most frequent first (behaviour)
``deterministic``  true if every repeat gave the same trace
``repeat``         how many times the scenario ran
``metrics``        numbers (latency scenarios), see ``harness/scenarios/latency.py``
``error``          ``"Type: message"``, with ``traceback`` (status error)
``duration_s``     wall time of the cell
``env``            the environment block (``harness.environment``)
=================  ===========================================================
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

SCHEMA = 1


def append(path: Path, record: dict) -> None:
    """Append one record as one line, flushed and synced so a crash cannot lose it."""
    import os

    line = json.dumps(record, default=repr, sort_keys=False)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def load(path: Path) -> list[dict]:
    """Every complete record in ``path``; a torn last line (a killed run) is skipped with a warning."""
    records = []
    if not Path(path).exists():
        return records
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                warnings.warn(f"{path}:{number}: skipping a malformed record (interrupted write?)")
    return records


def latest_by_cell(records: list[dict]) -> dict[tuple[str, str], dict]:
    """The last record of each (runtime, scenario) cell."""
    cells: dict[tuple[str, str], dict] = {}
    for record in records:
        cells[(record["runtime"], record["scenario"])] = record
    return cells

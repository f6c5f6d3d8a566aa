"""pyperf export: a run's micro-suite as a pyperf benchmark suite, so pyperf's tools read it.

``write_pyperf(benchmark_json, path)`` writes one file per run. Each benchmark is one
(workload, runtime) pair, named ``workload[runtime]``; each of its pyperf *runs* is
one of the micro-suite's worker processes, with that process's timed rounds as its
values (seconds per round). Then, on two loopbench runs::

    python -m pyperf compare_to --table a/pyperf.json b/pyperf.json

Harness-built (emulated) rows are left out: they measure the harness as much as the
library, and compare_to would show them as the library's.
"""

from __future__ import annotations

import json
from pathlib import Path

FILENAME = "pyperf.json"


def write_pyperf(benchmark_json: Path, path: Path) -> Path | None:
    """Write ``path`` from a merged micro-suite document; None if there is nothing to write."""
    import pyperf

    document = json.loads(Path(benchmark_json).read_text())
    benchmarks, names = [], set()
    for entry in document.get("benchmarks", []):
        extra = entry.get("extra_info") or {}
        if extra.get("emulated") or not extra.get("workload"):
            continue
        rounds = (entry.get("stats") or {}).get("data") or []
        medians = extra.get("process_medians")
        per_process = _split(rounds, extra.get("processes") or 1) if medians else [rounds]
        size = f" armed={extra['armed']}" if extra.get("armed") is not None else ""   # churn with N armed
        name = f"{extra['workload']}{size}[{extra.get('runtime', '?')}]"
        if name in names:                  # one workload at several sizes: its group says which
            name = f"{extra['workload']} {entry.get('group', '')}[{extra.get('runtime', '?')}]"
        names.add(name)
        metadata = {"name": name, "unit": "second", "loops": 1,
                    "description": f"{extra.get('ops_per_round', '?')} {extra.get('unit', 'operations')} per value"}
        runs = [pyperf.Run(values, metadata=metadata, collect_metadata=False) for values in per_process if values]
        if runs:
            benchmarks.append(pyperf.Benchmark(runs))
    if not benchmarks:
        return None
    pyperf.BenchmarkSuite(benchmarks).dump(str(path), replace=True)
    return Path(path)


def _split(values: list[float], parts: int) -> list[list[float]]:
    """The pooled rounds back into their processes (each process timed the same number)."""
    size = max(1, len(values) // parts)
    return [values[i:i + size] for i in range(0, len(values), size)]

"""pyperf export: a run's micro-suite as a pyperf benchmark suite, so pyperf's tools read it.

``write_pyperf(benchmark_json, path)`` writes one file per run. Each benchmark is one
(workload, runtime) pair, named ``workload[runtime]``; each of its pyperf *runs* is
one of the micro-suite's worker processes, with that process's timed rounds as its
values (seconds per round). Then, on two loopbench runs::

    python -m pyperf compare_to --table a/pyperf.json b/pyperf.json

Harness-built (emulated) rows are left out: they measure the harness as much as the
library, and compare_to would show them as the library's.

Each run carries the metadata pyperf's tools show (``pyperf show --metadata``): the
interpreter, the CPU, ``loops`` (1: a value is one complete round), ``timer`` (the
workload's clock: ``time.process_time`` or ``time.perf_counter``), and the runtime's name
and version, read from the run's environment.json beside benchmark.json.
"""

from __future__ import annotations

import json
from pathlib import Path

FILENAME = "pyperf.json"


def write_pyperf(benchmark_json: Path, path: Path) -> Path | None:
    """Write ``path`` from a merged micro-suite document; None if there is nothing to write."""
    import pyperf

    document = json.loads(Path(benchmark_json).read_text())
    environment_path = Path(benchmark_json).with_name("environment.json")
    try:
        environment = json.loads(environment_path.read_text()) if environment_path.exists() else {}
    except json.JSONDecodeError:
        environment = {}
    common = _common_metadata(environment)
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
        metadata = {**common, "name": name, "unit": "second", "loops": 1,
                    "timer": TIMERS.get(extra.get("clock", ""), "time.process_time"),
                    "description": f"{extra.get('ops_per_round', '?')} {extra.get('unit', 'operations')} per value, "
                                   f"{extra.get('clock') or 'cpu'} time"}
        for key, value in (("loopbench_runtime", extra.get("runtime")), ("loopbench_runtime_version", extra.get("version")),
                           ("loopbench_clock", extra.get("clock")), ("loopbench_profile", extra.get("profile"))):
            if value:
                metadata[key] = str(value)
        runs = [pyperf.Run(values, metadata=metadata, collect_metadata=False) for values in per_process if values]
        if runs:
            benchmarks.append(pyperf.Benchmark(runs))
    if not benchmarks:
        return None
    pyperf.BenchmarkSuite(benchmarks).dump(str(path), replace=True)
    return Path(path)


#: The timer behind each clock of a workload (``harness.workloads.programs.CLOCKS``).
TIMERS = {"cpu": "time.process_time", "wall": "time.perf_counter"}


def _common_metadata(environment: dict) -> dict:
    """pyperf's own metadata keys, from the run's environment.json."""
    out = {}
    for key, source in (("python_version", "python"), ("python_implementation", "implementation"),
                        ("cpu_model_name", "cpu"), ("platform", "platform")):
        if environment.get(source):
            out[key] = str(environment[source])
    if isinstance(environment.get("cpu_count"), int) and environment["cpu_count"] > 0:
        out["cpu_count"] = environment["cpu_count"]
    libraries = environment.get("libraries") or {}
    for lib, version in libraries.items():
        if version:
            out[f"version_{lib}".replace("-", "_")] = str(version)
    return out


def _split(values: list[float], parts: int) -> list[list[float]]:
    """The pooled rounds back into their processes (each process timed the same number)."""
    size = max(1, len(values) // parts)
    return [values[i:i + size] for i in range(0, len(values), size)]

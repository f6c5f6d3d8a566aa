"""Numbers with confidence: rounds from several worker processes, one value and its interval.

One process is one sample of the machine: its imports, its memory layout, its
moment on a shared machine. So, as pyperf does, a measure is taken in several
fresh processes (the micro-suite's rounds; a sampled cell's ``PROCESSES``), each
warmed up, and their rounds are pooled. The value shown is the median of all rounds;
its **95% confidence interval** comes from a hierarchical bootstrap: resample the
processes, then the rounds within each, take the median, repeat. With few
processes the interval is honest about how little that is: it is wide.

``merge(documents)`` turns the processes' pytest-benchmark JSON documents into one,
in pytest-benchmark's own format (so its tools, ``pytest-benchmark compare`` among them,
still read it), each entry's ``stats`` recomputed over the pooled rounds of the
workload's own clock (``extra_info["clock"]``: ``cpu_s`` or ``wall_s``), plus
``stats["ci95"]`` (seconds per round), ``extra_info["process_medians"]``,
``extra_info["round_medians"]`` (each process's median by its round),
``extra_info["relative_medians"]`` (per round, the median of the runtime's time over the
reference's in its duets: what ``harness.stats.paired`` uses first) and ``extra_info["wall_per_cpu"]`` (wall time over CPU
time of all its rounds: well above 1 where the machine gave the process less than its core).
"""

from __future__ import annotations

import math
import random
import re
import statistics
from collections.abc import Callable, Sequence

from .descriptive import percentile

#: Processes a sampled harness cell (latency percentiles, memory) is measured in, per
#: profile: its samples are shared among them, so more processes cost process starts,
#: not samples (the micro-suite's rounds are ``harness.cli.bench.LEAST_ROUNDS`` and more).
PROCESSES = {"quick": 2, "default": 3, "rigorous": 10}
#: A value whose interval is wider than this, either side, is marked and never "best".
WIDE = 0.05
RESAMPLES = 2000


def bootstrap_median_ci(groups: Sequence[Sequence[float]], level: float = 0.95,
                        resamples: int = RESAMPLES, seed: int = 2014,
                        statistic: Callable[[list[float]], float] = statistics.median) -> tuple[float, float]:
    """The ``level`` interval of the median (or ``statistic``) of the pooled values, by a
    two-level bootstrap.

    ``groups``: one list of values per process. Seeded, so the same data gives the
    same interval. One value in all: (value, value).
    """
    groups = [list(g) for g in groups if g]
    if not groups:
        return (math.nan, math.nan)
    if sum(len(g) for g in groups) == 1:
        value = groups[0][0]
        return (value, value)
    rng = random.Random(seed)
    medians = []
    for _ in range(resamples):
        pooled = []
        for _ in groups:
            group = groups[rng.randrange(len(groups))]
            pooled.extend(group[rng.randrange(len(group))] for _ in group)
        medians.append(statistic(pooled))
    medians.sort()
    tail = (1 - level) / 2 * 100
    return (percentile(medians, tail), percentile(medians, 100 - tail))


def bootstrap_percentile_ci(groups: Sequence[Sequence[float]], q: float, level: float = 0.95,
                            resamples: int = RESAMPLES, seed: int = 2014) -> tuple[float, float]:
    """The ``level`` interval of the ``q``-th percentile of the pooled values, by the same
    two-level bootstrap as ``bootstrap_median_ci`` (draw the processes, then each drawn
    process's own number of values from it), vectorised with numpy: a lateness cell has
    hundreds of samples, and a report has dozens of such cells."""
    import numpy as np

    kept = [np.asarray(g, dtype=float) for g in groups if len(g)]
    if not kept:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    lengths = np.array([len(g) for g in kept])
    widest = int(lengths.max())
    data = np.full((len(kept), widest), np.nan)
    for i, g in enumerate(kept):
        data[i, :len(g)] = g
    procs = rng.integers(0, len(kept), size=(resamples, len(kept)))
    drawn = lengths[procs][:, :, None]                                 # each drawn process's length
    picks = (rng.random((resamples, len(kept), widest)) * drawn).astype(int)
    values = data[procs[:, :, None], picks]
    values = np.where(np.arange(widest)[None, None, :] < drawn, values, np.nan).reshape(resamples, -1)
    values.sort(axis=1)                                                 # the NaN padding sorts last
    counts = (~np.isnan(values)).sum(axis=1)
    position = (counts - 1) * q / 100.0                                 # linear, as stats.percentile
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, counts - 1)
    rows = np.arange(resamples)
    estimates = values[rows, low] + (values[rows, high] - values[rows, low]) * (position - low)
    tail = (1 - level) / 2 * 100
    return float(np.percentile(estimates, tail)), float(np.percentile(estimates, 100 - tail))


def bootstrap_ci(values: Sequence[float], statistic: Callable[[Sequence[float]], float] = statistics.fmean,
                 level: float = 0.95, resamples: int = RESAMPLES, seed: int = 2014) -> tuple[float, float]:
    """The ``level`` interval of ``statistic`` (the mean) of ``values``, by a seeded bootstrap."""
    values = list(values)
    if len(values) < 2:
        return (values[0], values[0]) if values else (math.nan, math.nan)
    rng = random.Random(seed)
    estimates = sorted(statistic([values[rng.randrange(len(values))] for _ in values]) for _ in range(resamples))
    tail = (1 - level) / 2 * 100
    return (percentile(estimates, tail), percentile(estimates, 100 - tail))


def pooled_stats(groups: Sequence[Sequence[float]]) -> dict:
    """pytest-benchmark's ``stats`` fields over the pooled rounds, plus ``ci95``."""
    data = sorted(v for g in groups for v in g)
    q1, q3 = percentile(data, 25), percentile(data, 75)
    return {"min": data[0], "max": data[-1], "mean": statistics.fmean(data),
            "stddev": statistics.stdev(data) if len(data) > 1 else 0.0,
            "rounds": len(data), "median": statistics.median(data), "q1": q1, "q3": q3, "iqr": q3 - q1,
            "ops": 1 / statistics.fmean(data), "total": sum(data), "iterations": 1,
            "data": [v for g in groups for v in g], "ci95": list(bootstrap_median_ci(groups)),
            **_outliers(data, q1, q3)}


def _outliers(data: list[float], q1: float, q3: float) -> dict:
    """pytest-benchmark's outlier fields over sorted ``data`` (its ``compare`` reads them):
    ``"a;b"`` = rounds beyond one standard deviation from the mean; beyond 1.5 IQR."""
    mean = statistics.fmean(data)
    stddev = statistics.stdev(data) if len(data) > 1 else 0.0
    iqr = q3 - q1
    low, high = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    inside = [v for v in data if low <= v <= high] or data
    beyond_sd = sum(1 for v in data if abs(v - mean) > stddev)
    beyond_iqr = len(data) - len([v for v in data if low <= v <= high])
    return {"ld15iqr": inside[0], "hd15iqr": inside[-1], "iqr_outliers": beyond_iqr,
            "stddev_outliers": beyond_sd, "outliers": f"{beyond_sd};{beyond_iqr}"}


def duet_relatives(entry: dict) -> list[float]:
    """An entry's duets (``test_workloads``): each timed round's time over the reference's
    round just before it, on the workload's clock; empty without duets."""
    extra = entry.get("extra_info") or {}
    clock = extra.get("clock")
    mine, ref = extra.get(f"{clock}_s") or [], extra.get(f"ref_{clock}_s") or []
    if not clock or not ref or len(ref) != len(mine):
        return []
    return [m / r for m, r in zip(mine, ref) if r > 0 and m > 0]


def clock_rounds(entry: dict) -> list[float]:
    """An entry's timed rounds on its workload's clock (``extra_info["clock"]``): the
    ``cpu_s`` or ``wall_s`` the test recorded, else pytest-benchmark's own ``data``."""
    extra = entry.get("extra_info") or {}
    recorded = extra.get(f"{extra.get('clock')}_s") if extra.get("clock") else None
    return list(recorded) if recorded else list((entry.get("stats") or {}).get("data") or [])


#: The pass of a micro-suite test in its name (``test_workload[heap-tasks.switch-pass2]``).
_PASS = re.compile(r"-pass\d+(?=[\]-]|$)|(?<=\[)pass\d+-")


def merge(documents: Sequence[dict]) -> dict:
    """One pytest-benchmark document from several processes' (same tests, each with raw data).

    A test measured in several passes of one process (``pass1-``, ``pass2-``... in its
    name) is one entry: its passes' rounds are that process's rounds. An entry present
    in only some documents (a test that skipped in one process) keeps the rounds it has.
    """
    if not documents:
        return {"benchmarks": []}
    merged = dict(documents[0])
    order: list[str] = []
    entries: dict[str, dict] = {}
    rounds: dict[str, list[list[float]]] = {}
    round_ids: dict[str, list[str]] = {}
    relatives: dict[str, dict[str, float]] = {}     # key -> round -> median of the duets' time / reference's
    clocks: dict[str, list[float]] = {}            # key -> [wall seconds, cpu seconds]
    for index, document in enumerate(documents):
        mine: dict[str, list[float]] = {}
        ids: dict[str, str] = {}
        for entry in document.get("benchmarks", []):
            key = _PASS.sub("", entry.get("fullname") or entry.get("name", ""))
            if key not in entries:
                order.append(key)
                entries[key] = _without_pass(entry)
                rounds[key], round_ids[key] = [], []
            extra = entry.get("extra_info") or {}
            data = clock_rounds(entry)
            if data:
                mine.setdefault(key, []).extend(data)
                ids[key] = str(extra.get("round", index))
            duets = duet_relatives(entry)
            if duets:
                relatives.setdefault(key, {})[str(extra.get("round", index))] = statistics.median(duets)
            if extra.get("wall_s") and extra.get("cpu_s"):
                total = clocks.setdefault(key, [0.0, 0.0])
                total[0] += sum(extra["wall_s"])
                total[1] += sum(extra["cpu_s"])
        for key, data in mine.items():
            rounds[key].append(data)
            round_ids[key].append(ids[key])
    benchmarks = []
    for key in order:
        entry = dict(entries[key])
        extra = dict(entry.get("extra_info") or {})
        for recorded in ("cpu_s", "wall_s", "ref_cpu_s", "ref_wall_s", "round"):
            extra.pop(recorded, None)
        if rounds[key]:
            entry["stats"] = pooled_stats(rounds[key])
            extra["processes"] = len(rounds[key])
            extra["process_medians"] = [statistics.median(g) for g in rounds[key]]
            extra["round_medians"] = {rid: statistics.median(g) for rid, g in zip(round_ids[key], rounds[key])}
            if key in relatives:
                extra["relative_medians"] = relatives[key]
            if key in clocks and clocks[key][1] > 0:
                extra["wall_per_cpu"] = clocks[key][0] / clocks[key][1]
        entry["extra_info"] = extra
        benchmarks.append(entry)
    merged["benchmarks"] = benchmarks
    return merged


def _without_pass(entry: dict) -> dict:
    """The entry named as if measured in one pass."""
    entry = dict(entry)
    for field in ("name", "fullname", "param"):
        if isinstance(entry.get(field), str):
            entry[field] = _PASS.sub("", entry[field])
    if isinstance(entry.get("params"), dict):
        entry["params"] = {k: v for k, v in entry["params"].items() if k != "pass_"}
    return entry


def relative_halfwidth(value: float, ci: Sequence[float] | None) -> float | None:
    """The interval's larger distance from ``value``, as a fraction of it (0.05: ±5%)."""
    if not ci or value in (0, None) or any(c is None or math.isnan(c) for c in ci):
        return None
    return max(abs(value - ci[0]), abs(ci[1] - value)) / abs(value)

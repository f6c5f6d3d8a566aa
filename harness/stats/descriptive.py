"""Small statistics for latency results: percentiles, spread, and log-log slopes."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of already-sorted values, linearly interpolated."""
    if not sorted_values:
        return math.nan
    if len(sorted_values) == 1:
        return float(sorted_values[0])
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo))


def distribution(values: Sequence[float], scale: float = 1e6) -> dict:
    """min/p50/p90/p99/max/mean of ``values`` (seconds) in microseconds by default, plus n."""
    ordered = sorted(v * scale for v in values)
    if not ordered:
        return {"n": 0}
    return {"n": len(ordered), "min": ordered[0], "p50": percentile(ordered, 50),
            "p90": percentile(ordered, 90), "p99": percentile(ordered, 99), "max": ordered[-1],
            "mean": statistics.fmean(ordered)}


def median_and_spread(values: Sequence[float]) -> dict:
    """Median, min, max and the relative spread ((max-min)/median) of repeated measurements."""
    if not values:
        return {"n": 0}
    med = statistics.median(values)
    return {"n": len(values), "median": med, "min": min(values), "max": max(values),
            "spread": (max(values) - min(values)) / med if med else math.nan}


def loglog_slope(ns: Sequence[float], per_op: Sequence[float]) -> float | None:
    """Least-squares slope of log(per-op time) against log(N).

    About 0 for O(1) per operation, small and positive for O(log n), about 1 for O(n).
    """
    points = [(math.log(n), math.log(t)) for n, t in zip(ns, per_op) if n > 0 and t > 0]
    if len(points) < 2:
        return None
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx

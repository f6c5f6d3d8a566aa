"""Paired ratios: each runtime against the reference, round by round, with a 95% interval.

A run of the micro-suite is a series of **rounds**; each round is one fresh worker
process that measures every runtime, in a shuffled order, close together in time
(``harness.workloads.microbench``). Whatever the machine was doing during a round (a
neighbour's build, a slower moment of a shared VM) it did to every runtime of that
round, so the ratio *within* a round cancels most of it. That is the paired design of
randomized multiple interleaved trials (Abedi & Brecht, ICPE 2017) and of duet
benchmarking (Bulej et al., ICPE 2020).

**Duets.** Within a round, each timed round of a runtime is run right after one of the
reference (``harness.workloads.microbench.test_workloads``): the round's value is then
the median over its duets of ``runtime time / reference time`` (``relative_medians``),
which cancels what the machine did at that moment too. Where duets were recorded they
are used; else the round medians of the two runtimes are paired.

For one runtime and one workload: per round r, ``x_r = log(reference median / runtime
median)`` (seconds per round, so > 0 means faster than the reference); the ratio shown
is ``exp(mean x)`` (the geometric mean of the per-round ratios) and its 95% interval
``exp(mean x ± t(0.975, n-1) · sd(x) / sqrt(n))``: Student's t on the log scale, from
scipy. Ratios are multiplicative, and their logs are close to normal across rounds once
each round's value is a median of several timed rounds; the t interval is exact for
normal data and honest (wide) with few rounds, where a bootstrap of 5 values is not.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

LEVEL = 0.95


@dataclass(frozen=True)
class PairedRatio:
    """A runtime's rate over the reference's, from ``rounds`` paired rounds."""
    ratio: float
    low: float | None                 #: the 95% interval; None with fewer than two rounds
    high: float | None
    rounds: int

    @property
    def halfwidth(self) -> float | None:
        """The interval's larger distance from the ratio, as a fraction of it (0.05: ±5%)."""
        if self.low is None or self.high is None:
            return None
        return max(self.ratio / self.low - 1, self.high / self.ratio - 1)

    @property
    def separated(self) -> bool:
        """The interval excludes 1: better or worse than the reference, not a tie."""
        return self.low is not None and (self.low > 1 or self.high < 1)

    def as_dict(self) -> dict:
        return {"ratio": self.ratio, "ci95": [self.low, self.high] if self.low is not None else None,
                "rounds": self.rounds, "halfwidth": self.halfwidth}


def paired_ratio(times: dict[str, float], reference: dict[str, float], level: float = LEVEL) -> PairedRatio | None:
    """The rate ratio of ``times`` to ``reference`` (both: round -> seconds per round), over
    the rounds both have; None if they share none."""
    common = [r for r in times if r in reference and times[r] > 0 and reference[r] > 0]
    if not common:
        return None
    logs = [math.log(reference[r] / times[r]) for r in common]
    mean = statistics.fmean(logs)
    if len(logs) < 2:
        return PairedRatio(math.exp(mean), None, None, len(logs))
    from scipy.stats import t

    half = t.ppf(0.5 + level / 2, len(logs) - 1) * statistics.stdev(logs) / math.sqrt(len(logs))
    return PairedRatio(math.exp(mean), math.exp(mean - half), math.exp(mean + half), len(logs))


def paired_ratios(document: dict | None, reference: str = "asyncio") -> dict[tuple[str, str], PairedRatio]:
    """(workload, runtime) -> its paired ratio to ``reference``, for every micro-suite entry
    with per-round medians (``extra_info["round_medians"]``, from ``samples.merge``) whose
    workload the reference also measured. Harness-built (emulated) rows are left out."""
    by_cell: dict[tuple[str, str], dict] = {}
    for entry in (document or {}).get("benchmarks", []):
        extra = entry.get("extra_info") or {}
        if extra.get("family") == "floor" or not extra.get("workload") or not extra.get("runtime"):
            continue
        if extra.get("round_medians") or extra.get("relative_medians"):
            by_cell[(extra["workload"], extra["runtime"])] = extra
    out = {}
    for (workload, runtime), extra in by_cell.items():
        ref = by_cell.get((workload, reference))
        if runtime == reference or extra.get("emulated"):
            continue
        if extra.get("relative_medians"):                 # duets: time relative to the reference's
            ratio = paired_ratio(extra["relative_medians"], {r: 1.0 for r in extra["relative_medians"]})
        elif ref is not None and ref.get("round_medians") and extra.get("round_medians"):
            ratio = paired_ratio(extra["round_medians"], ref["round_medians"])
        else:
            ratio = None
        if ratio is not None:
            out[(workload, runtime)] = ratio
    return out


def relative_times(extra: dict, reference: str = "asyncio") -> dict[str, float] | None:
    """A cell's per-round times in units comparable across runtimes of one workload: relative
    to the reference's (duets; the reference itself is 1.0), else its round medians."""
    if extra.get("relative_medians"):
        return dict(extra["relative_medians"])
    if extra.get("runtime") == reference and extra.get("round_medians"):
        return {r: 1.0 for r in extra["round_medians"]}
    return None


def widest(ratios: dict[tuple[str, str], PairedRatio]) -> float | None:
    """The largest half-width among ``ratios`` (inf if one has no interval yet); None if empty."""
    if not ratios:
        return None
    return max(math.inf if r.halfwidth is None else r.halfwidth for r in ratios.values())


def ratio_to_baseline(contender: list[list[float]], baseline: list[list[float]]) -> dict:
    """``{"ratio", "ci95": [lo, hi], "per_round": [...], "rounds": n}``: the contender's
    *values* (seconds, CPU seconds per request...) over the baseline's, round by round.

    ``contender[r]`` and ``baseline[r]`` are the values of round r (the real workloads
    record several per round); each round is reduced to its median, and the rounds are
    paired as ``paired_ratio`` pairs them (the same t interval on the log scale). A round
    in which either side has no value is left out; with none in common the ratio is NaN.
    Raises ValueError when the two do not have the same number of rounds.
    """
    if len(contender) != len(baseline):
        raise ValueError(f"{len(contender)} contender rounds against {len(baseline)} baseline rounds")
    mine = {r: statistics.median(v) for r, v in enumerate(contender) if v}
    theirs = {r: statistics.median(v) for r, v in enumerate(baseline) if v}
    # paired_ratio gives reference / times: the contender as the "reference" gives contender / baseline
    found = paired_ratio(theirs, mine)
    if found is None:
        return {"ratio": math.nan, "ci95": [math.nan, math.nan], "per_round": [], "rounds": 0}
    common = [r for r in mine if r in theirs and mine[r] > 0 and theirs[r] > 0]
    return {"ratio": found.ratio, "ci95": [found.low, found.high] if found.low is not None else [math.nan, math.nan],
            "per_round": [mine[r] / theirs[r] for r in common], "rounds": found.rounds}


__all__ = ["LEVEL", "PairedRatio", "paired_ratio", "paired_ratios", "ratio_to_baseline", "widest"]

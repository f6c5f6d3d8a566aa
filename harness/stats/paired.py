"""A contender's ratio to a baseline measured in the same rounds, with a 95% interval.

When runtimes are interleaved round by round (each round runs every runtime once, in
fresh processes, one after the other), the machine's drift during a run hits a round's
runtimes alike. So a contender is compared with the baseline *of its own round*: each of
its values in round r is divided by the median of the baseline's values in round r.
The ratio shown is the median of those per-value ratios; its 95% interval is
``samples.bootstrap_median_ci`` over them, grouped by round (resample the rounds, then the
values within each): with few rounds the interval is wide, as it should be.
A round in which either side has no value is left out.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from .samples import bootstrap_median_ci


def ratio_to_baseline(contender: Sequence[Sequence[float]], baseline: Sequence[Sequence[float]]) -> dict:
    """``{"ratio", "ci95": [lo, hi], "per_round": [...], "rounds": n}`` for contender / baseline.

    ``contender[r]`` and ``baseline[r]`` are the values (e.g. seconds, or CPU seconds per
    request) of round r. With no round in common: ratio NaN, ci95 [NaN, NaN], rounds 0.
    Raises ValueError when the two do not have the same number of rounds.
    """
    if len(contender) != len(baseline):
        raise ValueError(f"{len(contender)} contender rounds against {len(baseline)} baseline rounds")
    groups, per_round = [], []
    for mine, theirs in zip(contender, baseline):
        if not mine or not theirs:
            continue
        reference = statistics.median(theirs)
        if reference == 0:
            continue
        groups.append([v / reference for v in mine])
        per_round.append(statistics.median(mine) / reference)
    if not groups:
        return {"ratio": math.nan, "ci95": [math.nan, math.nan], "per_round": [], "rounds": 0}
    pooled = [v for g in groups for v in g]
    return {"ratio": statistics.median(pooled), "ci95": list(bootstrap_median_ci(groups)),
            "per_round": per_round, "rounds": len(groups)}

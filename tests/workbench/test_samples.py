"""Numbers with confidence (harness/samples.py) and how the report reads them."""

import pytest

from harness import samples
from harness.report.model import Cell, Measure, Row, _finish_row


def test_the_bootstrap_interval_holds_the_median_and_is_repeatable():
    groups = [[1.0, 1.1], [0.9, 1.0], [1.2, 1.1], [1.0, 1.05], [0.95, 1.0]]
    lo, hi = samples.bootstrap_median_ci(groups)
    assert lo <= 1.0 <= hi and hi - lo < 0.3
    assert samples.bootstrap_median_ci(groups) == (lo, hi)            # seeded
    assert samples.bootstrap_median_ci([[2.0]]) == (2.0, 2.0)
    tight = samples.bootstrap_median_ci([[1.0, 1.0]] * 5)
    assert tight == (1.0, 1.0)


def test_merge_pools_the_processes_rounds_per_test():
    def doc(data_by_name):
        return {"machine_info": {}, "benchmarks": [
            {"name": n, "fullname": n, "stats": {"data": d, "median": d[0]}, "extra_info": {"runtime": n}}
            for n, d in data_by_name.items()]}
    merged = samples.merge([doc({"a": [1.0, 3.0], "b": [5.0]}), doc({"a": [2.0, 2.0]})])
    a, b = merged["benchmarks"]
    assert a["stats"]["data"] == [1.0, 3.0, 2.0, 2.0] and a["stats"]["median"] == 2.0
    assert a["stats"]["rounds"] == 4 and a["extra_info"]["processes"] == 2
    assert a["extra_info"]["process_medians"] == [2.0, 2.0]
    assert a["stats"]["ci95"][0] <= 2.0 <= a["stats"]["ci95"][1]
    assert b["extra_info"]["processes"] == 1 and b["stats"]["median"] == 5.0   # only one process had it


def row(cells, better="higher"):
    return _finish_row(Row(Measure("m", "m", better, "ops/s"), cells), list(cells))


def test_best_needs_a_narrow_interval_that_overlaps_no_other():
    clear = row({"a": Cell(value=100.0, ci=(98.0, 102.0)), "b": Cell(value=80.0, ci=(79.0, 81.0))})
    assert clear.cells["a"].best and not clear.cells["b"].best
    tie = row({"a": Cell(value=100.0, ci=(97.0, 103.0)), "b": Cell(value=98.0, ci=(96.0, 100.0))})
    assert not any(c.best for c in tie.cells.values())                 # the intervals meet
    wide = row({"a": Cell(value=100.0, ci=(60.0, 140.0)), "b": Cell(value=80.0, ci=(79.0, 81.0))})
    assert wide.cells["a"].wide and not wide.cells["a"].best           # ±40%: marked, never best
    assert wide.noisy
    assert wide.cells["a"].halfwidth == pytest.approx(0.4)


def test_a_slow_runtime_with_a_narrow_interval_is_never_the_best():
    slow = row({"fast": Cell(value=100.0, ci=(60.0, 140.0)), "slow": Cell(value=1.0, ci=(1.0, 1.0))})
    assert not slow.cells["slow"].best and not slow.cells["fast"].best     # the fastest is too uncertain

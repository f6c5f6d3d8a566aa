"""Paired rounds (``harness.stats.paired``), the clock a merged row keeps, and skipped cells."""

from __future__ import annotations

import math

import pytest

from harness.report.model import benchmark_rows
from harness.stats import paired, samples


def test_a_ratio_paired_by_round_cancels_what_the_round_did_to_both():
    # The machine slowed rounds 1 and 2 down by 3x for both runtimes: the pairs still read 2x.
    reference = {"0": 2.0, "1": 6.0, "2": 6.2, "3": 2.1}
    runtime = {"0": 1.0, "1": 3.0, "2": 3.1, "3": 1.05}
    ratio = paired.paired_ratio(runtime, reference)
    assert ratio.ratio == pytest.approx(2.0) and ratio.rounds == 4
    assert ratio.halfwidth < 1e-9 and ratio.separated


def test_the_interval_is_students_t_on_the_log_of_the_ratios():
    from scipy.stats import t

    logs = [0.0, 0.1, -0.1, 0.05]
    reference = {str(i): math.exp(x) for i, x in enumerate(logs)}
    ratio = paired.paired_ratio({str(i): 1.0 for i in range(4)}, reference)
    mean = sum(logs) / 4
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / 3)
    half = t.ppf(0.975, 3) * sd / 2
    assert ratio.low == pytest.approx(math.exp(mean - half)) and ratio.high == pytest.approx(math.exp(mean + half))
    assert not ratio.separated                                     # 1 is inside: a tie


def test_only_the_rounds_both_ran_are_paired_and_one_round_has_no_interval():
    ratio = paired.paired_ratio({"0": 1.0, "5": 9.0}, {"0": 2.0, "1": 2.0})
    assert ratio.rounds == 1 and ratio.ratio == pytest.approx(2.0) and ratio.halfwidth is None
    assert paired.paired_ratio({"0": 1.0}, {"1": 1.0}) is None
    assert paired.widest({("w", "x"): ratio}) == math.inf


def _process(round_: int, cpu: dict[str, list[float]], wall: dict[str, list[float]], clock="cpu") -> dict:
    return {"benchmarks": [{"name": f"test_workload[{rt}-tasks.switch]", "fullname": f"t[{rt}]",
                            "stats": {"data": cpu[rt]},
                            "extra_info": {"workload": "tasks.switch", "runtime": rt, "ops_per_round": 100,
                                           "clock": clock, "cpu_s": cpu[rt], "wall_s": wall[rt], "round": round_}}
                           for rt in cpu]}


def test_merge_keeps_the_workloads_clock_pairs_by_round_and_records_wall_over_cpu():
    documents = [_process(r, {"asyncio": [2.0, 2.0], "heap": [1.0, 1.0]},
                          {"asyncio": [4.0, 4.0], "heap": [3.0, 3.0]}) for r in range(3)]
    merged = samples.merge(documents)
    heap = next(b for b in merged["benchmarks"] if b["extra_info"]["runtime"] == "heap")
    assert heap["stats"]["median"] == 1.0                           # CPU time, not the wall's 3.0
    assert heap["extra_info"]["round_medians"] == {"0": 1.0, "1": 1.0, "2": 1.0}
    assert heap["extra_info"]["wall_per_cpu"] == pytest.approx(3.0)
    assert "cpu_s" not in heap["extra_info"] and heap["stats"]["outliers"] == "0;0"
    walled = samples.merge([_process(0, {"heap": [1.0]}, {"heap": [3.0]}, clock="wall")])
    assert walled["benchmarks"][0]["stats"]["median"] == 3.0


def test_a_row_shows_paired_ratios_and_keeps_a_skipped_cell_with_its_reason():
    documents = [_process(r, {"asyncio": [2.0 * s], "heap": [1.0 * s]}, {"asyncio": [2.0], "heap": [1.0]})
                 for r, s in enumerate((1.0, 1.5, 0.8))]
    merged = samples.merge(documents)
    merged["skipped"] = [{"workload": "tasks.switch", "runtime": "curio", "reason": "too slow: one round predicted"},
                         {"workload": "tasks.switch", "runtime": "tinyio", "reason": "unsupported: no sleep"}]
    (row,) = benchmark_rows(merged, ["asyncio", "heap", "curio", "tinyio"])
    heap = row.cells["heap"]
    assert heap.ratio == pytest.approx(2.0) and heap.ratio_ci == pytest.approx((2.0, 2.0))
    assert row.cells["curio"].status == "skipped" and "too slow" in row.cells["curio"].note
    assert row.cells["tinyio"].status == "unsupported"
    assert row.precision == pytest.approx(0.0, abs=1e-9)


def test_a_best_needs_a_five_percent_gap_not_only_clear_intervals():
    from harness.report.model import REFERENCE, Cell, Row, _finish_row, HARNESS_MEASURES

    memory = next(m for m in HARNESS_MEASURES if m.key == "memory")
    close = Row(memory, {REFERENCE: Cell(value=1000.0, ci=(999.0, 1001.0)), "rloop": Cell(value=990.0, ci=(989.0, 991.0))})
    assert not any(c.best for c in _finish_row(close, [REFERENCE, "rloop"]).cells.values())   # 1%: a tie
    apart = Row(memory, {REFERENCE: Cell(value=1000.0, ci=(999.0, 1001.0)), "rloop": Cell(value=700.0, ci=(699.0, 701.0))})
    assert _finish_row(apart, [REFERENCE, "rloop"]).cells["rloop"].best


def test_a_workload_best_is_decided_round_by_round():
    documents = [_process(r, {"asyncio": [2.0 * s], "heap": [1.0 * s], "rloop": [1.02 * s]},
                          {"asyncio": [2.0], "heap": [1.0], "rloop": [1.0]}) for r, s in enumerate((1.0, 1.5, 0.8))]
    (row,) = benchmark_rows(samples.merge(documents), ["asyncio", "heap", "rloop"])
    assert not any(c.best for c in row.cells.values())          # heap 2% ahead of rloop: a tie
    documents = [_process(r, {"asyncio": [2.0 * s], "heap": [1.0 * s]}, {"asyncio": [2.0], "heap": [1.0]})
                 for r, s in enumerate((1.0, 1.5, 0.8))]
    (row,) = benchmark_rows(samples.merge(documents), ["asyncio", "heap"])
    assert row.cells["heap"].best

"""Numbers with confidence (harness/stats/samples.py) and how the report reads them."""

import pytest

from harness.stats import samples
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


def test_a_sampled_cell_pools_its_processes_numbers_as_medians_and_joins_raw_samples():
    from harness.results.records import pool_processes

    def rec(p99, samples, status="observed"):
        return {"runtime": "heap", "scenario": "latency.sleep_lateness", "status": status, "duration_s": 1.0,
                "metrics": {"perf_counter_us": {"n": 100, "p99": p99}, "samples_perf_us": samples, "delay_s": 0.001}}

    pooled = pool_processes([rec(300.0, [1.0]), rec(100.0, [2.0]), rec(200.0, [3.0])])
    assert pooled["metrics"]["perf_counter_us"]["p99"] == 200.0
    assert pooled["metrics"]["perf_counter_us"]["n"] == 300                  # counts add up
    assert pooled["metrics"]["samples_perf_us"] == [1.0, 2.0, 3.0]
    assert [m["perf_counter_us"]["p99"] for m in pooled["metrics_by_process"]] == [300.0, 100.0, 200.0]
    assert pooled["processes"] == 3 and pooled["duration_s"] == 3.0
    broken = pool_processes([rec(300.0, [1.0]), {"runtime": "heap", "status": "timeout", "error": "no result"}])
    assert broken["status"] == "timeout" and broken["metrics_by_process"][0]["perf_counter_us"]["p99"] == 300.0


def test_share_divides_the_samples_among_the_processes(monkeypatch):
    from harness.execution import profile

    assert profile.share(500) == 500
    monkeypatch.setenv(profile.SHARE_VAR, "5")
    assert profile.share(500) == 100 and profile.share(3) == 1 and profile.share(501) == 101


def test_a_sampled_row_gets_its_interval_from_the_processes():
    from harness.report.model import harness_rows

    values = [180.0, 200.0, 190.0, 210.0, 205.0]
    record = {"status": "observed", "metrics": {"perf_counter_us": {"p90": 200.0}},
              "metrics_by_process": [{"perf_counter_us": {"p90": v}} for v in values]}
    (row,) = [r for r in harness_rows({("heap", "latency.sleep_lateness"): record}, ["heap"])
              if r.measure.key == "sleep_p90"]
    cell = row.cells["heap"]
    assert cell.samples == values and cell.ci[0] <= 200.0 <= cell.ci[1]
    assert min(values) <= cell.ci[0] and cell.ci[1] <= max(values)


def test_the_echo_rate_has_an_interval_from_slices_of_its_run():
    from harness.workloads.echoload import slice_rates

    rates = slice_rates([0.05, 0.15, 0.16, 0.95], 1.0, slices=10)
    assert rates[0] == 10.0 and rates[1] == 20.0 and rates[9] == 10.0 and sum(rates) == 40.0
    lo, hi = samples.bootstrap_ci([10.0, 12.0, 11.0, 9.0, 10.5])
    assert lo < 10.5 < hi and samples.bootstrap_ci([10.0, 12.0, 11.0, 9.0, 10.5]) == (lo, hi)


def test_a_lateness_percentile_pools_every_process_raw_samples():
    from harness.report.model import harness_rows

    per_process = [[100.0 + i for i in range(100)], [200.0 + i for i in range(100)], [150.0 + i for i in range(100)]]
    record = {"status": "observed", "metrics": {"perf_counter_us": {"p50": 0.0, "p90": 0.0}},
              "metrics_by_process": [{"perf_counter_us": {"p50": sorted(g)[50], "p90": sorted(g)[89]},
                                      "samples_perf_us": g} for g in per_process]}
    rows = {r.measure.key: r for r in harness_rows({("heap", "latency.sleep_lateness"): record}, ["heap"])}
    pooled = sorted(v for g in per_process for v in g)
    p50, p90 = rows["sleep_p50"].cells["heap"], rows["sleep_p90"].cells["heap"]
    assert p50.value == pytest.approx(pooled[149] + 0.5) and p90.value > 265           # of all 300 samples
    assert p50.ci[0] < p50.value < p50.ci[1] and p90.ci[0] <= p90.value <= p90.ci[1]


def test_a_tail_percentile_needs_enough_samples_beyond_it():
    from harness.report.model import enough_samples, harness_rows

    assert enough_samples(90, 100) and not enough_samples(90, 99)
    assert enough_samples(99, 1_000) and not enough_samples(99, 300)
    few = [[100.0 + i for i in range(20)], [200.0 + i for i in range(20)]]
    record = {"status": "observed", "metrics": {"perf_counter_us": {"p50": 0.0, "p90": 0.0}},
              "metrics_by_process": [{"perf_counter_us": {"p50": 1.0, "p90": 2.0}, "samples_perf_us": g}
                                     for g in few]}
    rows = {r.measure.key: r for r in harness_rows({("heap", "latency.sleep_lateness"): record}, ["heap"])}
    assert rows["sleep_p50"].cells["heap"].status == "ok"                               # 40 samples: a median
    late = rows["sleep_p90"].cells["heap"]
    assert late.status == "few samples" and "at least 100 samples" in late.note and "has 40" in late.note


def test_only_firings_early_beyond_the_clocks_resolution_count_as_early():
    from harness.scenarios.latency import EARLY_BEYOND_S, early

    assert early([-1.8e-12, 0.0, 5e-6]) == 0                    # float rounding is not early
    assert early([-2 * EARLY_BEYOND_S, -0.001, 1e-3]) == 2


def test_the_vectorised_percentile_interval_agrees_with_the_plain_bootstrap():
    import random
    from harness.stats.descriptive import percentile

    rng = random.Random(7)
    groups = [[rng.expovariate(1 / 100) for _ in range(80)] for _ in range(4)] + [[rng.expovariate(1 / 100)
                                                                                  for _ in range(60)]]
    fast = samples.bootstrap_percentile_ci(groups, 90)
    plain = samples.bootstrap_median_ci(groups, statistic=lambda d: percentile(sorted(d), 90))
    assert fast == samples.bootstrap_percentile_ci(groups, 90)             # seeded: repeatable
    assert fast[0] < fast[1] and abs(fast[0] - plain[0]) / plain[0] < 0.1 and abs(fast[1] - plain[1]) / plain[1] < 0.1


def test_the_passes_of_one_process_are_one_entry_with_all_their_rounds():
    def entry(pass_, data):
        name = f"test_workload[heap-tasks.switch-pass{pass_}]"
        return {"name": name, "fullname": f"test_workloads.py::{name}", "param": f"heap-tasks.switch-pass{pass_}",
                "params": {"pass_": pass_ - 1, "workload": "tasks.switch"}, "stats": {"data": data},
                "extra_info": {"workload": "tasks.switch", "runtime": "heap"}}

    process_1 = {"benchmarks": [entry(1, [1.0, 1.1]), entry(2, [1.2])]}
    process_2 = {"benchmarks": [entry(1, [2.0]), entry(2, [2.1, 2.2])]}
    (merged,) = samples.merge([process_1, process_2])["benchmarks"]
    assert merged["name"] == "test_workload[heap-tasks.switch]" and merged["param"] == "heap-tasks.switch"
    assert "pass_" not in merged["params"]
    assert merged["extra_info"]["processes"] == 2 and merged["stats"]["rounds"] == 6
    assert merged["extra_info"]["process_medians"] == [1.1, 2.1]

"""`loopbench compare`: a significance test per workload, refusals, and --fail-on for CI."""

import json
import random

import pytest

from harness.results import records as results
from harness.stats import samples
from harness.cli.main import main
from harness.report.compare import compare

ENV = {"python": "3.11.7", "cpu": "Test CPU", "cpu_count": 2, "libraries": {"trio": "0.35.0"}, "profile": "default"}


def run(directory, seconds_by_runtime, ops=20_000, env=ENV, seed=0):
    """A saved run whose micro-suite timed spawn+join: 5 processes x 1 round per runtime."""
    rng = random.Random(seed)
    directory.mkdir(parents=True)
    benchmarks = []
    for rt, seconds in seconds_by_runtime.items():
        data = [seconds * rng.uniform(0.98, 1.02) for _ in range(5)]
        benchmarks.append({"name": f"test_workload[{rt}-tasks.spawn_join]", "fullname": rt,
                           "stats": {"data": data, "median": sorted(data)[2], "iqr": 0.0,
                                     "ci95": list(samples.bootstrap_median_ci([[v] for v in data]))},
                           "extra_info": {"workload": "tasks.spawn_join", "runtime": rt, "ops_per_round": ops,
                                          "unit": "tasks", "profile": env["profile"]}})
    (directory / "benchmark.json").write_text(json.dumps({"benchmarks": benchmarks}))
    (directory / "environment.json").write_text(json.dumps(env))
    results.append(directory / "results.jsonl", {"schema": 1, "run_id": "t", "runtime": "heap", "family": "loopbench",
                                                 "scenario": "timers.slides", "group": "timers", "kind": "behaviour",
                                                 "status": "pass", "env": env, "outcomes": [{"trace": [1], "count": 1}]})
    return directory


def test_a_planted_regression_is_significant_and_fails_the_build(tmp_path, capsys):
    a = run(tmp_path / "a", {"heap": 0.010, "asyncio": 0.020})
    b = run(tmp_path / "b", {"heap": 0.013, "asyncio": 0.020}, seed=1)      # heap 30% slower
    comparison = compare(a, b)
    heap = next(c for c in comparison.changes if c.runtime == "heap")
    asyncio_ = next(c for c in comparison.changes if c.runtime == "asyncio")
    assert heap.significant and heap.verdict == "WORSE" and heap.p_value < 0.05
    assert heap.worse_by == pytest.approx(1 - 0.010 / 0.013, abs=0.03)
    assert not asyncio_.significant
    assert main(["compare", str(a), str(b), "--fail-on", "5"]) == 1
    assert "worse than 5%" in capsys.readouterr().err
    assert main(["compare", str(a), str(b), "--fail-on", "50"]) == 0         # 30% is within 50%


def test_a_run_compared_with_itself_passes(tmp_path):
    a = run(tmp_path / "a", {"heap": 0.010, "asyncio": 0.020})
    assert main(["compare", str(a), str(a), "--fail-on", "5"]) == 0
    assert not any(c.significant for c in compare(a, a).changes)


def test_runs_of_other_sizes_or_profiles_are_refused_with_the_reason(tmp_path, capsys):
    a = run(tmp_path / "a", {"heap": 0.010})
    smaller = run(tmp_path / "small", {"heap": 0.001}, ops=2_000)
    assert main(["compare", str(a), str(smaller)]) == 1
    err = capsys.readouterr().err
    assert "different sizes" in err and "20,000 vs 2,000" in err
    quick = run(tmp_path / "quick", {"heap": 0.001}, env=dict(ENV, profile="quick"))
    assert main(["compare", str(a), str(quick)]) == 1
    assert "quick profile" in capsys.readouterr().err


def test_the_environment_difference_is_said_first(tmp_path, capsys):
    a = run(tmp_path / "a", {"heap": 0.010})
    b = run(tmp_path / "b", {"heap": 0.010}, env=dict(ENV, python="3.13.0", libraries={"trio": "0.36.0"}))
    assert ("python", "3.11.7", "3.13.0") in compare(a, b).environment
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "different environments" in out and "3.11.7 -> 3.13.0" in out and "0.35.0 -> 0.36.0" in out


def _with_handoff(directory, values):
    """Add a sampled latency.switch_event cell (one value per process) for heap."""
    results.append(directory / "results.jsonl", {
        "schema": 1, "run_id": "t", "runtime": "heap", "family": "loopbench", "scenario": "latency.switch_event",
        "group": "latency", "kind": "latency", "status": "observed", "env": ENV, "processes": len(values),
        "metrics": {"handoff_us": {"median": sorted(values)[len(values) // 2]}},
        "metrics_by_process": [{"handoff_us": {"median": v}} for v in values]})


def test_a_sampled_latency_row_is_tested_on_its_processes_values(tmp_path):
    a = run(tmp_path / "a", {"heap": 0.010})
    b = run(tmp_path / "b", {"heap": 0.010}, seed=1)
    _with_handoff(a, [10.0, 10.2, 9.9, 10.1, 10.0])
    _with_handoff(b, [13.0, 13.1, 12.9, 13.2, 13.0])                  # 30% slower hand-off
    change = next(c for c in compare(a, b).changes if c.measure.startswith("hand-off"))
    assert change.p_value is not None and change.p_value < 0.05 and change.verdict == "WORSE"
    same = next(c for c in compare(a, a).changes if c.measure.startswith("hand-off"))
    assert same.p_value is not None and not same.significant


def test_compare_counts_the_cells_whose_intervals_overlap(tmp_path):
    a = run(tmp_path / "a", {"heap": 0.010, "asyncio": 0.020})
    b = run(tmp_path / "b", {"heap": 0.013, "asyncio": 0.020}, seed=1)      # heap moved; asyncio did not
    overlap, cells = compare(a, b).agreement
    assert cells == 2 and overlap == 1
    assert compare(a, a).agreement == (2, 2)


def test_a_machine_that_ran_slower_is_named_among_the_differences(tmp_path):
    def steady(median_us):
        return dict(ENV, preflight={"steadiness": {"runs": 1000, "median_us": median_us, "fastest": 0.9,
                                                   "slowest": 1.1, "spread": 0.1}})
    a = run(tmp_path / "a", {"heap": 0.010}, env=steady(900.0))
    b = run(tmp_path / "b", {"heap": 0.013}, env=steady(1300.0), seed=1)
    (what, x, y) = next(d for d in compare(a, b).environment if d[0].startswith("machine speed"))
    assert x == "900" and y.startswith("1300 (1.44x)")
    c = run(tmp_path / "c", {"heap": 0.010}, env=steady(950.0), seed=2)
    assert not any(d[0].startswith("machine speed") for d in compare(a, c).environment)


def _paired_run(directory, heap_factor=1.0, load=1.0, share=1.0, seed=0):
    """A run in 6 paired rounds: asyncio and heap in each, the machine slowing both by ``load``."""
    rng = random.Random(seed)
    directory.mkdir(parents=True)
    documents = []
    for r in range(6):
        slow = load * rng.uniform(0.8, 1.3)                 # the round's moment: both runtimes alike
        documents.append({"benchmarks": [
            {"name": f"test_workload[{rt}-tasks.spawn_join]", "fullname": rt, "stats": {"data": [t * slow]},
             "extra_info": {"workload": "tasks.spawn_join", "runtime": rt, "ops_per_round": 20_000, "unit": "tasks",
                            "profile": "default", "clock": "cpu", "cpu_s": [t * slow * rng.uniform(0.99, 1.01)],
                            "wall_s": [t * slow], "round": r}}
            for rt, t in (("asyncio", 0.02), ("heap", 0.01 * heap_factor))]})
    (directory / "benchmark.json").write_text(json.dumps(samples.merge(documents)))
    env = dict(ENV, preflight={"load_1min": 4.0, "cores": 2, "steadiness": {"median_us": 500.0, "cpu_share": share}})
    (directory / "environment.json").write_text(json.dumps(env))
    results.append(directory / "results.jsonl", {"schema": 1, "run_id": "t", "runtime": "heap", "family": "loopbench",
                                                 "scenario": "timers.slides", "group": "timers", "kind": "behaviour",
                                                 "status": "pass", "env": env, "outcomes": [{"trace": [1], "count": 1}]})
    return directory


def test_a_busier_machine_is_not_a_regression_but_a_real_one_still_is(tmp_path, capsys):
    a = _paired_run(tmp_path / "a")
    busier = _paired_run(tmp_path / "busier", load=1.6, share=0.55, seed=1)     # everything 60% slower
    comparison = compare(a, busier)
    heap = next(c for c in comparison.changes if c.runtime == "heap")
    asyncio_ = next(c for c in comparison.changes if c.runtime == "asyncio")
    assert "paired ratio" in heap.measure and not heap.significant            # the ratio held
    assert asyncio_.machine and asyncio_.verdict == "the machine's load changed" and not asyncio_.significant
    assert comparison.verdicts == (1, 1) and "55% of a core" in comparison.load[1]
    assert main(["compare", str(a), str(busier), "--fail-on", "5"]) == 0
    slower = _paired_run(tmp_path / "slower", heap_factor=1.3, load=1.6, share=0.55, seed=2)
    heap = next(c for c in compare(a, slower).changes if c.runtime == "heap")
    assert heap.significant and heap.verdict == "WORSE"
    assert main(["compare", str(a), str(slower), "--fail-on", "5"]) == 1


def test_an_empty_run_is_named_and_fails_under_fail_on(tmp_path, capsys):
    a = _paired_run(tmp_path / "a")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "results.jsonl").write_text("")
    assert main(["compare", str(a), str(empty), "--fail-on", "5"]) == 1
    assert "is empty" in capsys.readouterr().err
    assert main(["compare", str(a), str(empty)]) == 0
    assert "is empty" in capsys.readouterr().err


def test_fail_on_corrects_for_the_many_cells_it_tests():
    from harness.report.compare import Change, Comparison

    def change(p, ratio=0.9):
        return Change("m", "rt", 1.0, ratio, "higher", p_value=p, interval=(ratio - 0.02, ratio + 0.02))

    # 100 cells; the smallest p is 0.003: significant on its own, not as one of a hundred.
    comparison = Comparison(a=None, b=None, profile=None, changes=[change(0.003)] + [change(0.5, 1.0)] * 99)
    assert comparison.changes[0].significant
    assert comparison.regressions(5) == []
    # a real regression: p far below 0.05 / 100
    comparison.changes[0] = change(1e-6)
    assert comparison.regressions(5) == [comparison.changes[0]]
    assert comparison.regressions(20) == []                    # 10% worse is within 20%

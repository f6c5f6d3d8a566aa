"""The performance-target table (harness/report/targets.py) on synthetic run data."""

import json

import pytest

from harness.report import targets
from harness.report.model import load_run
from harness.report.render import render


#: Synthetic groups by their workload (the micro-suite records ``extra_info["workload"]``).
WORKLOAD_OF = {"call_soon chain": "callbacks.call_soon_chain", "arm+cancel churn": "timers.arm_cancel_churn",
               "floor": "callbacks.call_soon_chain", "task switch": "tasks.switch", "spawn+join": "tasks.spawn_join",
               "timers on the virtual clock": "timers.virtual_clock"}


def bench(group, runtime, median, iqr=0.0, family="loopbench", ops=None):
    workload = next(w for prefix, w in WORKLOAD_OF.items() if group.startswith(prefix))
    extra = {"runtime": runtime, "family": family, "workload": workload}
    if ops is not None:
        extra["ops_per_round"] = ops
    return {"group": group, "name": f"test[{runtime}]", "param": runtime,
            "stats": {"median": median, "iqr": iqr}, "extra_info": extra}


def cell(runtime, scenario, metrics, status="observed"):
    return {"runtime": runtime, "scenario": scenario, "status": status, "metrics": metrics}


def by_target(verdicts):
    return {(v.target.measure, v.target.subject, v.target.reference, v.target.stretch): v for v in verdicts}


def test_speed_ratio_is_reference_time_over_subject_time():
    data = {"benchmarks": [bench("call_soon chain (K=20000)", "heap", 0.025),
                           bench("call_soon chain (K=20000)", "asyncio", 0.060, family="peer"),
                           bench("call_soon chain (K=20000)", "uvloop", 0.020, family="peer")]}
    v = by_target(targets.evaluate(data, {}))
    heap = v["call_soon chain, callbacks/s", "heap", "asyncio", False]
    assert heap.ratio == pytest.approx(2.4)
    assert heap.met is True and heap.status == "met"
    stretch = v["call_soon chain, callbacks/s", "heap", "uvloop", False]
    assert stretch.ratio == pytest.approx(0.8)
    assert stretch.met is False and stretch.status == "not met"
    assert targets.describe(stretch)["why"], "a target not met gives its profiled reason"
    assert targets.describe(heap)["why"] == ""


def test_within_noise_is_said_but_does_not_change_the_verdict():
    # 1.96x against a 2.0x target, with 10% spread on each side: not met, within noise.
    data = {"benchmarks": [bench("arm+cancel churn", "heap", 0.050, iqr=0.005),
                           bench("arm+cancel churn", "asyncio", 0.098, iqr=0.0098, family="peer")]}
    heap = by_target(targets.evaluate(data, {}))["timer arm + cancel churn", "heap", "asyncio", False]
    assert heap.met is False
    assert heap.status == "not met (within noise)"


def test_lower_is_better_values_and_never_early():
    cells = {
        ("heap", "memory.sleeping_task"): cell("heap", "memory.sleeping_task",
                                               {"bytes_per_task": 1250.0, "n": 100_000}),
        ("asyncio", "memory.sleeping_task"): cell("asyncio", "memory.sleeping_task",
                                                  {"bytes_per_task": 1400.0, "n": 100_000}),
        ("heap", "latency.sleep_lateness"): cell("heap", "latency.sleep_lateness",
                                                 {"perf_counter_us": {"p99": 300.0, "min": -5.0}}),
        ("asyncio", "latency.sleep_lateness"): cell("asyncio", "latency.sleep_lateness",
                                                    {"perf_counter_us": {"p99": 250.0, "min": 40.0}}),
    }
    v = by_target(targets.evaluate(None, cells))
    memory = v["memory per sleeping task", "heap", "asyncio", False]
    assert memory.ratio == pytest.approx(1400 / 1250) and memory.met
    assert "N=100,000" in memory.subject.source
    p99 = v["timer lateness, 1 ms sleeps, p99", "heap", "asyncio", False]
    assert p99.ratio == pytest.approx(250 / 300) and p99.met is False
    early = v["timer lateness, 1 ms sleeps: never early (min)", "heap", "", False]
    assert early.met is False, "a negative minimum lateness is an early firing"


def test_missing_and_unsupported_sides_are_not_measured_never_guessed():
    cells = {("thread", "latency.threadsafe"): cell("thread", "latency.threadsafe", {}, status="timeout")}
    verdicts = targets.evaluate({"benchmarks": []}, cells)
    assert all(v.met is None for v in verdicts)
    threadsafe = next(v for v in verdicts if v.target.scenario == "latency.threadsafe")
    assert threadsafe.subject.status == "timeout"
    assert threadsafe.status == "not measured"
    assert "thread: timeout" in targets.describe(threadsafe)["measured"]


def test_floor_multiples_use_per_callback_cost():
    data = {"benchmarks": [
        bench("floor: deque popleft + call (K=1000)", "floor", 0.0001, family="floor", ops=1000),  # 100 ns
        bench("call_soon chain (K=1000)", "heap", 0.0012, ops=1000),                                # 1200 ns
        bench("call_soon chain (K=1000)", "asyncio", 0.0030, family="peer", ops=1000),
    ]}
    floor_ns, rows = targets.floor_multiples(data)
    assert floor_ns == pytest.approx(100.0)
    assert {r.runtime: round(r.multiple, 6) for r in rows} == {"heap": 12.0, "asyncio": 30.0}
    assert targets.floor_multiples({"benchmarks": []}) == (None, [])


def test_the_report_shows_the_floor_but_neither_targets_nor_a_floor_column(tmp_path):
    """The project's own goals are not a comparison: the product report leaves them out
    (``targets.evaluate`` still answers for them); the distance to the floor stays."""
    run = tmp_path / "run"
    run.mkdir()
    data = {"benchmarks": [
        bench("floor: deque popleft + call (K=1000)", "floor", 0.0001, family="floor", ops=1000),
        bench("call_soon chain (K=1000)", "heap", 0.0012, ops=1000),
        bench("call_soon chain (K=1000)", "asyncio", 0.0030, family="peer", ops=1000),
        bench("timers on the virtual clock (N=1000)", "heapq-floor", 0.5, family="floor", ops=1000),
        bench("timers on the virtual clock (N=1000)", "heap", 0.9, ops=1000),
    ]}
    (run / "benchmark.json").write_text(json.dumps(data))
    assert load_run(run).runtimes == ["heap", "asyncio"], "floors are not runtimes"
    render(run)
    md = (run / "report.md").read_text()
    assert "Targets" not in md and "heap >= 2x asyncio" not in md
    assert "## Distance to the floor" in md and "| heap | 1200 | 12.0 |" in md
    assert "| floor" not in md.split("## Summary", 1)[1].split("## ", 1)[0]
    html = (run / "report.html").read_text()
    assert "Distance to the floor" in html and "Targets" not in html


def churn(runtime, armed, median, ci=None, pairs=1000):
    stats = {"median": median, "iqr": 0.0}
    if ci is not None:
        stats["ci95"] = list(ci)
    return {"group": f"arm+cancel churn with N armed (N={armed:,})", "name": f"test[{armed}-{runtime}]",
            "stats": stats, "extra_info": {"runtime": runtime, "family": "loopbench", "armed": armed,
                                           "workload": targets.CHURN_WITH_ARMED, "ops_per_round": pairs}}


def test_floor_multiples_carry_their_interval_from_ci95():
    floor = bench("floor: deque popleft + call (K=1000)", "floor", 0.0001, family="floor", ops=1000)
    floor["stats"]["ci95"] = [0.00009, 0.00011]                      # 90-110 ns
    heap = bench("call_soon chain (K=1000)", "heap", 0.0012, ops=1000)
    heap["stats"]["ci95"] = [0.0011, 0.0013]                         # 1100-1300 ns
    _, rows = targets.floor_multiples({"benchmarks": [floor, heap]})
    assert rows[0].interval == pytest.approx((1100 / 110, 1300 / 90))
    assert rows[0].interval_text == "10.0–14.4"


def test_the_crossover_is_the_first_n_from_which_the_wheel_stays_ahead():
    data = {"benchmarks": [churn("heap", 1_000, 0.0010), churn("wheel", 1_000, 0.0012),
                           churn("heap", 10_000, 0.0011), churn("wheel", 10_000, 0.0010),
                           churn("heap", 100_000, 0.0010), churn("wheel", 100_000, 0.0011),
                           churn("heap", 1_000_000, 0.0014), churn("wheel", 1_000_000, 0.0012)]}
    crossover = targets.churn_crossover(data)
    assert crossover.at == 1_000_000, "ahead at 10k but behind at 100k: the crossover is later"
    assert crossover.curves["heap"].armed == [1_000, 10_000, 100_000, 1_000_000]
    assert crossover.curves["wheel"].ns[0] == pytest.approx(1200.0)
    wheel_1m = by_target(targets.evaluate(data, {}))[
        "timer arm + cancel churn with 1M timers armed", "wheel", "heap", False]
    assert wheel_1m.ratio == pytest.approx(14 / 12) and wheel_1m.met, "the 1M group, not the first one"


def test_no_crossover_is_said_with_the_reason():
    data = {"benchmarks": [churn("heap", n, 0.0010) for n in (1_000, 1_000_000)]
                          + [churn("wheel", n, 0.0012) for n in (1_000, 1_000_000)]}
    crossover = targets.churn_crossover(data)
    assert crossover.at is None
    assert "no crossover up to 1,000,000" in crossover.text and "heapq" in crossover.text
    assert "1,000: heap, 1,000,000: heap" in crossover.text
    assert targets.churn_crossover({"benchmarks": []}) is None


def test_the_report_draws_the_crossover(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    data = {"benchmarks": [churn("heap", 1_000, 0.0010, ci=(0.0009, 0.0011)), churn("wheel", 1_000, 0.0012),
                           churn("heap", 10_000, 0.0013), churn("wheel", 10_000, 0.0011)]}
    (run / "benchmark.json").write_text(json.dumps(data))
    paths = render(run)
    assert "churn_crossover.png" in paths and paths["churn_crossover.png"].stat().st_size > 0
    md = (run / "report.md").read_text()
    assert "### Timer stores: the crossover" in md
    assert "from 10,000 armed timers on" in md

"""When the micro-suite's paired rounds stop: precision reached, budget spent, least rounds.

The rounds' processes are replaced by a stand-in that writes a document of duets (the
shape ``test_workloads`` writes), and the clock by one that advances a fixed number of
seconds per round: no measuring, no timing, only the stopping rule.
"""

from __future__ import annotations

import json
import random
import threading

import pytest
from rich.console import Console

from harness.cli import bench as bench_module


class Rounds:
    """A stand-in for ``_micro_suite``: each call is a round of ``seconds`` on a fake clock,
    whose document has, per workload, heap's duets against asyncio (heap twice as fast),
    spread by ``spread[workload]`` (the log-ratios' spread between rounds)."""

    def __init__(self, monkeypatch, spread: dict[str, float], seconds: float = 10.0, at_once: int = 1) -> None:
        self.now, self.calls, self.spread, self.seconds = 0.0, 0, spread, seconds
        self.asked: list = []                   # the cells each round was told to measure (None: all)
        self.threads: dict[int, str] = {}       # round -> the thread that ran it
        self.rng = random.Random(7)
        self.lock = threading.Lock()
        self.together = threading.Barrier(at_once) if at_once > 1 else None
        monkeypatch.setattr(bench_module, "ROUNDS_AT_ONCE", at_once)
        monkeypatch.setattr(bench_module, "_micro_suite", self)
        monkeypatch.setattr(bench_module.time, "perf_counter", lambda: self.now)

    def __call__(self, out_dir, json_name, profile, console, **how) -> bool:
        if self.together is not None and how.get("round_", 0) > 0:
            self.together.wait(timeout=60)     # breaks (and the test fails) unless two rounds run at once
        with self.lock:
            return self._round(out_dir, json_name, **how)

    def _round(self, out_dir, json_name, **how) -> bool:
        self.calls += 1
        self.now += self.seconds
        self.threads[how.get("round_", 0)] = threading.current_thread().name
        cells = how.get("cells")
        self.asked.append(None if cells is None else sorted(w for w, _ in cells))
        benchmarks = []
        for workload, spread in self.spread.items():
            if cells is not None and (workload, "heap") not in cells:
                continue
            clock = "wall" if workload == "timers.fired_small" else "cpu"
            ratio = 0.5 * (1 + self.rng.uniform(-spread, spread))
            benchmarks.append({
                "name": f"test_workload[{workload}-heap-pass1]", "fullname": f"test_workload[{workload}-heap-pass1]",
                "stats": {"data": [ratio] * 3},
                "extra_info": {"workload": workload, "runtime": "heap", "family": "loopbench", "clock": clock,
                               f"{clock}_s": [ratio] * 3, f"ref_{clock}_s": [1.0] * 3,
                               "round": how.get("round_", 0)}})
        (out_dir / json_name).write_text(json.dumps({"benchmarks": benchmarks}))
        return True


def _run(tmp_path, budget_s: float, precision: float = 0.05):
    return bench_module._in_rounds(tmp_path, "default", Console(quiet=True), select="x", precision=precision,
                                   budget_s=budget_s)


def test_rounds_stop_once_every_cpu_time_ratio_is_as_precise_as_asked(tmp_path, monkeypatch):
    rounds = Rounds(monkeypatch, {"callbacks.call_soon_chain": 0.001, "tasks.switch": 0.002})
    ok, merged, reached = _run(tmp_path, budget_s=1000)
    assert ok and reached["stopped"] == "precision reached"
    assert rounds.calls == reached["rounds"] == bench_module.LEAST_ROUNDS["default"]
    assert reached["widest"] <= 0.05 and reached["within"] == reached["ratios"] == 2


def test_a_noisy_wall_time_row_does_not_keep_the_rounds_going(tmp_path, monkeypatch):
    rounds = Rounds(monkeypatch, {"callbacks.call_soon_chain": 0.001, "timers.fired_small": 0.8})
    ok, merged, reached = _run(tmp_path, budget_s=1000)
    assert reached["stopped"] == "precision reached"
    assert rounds.calls == bench_module.LEAST_ROUNDS["default"]
    assert reached["within"] == 1 and reached["ratios"] == 2        # the wall row is reported, not hidden
    assert reached["median"] > reached["widest"]          # widest: of the CPU-time rows only


def test_rounds_are_added_until_the_next_would_overrun_the_budget(tmp_path, monkeypatch):
    rounds = Rounds(monkeypatch, {"callbacks.call_soon_chain": 0.9}, seconds=10.0)
    ok, merged, reached = _run(tmp_path, budget_s=55)
    # 10 s a round: after 5 rounds (50 s) a sixth would end at 60 s, past 55 s.
    assert reached["stopped"] == "time budget spent"
    assert rounds.calls == reached["rounds"] == 5
    assert reached["widest"] > 0.05


def test_the_least_rounds_run_whatever_the_budget(tmp_path, monkeypatch):
    rounds = Rounds(monkeypatch, {"callbacks.call_soon_chain": 0.9}, seconds=100.0)
    ok, merged, reached = _run(tmp_path, budget_s=0)
    assert rounds.calls == bench_module.LEAST_ROUNDS["default"]
    assert reached["stopped"] == "time budget spent"


def test_later_rounds_measure_only_the_cells_not_yet_precise(tmp_path, monkeypatch):
    rounds = Rounds(monkeypatch, {"callbacks.call_soon_chain": 0.001, "tasks.switch": 0.3,
                                  "timers.fired_small": 0.8})
    ok, merged, reached = _run(tmp_path, budget_s=1000)
    least = bench_module.LEAST_ROUNDS["default"]
    assert rounds.asked[:least] == [None] * least                # the least rounds: every cell
    # the wall-time row goes on with the imprecise CPU-time one, without deciding the stop
    assert rounds.asked[least:] and all(asked == ["tasks.switch", "timers.fired_small"]
                                        for asked in rounds.asked[least:])
    cells = {e["extra_info"]["workload"]: e["extra_info"] for e in merged["benchmarks"]}
    assert len(cells["callbacks.call_soon_chain"]["relative_medians"]) == least
    assert len(cells["tasks.switch"]["relative_medians"]) == rounds.calls > least
    assert len(cells["timers.fired_small"]["relative_medians"]) == rounds.calls


def test_after_the_first_round_rounds_run_two_at_a_time_each_in_its_own_process(tmp_path, monkeypatch):
    rounds = Rounds(monkeypatch, {"callbacks.call_soon_chain": 0.001, "tasks.switch": 0.12}, at_once=2)
    ok, merged, reached = _run(tmp_path, budget_s=10_000)
    main = threading.main_thread().name
    assert sorted(rounds.threads) == list(range(rounds.calls)), "every round once, none twice"
    assert rounds.threads[0] == main, "the first round (it plans the duets) runs alone"
    later = [rounds.threads[i] for i in range(1, rounds.calls)]
    # Each later round met another at the barrier: they ran at once, in two threads.
    assert main not in later and not rounds.together.broken
    assert 5 <= rounds.calls < bench_module.MOST_ROUNDS["default"] and rounds.calls % 2 == 1, "the first alone, then pairs"
    assert reached["stopped"] == "precision reached"
    assert reached["rounds"] == rounds.calls
    cells = {e["extra_info"]["workload"]: e["extra_info"] for e in merged["benchmarks"]}
    assert len(cells["tasks.switch"]["relative_medians"]) == rounds.calls


@pytest.mark.parametrize("profile", ["quick", "default", "rigorous"])
def test_every_profile_runs_at_least_two_rounds_so_every_ratio_can_have_an_interval(profile):
    assert bench_module.LEAST_ROUNDS[profile] >= 2
    assert bench_module.MOST_ROUNDS[profile] >= bench_module.LEAST_ROUNDS[profile]

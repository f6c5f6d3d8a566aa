"""The workloads (``harness.workloads.programs``): defined once, run on every runtime, checked.

Each workload runs one round on every runtime at the quick profile's size, and the
round's own check (it did every operation) must hold. Nothing here is timed: the
micro-suite (``harness.workloads.microbench``) times the same objects under ``make bench``.
"""

from __future__ import annotations

import pytest

from harness.execution import profile
from harness import runtimes
from harness.scenarios import registry as scenario
from harness.runtimes.interface import Unavailable
from harness.workloads.programs import WORKLOADS, Workload, emulated_ops, unsupported_ops


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setenv(profile.ENV_VAR, "quick")


@pytest.mark.parametrize("name", runtimes.names())
@pytest.mark.parametrize("wl", list(WORKLOADS.values()), ids=list(WORKLOADS))
def test_every_workload_does_all_its_work_on_every_runtime(wl: Workload, name):
    try:
        rt = runtimes.create(name)
    except Unavailable as exc:
        pytest.skip(f"unavailable: {exc}")
    if unsupported_ops(wl, rt):
        return                                   # the micro-suite skips it with the reason
    wl.run_round(rt)                             # raises if a single operation went missing


def test_a_round_that_drops_work_is_refused():
    rt = runtimes.create("heap")
    lazy = Workload("test.lazy", "lazy", "things", WORKLOADS["tasks.switch"].size, ("sleep",),
                    lambda rt, n: _returns(n - 1))
    with pytest.raises(AssertionError, match="did 1999 operations, expected 2000"):
        lazy.run_round(rt)



def _returns(value):
    async def main():
        return value
    return main


def test_sizes_follow_the_profile(monkeypatch):
    wl = WORKLOADS["tasks.spawn_join"]
    assert wl.n == wl.size.quick
    monkeypatch.setenv(profile.ENV_VAR, "default")
    assert wl.n == wl.size.default and wl.label == f"spawn+join (N={wl.size.default:,})"


def test_each_workload_is_also_a_scenario_and_names_emulation_per_runtime():
    scenarios = scenario.all_scenarios()
    for name, wl in WORKLOADS.items():
        s = scenarios[f"workload.{name}"]
        assert s.needs == wl.uses and s.timed_ops == wl.timed_ops and not s.in_bench
    trio = runtimes.create("trio")
    assert emulated_ops(WORKLOADS["timers.arm_cancel_churn"], trio) == ["call_at"]
    assert emulated_ops(WORKLOADS["tasks.spawn_join"], trio) == []     # its own nursery


class _PlanningClock:
    """A virtual clock for the planner (``programs.PLANNING_CLOCK``): it moves only when a
    workload says its round cost so much, so a plan does not depend on the machine's speed."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _costing(clock: _PlanningClock, cost):
    """A workload whose round at N costs ``cost(n)`` seconds on ``clock`` (and nothing real)."""
    def build(rt, n):
        async def main():
            clock.now += cost(n)
            return n
        return main
    return build


def test_a_plan_fits_the_process_budget_between_the_least_and_the_most_rounds(monkeypatch):
    from harness.workloads import programs
    from harness.workloads.programs import MIN_ROUNDS, PROCESS_BUDGET, Size

    monkeypatch.setenv(profile.ENV_VAR, "default")
    clock = _PlanningClock()
    monkeypatch.setattr(programs, "PLANNING_CLOCK", clock)
    rt = runtimes.create("heap")
    fast = Workload("test.fast", "fast", "things", Size(100, 100), (), _costing(clock, lambda n: 1e-7 * n))
    slowish = Workload("test.slowish", "slowish", "things", Size(100, 100), (),
                       _costing(clock, lambda n: PROCESS_BUDGET() / 100 * n))
    assert fast.plan(rt).rounds == fast.rounds()                   # the most: a round costs nothing
    assert slowish.plan(rt).rounds == MIN_ROUNDS                   # one round eats the budget
    assert slowish.plan(rt).predicted >= PROCESS_BUDGET()          # the round it timed


def _quadratic(clock: _PlanningClock):
    from harness.workloads.programs import ROUND_BUDGET

    runs = []

    def build(rt, n):
        async def main():
            runs.append(n)
            clock.now += ROUND_BUDGET() * 1.5 * (n / 100) ** 2      # quadratic: N=100 costs 1.5x the budget
            return n
        return main
    return build, runs


def test_a_round_predicted_over_the_budget_is_not_run(monkeypatch):
    from harness.workloads import programs
    from harness.workloads.programs import ROUND_BUDGET, Size

    monkeypatch.setenv(profile.ENV_VAR, "quick")
    clock = _PlanningClock()
    monkeypatch.setattr(programs, "PLANNING_CLOCK", clock)
    build, runs = _quadratic(clock)
    wl = Workload("test.quadratic", "quadratic", "things", Size(100, 100), (), build)
    plan = wl.plan(runtimes.create("heap"))
    assert plan.rounds == 0 and plan.predicted > ROUND_BUDGET() and plan.exponent > 1.5
    assert max(runs) <= 20                                         # only the small untimed runs
    assert "too slow" in plan.too_slow(wl) and "N=100" in plan.too_slow(wl)


def test_the_reference_runtime_is_measured_even_when_predicted_over_the_budget(monkeypatch):
    from harness.workloads import programs
    from harness.workloads.programs import REFERENCE, ROUND_BUDGET, Size

    monkeypatch.setenv(profile.ENV_VAR, "quick")
    clock = _PlanningClock()
    monkeypatch.setattr(programs, "PLANNING_CLOCK", clock)
    build, runs = _quadratic(clock)
    wl = Workload("test.quadratic", "quadratic", "things", Size(100, 100), (), build)
    plan = wl.plan(runtimes.create(REFERENCE))
    assert plan.rounds >= programs.MIN_ROUNDS and plan.predicted > ROUND_BUDGET()
    assert 100 in runs                                             # a whole round was run


def test_the_planner_times_cpu_not_the_wall_clock():
    import time
    from harness.workloads import programs

    assert programs.PLANNING_CLOCK is time.process_time
    assert WORKLOADS["callbacks.call_soon_chain"].clock == "cpu"
    assert WORKLOADS["timers.fired_small"].clock == "wall"          # waits for real deadlines


def test_plans_are_made_once_and_read_by_every_later_process(tmp_path, monkeypatch):
    from harness.workloads.programs import Plans

    path = str(tmp_path / "plans.json")
    wl, rt = WORKLOADS["tasks.switch"], runtimes.create("heap")
    first = Plans(path).get(wl, rt)
    monkeypatch.setattr(Workload, "plan", lambda *a: pytest.fail("planned twice"))
    assert Plans(path).get(wl, rt) == first                        # a later process: read, not planned
    monkeypatch.setenv("LOOPBENCH_PLANS", path)
    assert Plans().get(wl, rt) == first


def test_the_rigorous_profile_has_its_own_sizes_and_workloads(monkeypatch):
    monkeypatch.setenv(profile.ENV_VAR, "rigorous")
    assert WORKLOADS["tasks.spawn_join"].n == WORKLOADS["tasks.spawn_join"].size.rigorous
    assert WORKLOADS["timers.fired_large"].runs_in("rigorous")
    assert not WORKLOADS["timers.fired_large"].runs_in("default")
    assert WORKLOADS["tasks.round_robin"].n == WORKLOADS["tasks.round_robin"].size.default   # none: the default's
    assert WORKLOADS["timers.fired_medium"].runs_in("rigorous")
    assert not WORKLOADS["timers.fired_medium"].runs_in("default")
    monkeypatch.setenv(profile.ENV_VAR, "default")
    for name in ("callbacks.call_soon_chain", "timers.arm_cancel_churn", "tasks.switch"):
        assert WORKLOADS[name].size.rigorous == 2 * WORKLOADS[name].n     # the rigorous profile doubles them

"""The workloads (``harness.workloads``): defined once, run on every runtime, checked.

Each workload runs one round on every runtime at the quick profile's size, and the
round's own check (it did every operation) must hold. Nothing here is timed: the
micro-suite (``harness.microbench``) times the same objects under ``make bench``.
"""

from __future__ import annotations

import pytest

from harness import profile, runtimes, scenario
from harness.runtime import Unavailable
from harness.workloads import WORKLOADS, Workload, emulated_ops, unsupported_ops


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

"""Every workload on every runtime: one pytest-benchmark group per workload.

The rows of a group read ``test_workload[tasks.spawn_join-trio]``; the group's name
is the workload's label (``spawn+join (N=20,000)``), so pytest-benchmark's tables
compare runtimes side by side. Each round's result is checked
(``Workload.run_round``): a runtime that drops work fails instead of posting a
fast time.
"""

from __future__ import annotations

import pytest

from harness import profile
from harness.runtime import Unsupported
from harness.workloads import WORKLOADS, emulated_ops, unsupported_ops

MEASURED = [wl for wl in WORKLOADS.values() if wl.runs_in(profile.current())]


@pytest.mark.parametrize("workload", MEASURED, ids=[wl.name for wl in MEASURED])
def test_workload(benchmark, workload, rt, collect, plans):
    missing = unsupported_ops(workload, rt)
    if missing:
        pytest.skip(f"unsupported: {rt.name} has no {', '.join(missing)}")
    if rt.control and not emulated_ops(workload, rt):
        pytest.skip(f"not a library: {rt.name} measures only the harness's constructions")
    plan = plans.get(workload, rt)
    if not plan.rounds:
        pytest.skip(plan.too_slow(workload))
    benchmark.group = workload.label
    info = benchmark.extra_info
    info.update(workload=workload.name, runtime=rt.name, family=rt.family, version=rt.version(),
                ops_per_round=workload.ops, unit=workload.unit, profile=profile.current(),
                operations={op: rt.how(op) for op in workload.uses}, predicted_s=plan.predicted)
    emulated = emulated_ops(workload, rt)
    if emulated:
        info["emulated"] = emulated
    try:
        benchmark.pedantic(workload.run_round, args=(rt,), setup=collect, rounds=plan.rounds,
                           warmup_rounds=workload.warmup, iterations=1)
    except Unsupported as exc:   # an adapter refusing at run time: the same honest outcome
        pytest.skip(f"unsupported: {rt.name}: {exc}")

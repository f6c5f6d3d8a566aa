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
from harness.workloads import ROUND_BUDGET, WORKLOADS, emulated_ops, unsupported_ops


@pytest.mark.parametrize("workload", list(WORKLOADS.values()), ids=list(WORKLOADS))
def test_workload(benchmark, workload, rt, collect):
    missing = unsupported_ops(workload, rt)
    if missing:
        pytest.skip(f"unsupported: {rt.name} has no {', '.join(missing)}")
    if rt.control and not emulated_ops(workload, rt):
        pytest.skip(f"not a library: {rt.name} measures only the harness's constructions")
    if workload.calibrate:
        predicted, k = workload.predict(rt)
        if predicted > ROUND_BUDGET():
            pytest.skip(f"too slow: one round predicted {predicted:.0f} s at N={workload.n:,} "
                        f"(cost grows as n^{k:.2f}), over the {ROUND_BUDGET()} s budget")
    benchmark.group = workload.label
    info = benchmark.extra_info
    info.update(workload=workload.name, runtime=rt.name, family=rt.family, version=rt.version(),
                ops_per_round=workload.ops, unit=workload.unit, profile=profile.current(),
                operations={op: rt.how(op) for op in workload.uses})
    emulated = emulated_ops(workload, rt)
    if emulated:
        info["emulated"] = emulated
    try:
        benchmark.pedantic(workload.run_round, args=(rt,), setup=collect, rounds=profile.rounds(workload.rounds()),
                           warmup_rounds=workload.warmup, iterations=1)
    except Unsupported as exc:   # an adapter refusing at run time: the same honest outcome
        pytest.skip(f"unsupported: {rt.name}: {exc}")

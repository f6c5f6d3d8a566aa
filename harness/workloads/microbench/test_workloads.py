"""Every workload on every runtime: one pytest-benchmark group per workload.

The rows of a group read ``test_workload[tasks.spawn_join-trio]``; the group's name
is the workload's label (``spawn+join (N=20,000)``), so pytest-benchmark's tables
compare runtimes side by side. Each round's result is checked
(``Workload.run_round``): a runtime that drops work fails instead of posting a
fast time.

**Duets with the reference.** On a shared machine the same code's CPU time moves by 1.5x
from one second to the next (another program's cache and memory traffic), and runtimes
measured one after the other in the same process do not see the same moments. So every
timed round of a runtime is a *duet* (Bulej et al., ICPE 2020): one round of asyncio,
then one of the runtime, back to back (milliseconds apart), each after its own
``gc.collect()``; both are recorded (``ref_cpu_s``, ``ref_wall_s``) and
``harness.stats.samples.merge`` takes, per process, the median of the runtime's time over
asyncio's in its duets. asyncio's rows, harness-built (emulated) rows and controls have no
duet.
"""

from __future__ import annotations

import time

import pytest

from harness.execution import profile
from harness.runtimes.interface import Unsupported
from harness import runtimes
from harness.workloads.programs import REFERENCE, WORKLOADS, emulated_ops, this_round, unsupported_ops

MEASURED = [wl for wl in WORKLOADS.values() if wl.runs_in(profile.current())]
#: A process measures every workload on every runtime in this many passes, its rounds
#: split between them (the conftest orders the tests pass by pass), so that one
#: runtime's rounds are spread over the whole process rather than one moment of it: on a
#: machine whose speed changes from one second to the next, a process then samples
#: several of its moments. ``samples.merge`` joins the passes again. Three passes cost
#: the default run 30 s (three times the tests), more than its budget has: rigorous only.
PASSES = profile.pick(default=1, quick=1, rigorous=3)


@pytest.mark.parametrize("pass_", range(PASSES), ids=[f"pass{i + 1}" for i in range(PASSES)])
@pytest.mark.parametrize("workload", MEASURED, ids=[wl.name for wl in MEASURED])
def test_workload(benchmark, workload, rt, collect_frozen, plans, pass_):
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
    cpu, wall, ref_cpu, ref_wall = [], [], [], []
    partner = _reference() if rt.name != REFERENCE and not emulated and not rt.control else None

    def timed(runtime, cpu_out, wall_out):
        wall_0, cpu_0 = time.perf_counter(), time.process_time()
        workload.run_round(runtime)
        cpu_out.append(time.process_time() - cpu_0)
        wall_out.append(time.perf_counter() - wall_0)

    def one_round(rt):
        """A round on both clocks (pytest-benchmark's timer is one of them); with a partner,
        the reference's round first, at the same moment (a duet)."""
        if partner is not None:
            timed(partner, ref_cpu, ref_wall)
            collect_frozen()
        timed(rt, cpu, wall)

    try:
        if pass_ == 0:
            for _ in range(workload.warmup):
                _warm_up(workload, rt, partner)
        benchmark.pedantic(one_round, args=(rt,), setup=collect_frozen,
                           rounds=max(1, round(plan.rounds / PASSES)), iterations=1)
    except Unsupported as exc:   # an adapter refusing at run time: the same honest outcome
        pytest.skip(f"unsupported: {rt.name}: {exc}")
    info.update(clock=workload.clock, cpu_s=cpu, wall_s=wall, round=this_round(),
                gc="collected and frozen before each round; enabled during it")
    if partner is not None:
        info.update(ref_cpu_s=ref_cpu, ref_wall_s=ref_wall)


#: A warm-up round is this fraction of a timed one (at least one operation).
WARMUP_FRACTION = 10


def _warm_up(workload, rt, partner) -> None:
    """One untimed run of the workload at a tenth of its size, on the runtime and its duet
    partner: the interpreter's specializing, the runtime's first loop and the imports it
    defers happen here, not in the first timed round, at a tenth of a round's cost (a
    whole warm-up round was a third of a process's time). Checked like a timed round."""
    n = max(1, workload.n // WARMUP_FRACTION)
    for runtime in filter(None, (partner, rt)):
        done = runtime.run(workload.build(runtime, n))
        if done != n * workload.ops_per_n:
            raise AssertionError(f"{runtime.name}: {workload.name}: did {done!r} operations in the "
                                 f"warm-up, expected {n * workload.ops_per_n}")


_PARTNER: list = []


def _reference():
    """The reference runtime, made once per process (its rounds make their own loops)."""
    if not _PARTNER:
        _PARTNER.append(runtimes.create(REFERENCE))
    return _PARTNER[0]

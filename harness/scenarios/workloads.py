"""One latency scenario per workload (``workload.NAME``): ``loopbench run`` times them too.

The programs are ``harness.workloads.programs``'; here each is run for a few checked rounds
in the cell's own process, giving rounds per second as operations per second, with
median and spread. ``make bench`` leaves these scenarios out (``in_bench=False``):
its micro-suite times the same workloads, with pytest-benchmark's calibration.
"""

from __future__ import annotations

from .registry import latency
from ..stats.descriptive import median_and_spread
from ..workloads.programs import WORKLOADS, Workload


def _scenario(wl: Workload):
    def measure(rt, metrics):
        for _ in range(wl.warmup):
            wl.run_round(rt)
        rates = []
        for _ in range(wl.rounds()):
            start = rt.perf()
            wl.run_round(rt)
            rates.append(wl.ops / (rt.perf() - start))
        metrics.update(rate_per_s=median_and_spread(rates), n=wl.n, ops=wl.ops, unit=wl.unit)
    measure.__doc__ = f"{wl.title}: {wl.unit} per second. {wl.doc}"
    return measure


for _wl in WORKLOADS.values():
    latency(f"workload.{_wl.name}", needs=_wl.uses, measures=_wl.timed_ops, quick=True, in_bench=False,
            explain=_wl.doc)(_scenario(_wl))

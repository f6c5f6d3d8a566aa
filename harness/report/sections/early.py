"""Early firings: timers that fired before their deadline, by the wall clock and by the runtime's own."""

from __future__ import annotations

from ..document import Cell, Code, Section
from ..model import fmt
from . import explained_table

EXPLAIN = ("A timer that fires before its deadline is a finding, not noise: code that sleeps \"at least 1 ms\" "
           "gets less. The earliest firing of each runtime, and how many of the samples fired early, by the wall "
           "clock (`perf_counter`) and by the runtime's own clock (µs; negative is early). uvloop's clock counts "
           "whole milliseconds, so its timers can be on time by its own clock and early by the wall clock.")


def section(facts: dict) -> Section | None:
    if not facts["early"]:
        return None
    rows = [[Cell(Code(e.scenario), "name"), Cell(e.runtime + (" (built by harness)" if e.emulated else "")),
             Cell(fmt(e.min_perf_us)), Cell(f"{e.early_perf}/{e.samples}", "fail" if e.early_perf else "",
                                            bold=bool(e.early_perf)),
             Cell(fmt(e.min_runtime_clock_us)), Cell(f"{e.early_runtime_clock}/{e.samples}")]
            for e in facts["early"]]
    return explained_table("early-firings", "Early firings", EXPLAIN,
                           ["scenario", "runtime", "earliest (wall)", "early (wall)", "earliest (own clock)",
                            "early (own clock)"], rows)

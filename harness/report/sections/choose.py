"""What to choose: one row per kind of workload, the decision first, then how sure it is.

The rows come from ``harness.report.choose`` (the best deployable library, the runner-up,
how far ahead with its 95% interval, whether they are separated, the best teaching loop
against asyncio, and the behaviour caveats this run found on those runtimes). A "best" is
named alone only where it is separated; otherwise the row says it is a tie.
"""

from __future__ import annotations

from ..document import Cell, Heading, Para, Prose, Section, Table

EXPLAIN = ("One row per kind of workload. **choose**: the best of the libraries you can deploy, named alone only "
           "when it is separated from the runner-up (a 95% interval clear of 1 and a gap of at least 5%; otherwise "
           "the row calls it a tie). **ahead by**: the best over the runner-up (throughput: paired round by round; "
           "time and memory: how many times less), with its 95% interval. **teaching loop**: the best of "
           "loopbench's own loops, against asyncio; they are for learning, not for production. **caveats**: what "
           "this run's behaviour scenarios found on those runtimes. Throughput is compared on CPU time, waits on "
           "wall time (the summary says which, per row).")

COLUMNS = ("kind", "choose", "runner-up", "ahead by", "separated", "against asyncio", "teaching loop", "caveats")
KEYS = ("kind", "choose", "runner_up", "ahead", "separated", "versus", "teaching", "caveats")


def _precision(p: dict) -> str:
    widest, median = p.get("widest"), p.get("median")
    pct = lambda v: "n/a" if v is None else f"±{v * 100:.1f}%"       # noqa: E731
    within = (f"; {p['within']} of {p['ratios']} within ±{(p.get('target') or 0) * 100:.0f}%"
              if p.get("within") is not None and p.get("ratios") else "")
    stopping = f" ({p['stopping']})" if p.get("stopping") else ""
    return (f"Micro-suite: {p.get('rounds')} paired rounds (fresh processes, runtimes in a shuffled order) in "
            f"{p.get('seconds', 0):.0f} s{stopping}, stopped: {p.get('stopped')}. 95% intervals of the ratios "
            "to asyncio: "
            f"median {pct(median)}, widest {pct(widest)} among {p.get('widest_of') or 'all of them'}"
            f"{within} (target ±{(p.get('target') or 0) * 100:.0f}%). GC: {p.get('gc')}.")


def section(facts: dict) -> Section | None:
    choices = facts.get("choices") or []
    if not choices:
        return None
    blocks: list = [Heading(2, "What to choose"), Para(Prose(EXPLAIN))]
    if facts.get("precision"):
        blocks.append(Para(_precision(facts["precision"]), "meta"))
    blocks.append(Table(list(COLUMNS), [[Cell(c[KEYS[0]], "name"), *(Cell(c[k]) for k in KEYS[1:])]
                                        for c in choices]))
    return Section("what-to-choose", "What to choose", blocks)

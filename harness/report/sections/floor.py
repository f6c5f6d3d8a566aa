"""Distance to the floor: each runtime's cost per callback as a multiple of plain Python's
(a deque pop and a call), and where the timing wheel overtakes the heap."""

from __future__ import annotations

from ..document import Cell, Heading, Para, Prose, Section, Table


def section(facts: dict) -> Section | None:
    floor_ns, multiples = facts["floor"]
    crossover = facts["crossover"]
    if not floor_ns and not crossover:
        return None
    blocks: list = [Heading(2, "Distance to the floor")]
    if floor_ns:
        blocks += [Para(Prose(f"The floor: popping a no-argument callable from a deque and calling it, {floor_ns:.1f} "
                              "ns per callback in this run. Each runtime's cost per callback in the call_soon chain "
                              "as a multiple of it: what the rest of the loop costs.")),
                   Table(["runtime", "ns per callback", "× floor", "95% interval"],
                         [[Cell(f.runtime, "name ours" if f.runtime in facts["ours"] else "name"),
                           Cell(f"{f.per_callback_ns:.0f}"), Cell(f"{f.multiple:.1f}"), Cell(f.interval_text)]
                          for f in multiples])]
    if crossover:
        blocks += [Heading(3, "Timer stores: the crossover"),
                   Para(["Arm+cancel churn on the heap and on the wheel with N timers already armed (the plot "
                         "\"Timer stores: churn against timers armed\"): ", crossover.text])]
    return Section("floor", "Distance to the floor", blocks)

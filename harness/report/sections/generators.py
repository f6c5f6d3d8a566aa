"""The two generator loops side by side: loopbench's trampoline and tinyio."""

from __future__ import annotations

from ..document import Cell, Heading, Para, Prose, Section, Table
from ..takeaways import GENERATOR_DIFFERENCES, GENERATOR_LOOPS, generator_rows


def section(facts: dict) -> Section | None:
    if not all(rt in facts["runtimes"] for rt in GENERATOR_LOOPS):
        return None
    speed = generator_rows(facts["rows"])
    blocks: list = [Heading(2, "The two generator loops: trampoline and tinyio"),
                    Para(Prose("loopbench's trampoline (the talk's generators, after Beazley's pyos8) and tinyio, a "
                               "small library built the same way, side by side: × better than asyncio (higher is "
                               "better) where both ran."))]
    if speed:
        blocks.append(Table(["measure", *GENERATOR_LOOPS], [[Cell(t, "name"), Cell(a), Cell(b)] for t, a, b in speed]))
    blocks.append(Table(["", *GENERATOR_LOOPS],
                        [[Cell(w, "name"), Cell(a, "prose"), Cell(b, "prose")] for w, a, b in GENERATOR_DIFFERENCES]))
    return Section("generators", "The two generator loops", blocks)

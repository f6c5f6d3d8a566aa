"""Scaling: cost per operation (process CPU time) as N grows, with the fitted log-log slope."""

from __future__ import annotations

from ..document import MAX_COLUMNS, Cell, Heading, Para, Section, Strong, Table
from ..model import fmt

SCALING_UNITS = {"scaling.tick_with_timers": "per loop iteration", "scaling.timers": "per timer",
                 "scaling.sleeping_tasks": "per task", "scaling.spawn": "per task"}


def _columns(ns: list[int]) -> list[int]:
    """Which of the N columns fit beside runtime, slope and note: all, or evenly spaced ones."""
    room = MAX_COLUMNS - 3
    if len(ns) <= room:
        return list(range(len(ns)))
    return sorted({round(i * (len(ns) - 1) / (room - 1)) for i in range(room)})


def section(facts: dict) -> Section | None:
    if not facts["scaling"]:
        return None
    blocks: list = [Heading(2, "Scaling")]
    for scn, curves in facts["scaling"].items():
        ns = curves[0].n
        shown = _columns(ns)
        blocks.append(Para([Strong(scn), f" ({SCALING_UNITS.get(scn, 'per operation')}, process CPU time, µs):"]))
        rows = [[Cell(c.runtime, "name"), Cell(f"{c.slope:+.2f}" if c.slope is not None else "–"),
                 *(Cell(fmt(c.per_op_us[i]) if i < len(c.per_op_us) else "skipped") for i in shown),
                 Cell(c.note, "prose")] for c in curves]
        blocks.append(Table(["runtime", "slope", *(f"N={ns[i]}" for i in shown), "note"], rows))
    return Section("scaling", "Scaling", blocks)

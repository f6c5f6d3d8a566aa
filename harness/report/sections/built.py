"""Operations the harness builds: where a library has no such operation, its cost beside
asyncio's own and the control's (the same construction on asyncio)."""

from __future__ import annotations

from ..document import Cell, Section
from ..model import fmt
from . import explained_table

EXPLAIN = ("Where a library has no such operation (trio, curio and anyio have no plain timer callbacks; curio "
           "and anyio no plain `call_soon`), the harness builds it from the library's own primitives: a service "
           "task with a timer heap. These numbers measure that construction as much as the library, so they are "
           "kept out of every comparison. The control row runs the same construction on asyncio: the gap between "
           "asyncio and its control is the construction's own cost.")


def section(facts: dict) -> Section | None:
    if not facts["built"]:
        return None
    rows = [[Cell(b.title if i == 0 else "", "name"), Cell(rt), Cell(how), Cell(f"{fmt(value)} {b.unit}"), Cell(note)]
            for b in facts["built"] for i, (rt, how, value, note) in enumerate(b.cells)]
    return explained_table("built", "Operations the harness builds", EXPLAIN,
                           ["measure", "runtime", "how", "value", "what"], rows)

"""Where the runtimes differ: per scenario, each distinct outcome once, with who gave it.

Short traces are shown in line; a long one is folded (``<details>``), and past the first
``SHOWN`` outcomes the rest (a randomising scheduler's many orders) fold into one line
that says how many and from which runtimes.
"""

from __future__ import annotations

import json

from ..document import Bullets, Code, Details, Heading, Para, Prose, Section, Strong

SHOWN = 4
TRACE_INLINE = 100


def _trace(trace: list) -> str:
    return json.dumps(trace, ensure_ascii=False)


def _outcome(row, o) -> list:
    label = Prose(f"**{o.letter}**" + (" (expected)" if row.expected is not None and o.letter == "A" else "") + ": ")
    who = ", ".join(o.runtimes) if o.runtimes else "no runtime"
    text = _trace(o.trace)
    if len(text) <= TRACE_INLINE:
        return [label, who, " — ", Code(text)]
    return [label, who, " — ", Code(text[:TRACE_INLINE - 1] + "…")]


def section(facts: dict) -> Section | None:
    rows = [b for b in facts["behaviour"] if not b.agree]
    if not rows:
        return None
    blocks: list = [Heading(3, "Where the runtimes differ")]
    for b in rows:
        blocks.append(Para([Strong(Code(b.scenario)), " — ", b.doc]))
        if b.explain:
            blocks.append(Para([Prose("*Why they can differ:* "), b.explain]))
        shown, rest = b.outcomes[:SHOWN], b.outcomes[SHOWN:]
        blocks.append(Bullets([_outcome(b, o) for o in shown]))
        long = [o for o in shown if len(_trace(o.trace)) > TRACE_INLINE]
        if long:
            blocks.append(Details("the long traces in full",
                                  [Bullets([[Prose(f"**{o.letter}**: "), Code(_trace(o.trace))] for o in long])]))
        if rest:
            who = sorted({rt for o in rest for rt in o.runtimes})
            blocks.append(Details(f"{len(rest)} more outcomes, from {', '.join(who) or 'no runtime'}",
                                  [Bullets([[Prose(f"**{o.letter}**: "), ", ".join(o.runtimes), " — ",
                                             Code(_trace(o.trace))] for o in rest])]))
    return Section("differences", "Where the runtimes differ", blocks)

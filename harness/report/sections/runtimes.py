"""The runtimes: a card each, what it is known for (from the run's own description of it),
what this run found it good at, and what to watch for."""

from __future__ import annotations

from ..document import Card, Cards, Heading, Prose, Section


def section(facts: dict) -> Section | None:
    cards = facts["cards"]
    if not cards:
        return None
    out = []
    for c in cards:
        lines = []
        if c.known:
            lines.append(Prose(" ".join(c.known)))
        if c.good_at:
            lines.append([Prose("**good at:** "), Prose("; ".join(c.good_at))])
        if c.gotchas:
            lines.append([Prose("**watch for:** "), Prose("; ".join(c.gotchas))])
        out.append(Card(c.runtime, lines, ours=c.runtime in facts["ours"]))
    return Section("runtimes", "The runtimes", [Heading(2, "The runtimes"), Cards(out)])

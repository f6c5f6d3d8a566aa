"""The plots: timer lateness, scaling, the timer stores' crossover, TCP echo, throughput."""

from __future__ import annotations

from ..document import Heading, Image, Section


def section(facts: dict) -> Section | None:
    if not facts.get("plots"):
        return None
    blocks: list = [Heading(2, "Plots")]
    for plot in facts["plots"]:
        blocks += [Heading(3, plot["title"]), Image(plot["title"], plot["file"])]
    return Section("plots", "Plots", blocks)

"""Behaviour: what each runtime did in each scenario, one table per family of runtimes.

A cell is the status and the outcome in few words: "pass A 20/20" where every run gave
one outcome, "observed A 12/20 B 8/20" for two, "observed: 15 outcomes in 20 runs" for
more (the differences section names them). Runtimes with nothing to say (unsupported
everywhere, or not run) are left out of the table with one line each.
"""

from __future__ import annotations

from ..document import Cell, Code, Heading, Para, Prose, Section, Table
from . import drop_silent, split_columns

LEGEND = ("Each cell: the status, then the outcome: a letter per distinct trace with how many runs gave it "
          "(same letter = same trace; **A** is the expected trace where the scenario states one), or how many "
          "outcomes in how many runs when there are more than two. **pass**/**fail** only where someone promised "
          "the expected trace: loopbench's contract for our loops, a library's own documentation for a peer; "
          "elsewhere **observed**, and **observed ≠ contract** when a peer did something else than loopbench's "
          "contract asks (a difference, not a failure). `*`: the operation is built by the harness. ⏱: the "
          "outcome depends on the real clock (deadlines milliseconds apart): the cell ran with a core to itself.")


def outcome_text(cell: dict) -> str:
    """``A 20/20``, ``A 12/20 B 8/20``, or ``15 outcomes in 20 runs``."""
    parts = cell.get("parts") or []
    total = sum(n for _, n in parts)
    if not parts:
        return ""
    if len(parts) <= 2:
        return " ".join(f"{letter} {n}/{total}" for letter, n in parts)
    return f"{len(parts)} outcomes in {total} runs"


def cell(c: dict) -> Cell:
    status = c["status"]
    if status == "missing":
        return Cell("–", "missing", "not run")
    text = " ".join(filter(None, (status, outcome_text(c)))) + ("*" if c.get("emulated") else "")
    cls = "observed differs" if c.get("differs") else status
    return Cell(text, cls + ("" if c.get("deterministic", True) else " nd"), c.get("reason") or c.get("judged_by") or "")


def section(facts: dict) -> Section:
    data, rows = facts["data"], facts["behaviour"]
    blocks: list = [Heading(2, "Behaviour"), Para(Prose(LEGEND))]
    for title, group in split_columns(facts["runtimes"], data.family, 1, facts["family_titles"]):
        kept, notes = drop_silent(group, lambda rt: [b.cells[rt]["status"] for b in rows],
                                  lambda rt: next((b.cells[rt].get("reason") for b in rows
                                                   if b.cells[rt].get("reason")), ""))
        blocks.append(Heading(3, title.capitalize()))
        if kept and rows:
            blocks.append(Table(["scenario", *kept],
                                [[Cell([Code(b.scenario), " ⏱" if b.timing_sensitive else ""], "name", b.doc),
                                  *(cell(b.cells[rt]) for rt in kept)] for b in rows]))
        for rt, why in notes:
            blocks.append(Para(["Column left out: ", Code(rt), f": {why}."], cls="note"))
    return Section("behaviour", "Behaviour", blocks)

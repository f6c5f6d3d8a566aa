"""The report's sections, in page order: each a module with ``section(facts)``.

A section is one module and one line in ``SECTIONS``: its ``section(facts)`` reads the
run's facts (``harness.report.render.facts``: the rows of ``model``, the run directory's
data, the plots) and returns a ``document.Section`` of blocks, or None when the run has
nothing for it. The same blocks are rendered to report.md and report.html
(``harness.report.document``), so the two files carry the same numbers, escaped for each
format in one place. See docs/extending.md, "A report section".

The order puts what a reader needs first: what to know, the summary, the plots (within
the first third of the page), then the detail.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..document import MAX_COLUMNS, Heading, Para, Prose, Section, Table

#: Section modules of this package, in page order.
SECTIONS = ("choose", "takeaways", "summary", "plots", "behaviour", "differences", "built", "generators", "early",
            "io", "realworld", "compat", "scaling", "runtimes", "environment", "floor")


def build(facts: dict, names: tuple[str, ...] = SECTIONS) -> list[Section]:
    """Every section that has something to say, in order."""
    out = []
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        found = module.section(facts)
        if found is not None:
            out.append(found)
    return out


def explained_table(anchor: str, title: str, explain: str, header: list[str], rows: list[list]) -> Section:
    """A section that is one table: its heading, a paragraph saying what the table shows
    (``explain``, harness-written ``Prose``), then the table."""
    return Section(anchor, title, [Heading(2, title), Para(Prose(explain)), Table(header, rows)])


def split_columns(runtimes: list[str], family: Callable[[str], str], fixed: int,
                  titles: dict[str, str]) -> list[tuple[str, list[str]]]:
    """Runtimes in groups that fit a table beside ``fixed`` other columns: by family (our
    loops, the asyncio family, structured concurrency and generators), a family too wide
    for one table in parts. Each group: (its title, its runtimes)."""
    width = MAX_COLUMNS - fixed
    groups: dict[str, list[str]] = {}
    for rt in runtimes:
        groups.setdefault(family(rt), []).append(rt)
    out = []
    for fam, members in groups.items():
        parts = [members[i:i + width] for i in range(0, len(members), width)]
        for i, part in enumerate(parts):
            title = titles.get(fam, fam)
            out.append((title + (f" ({i + 1} of {len(parts)})" if len(parts) > 1 else ""), part))
    return out


def drop_silent(runtimes: list[str], statuses: Callable[[str], list[str]],
                reasons: Callable[[str], str]) -> tuple[list[str], list[tuple[str, str]]]:
    """The runtimes whose column says something, and one line for each dropped one: a column
    whose every cell is "unsupported" or "missing" says only that, once:
    (runtime, why) for each."""
    kept, notes = [], []
    for rt in runtimes:
        found = set(statuses(rt))
        if found and found <= {"unsupported", "missing"}:
            what = {frozenset({"missing"}): "not measured", frozenset({"unsupported"}): "unsupported"}.get(
                frozenset(found), "unsupported or not measured")
            why = reasons(rt)
            notes.append((rt, f"{what} on every row" + (f" ({why})" if why else "")))
        else:
            kept.append(rt)
    return kept, notes

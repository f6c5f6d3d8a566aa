"""What a reader choosing a loop should know first: ranked takeaways, and a card per runtime.

Everything here is derived from the run's own data (the summary rows, the behaviour
rows, the early firings, the cells that failed), so a takeaway never says more
than the run measured. Each one links to the section that holds its evidence.

Ranking, most decisive first: behaviour a user's code can trip on (timers that fire
early, orders that change from run to run, cells that crashed), then the clear
winners on throughput (only where the 95% interval separates the best from the
rest), then memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import REFERENCE, BehaviourRow, EarlyRow, Row, fmt, times_better

#: Anchors of the report's sections, for "evidence" links (the same ids in md and html).
SUMMARY, BEHAVIOUR, DIFFERENCES, EARLY, BUILT = "summary", "behaviour", "differences", "early-firings", "built"
MAX_TAKEAWAYS = 10

def _plain(text: str) -> str:
    """Text from a record, made inert in Markdown and HTML alike (no tags, no code spans)."""
    return str(text).replace("<", "‹").replace(">", "›").replace("`", "'").replace("*", "∗")


@dataclass
class Takeaway:
    text: str
    evidence: str                 # an anchor of the report
    rank: int                     # lower first


@dataclass
class Card:
    runtime: str
    good_at: list[str] = field(default_factory=list)
    gotchas: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)


def takeaways(rows: list[Row], behaviour: list[BehaviourRow], early: list[EarlyRow],
              problems: list[dict], built_count: int, steadiness: dict | None = None) -> list[Takeaway]:
    """The ranked takeaways; ``steadiness``: the pre-flight's reading of the machine's speed."""
    out: list[Takeaway] = []
    for e in early:
        if e.early_perf and not e.emulated:
            out.append(Takeaway(
                f"**{e.runtime}** woke early in `{e.scenario}`: {e.early_perf} of {e.samples} timers fired "
                f"before their deadline by the wall clock, the earliest {fmt(-(e.min_perf_us or 0))} µs early "
                f"({'on time' if not e.early_runtime_clock else 'also early'} by its own clock).", EARLY, 0))
    if problems:
        names = sorted({f"{p['runtime']} × {p['scenario']}" for p in problems})
        out.append(Takeaway(f"{len(problems)} cell(s) did not complete (error or timeout): "
                            + ", ".join(f"`{n}`" for n in names[:4]) + ("…" if len(names) > 4 else "") + ".",
                            SUMMARY, 1))
    for b in behaviour:
        varying = [rt for rt, c in b.cells.items() if c.get("deterministic") is False]
        if varying and b.scenario.startswith(("deadlines.", "coroutines.", "callbacks.", "timers.")):
            out.append(Takeaway(f"`{_plain(b.scenario)}` comes out differently from run to run on "
                                f"{', '.join(f'**{_plain(rt)}**' for rt in varying)}: {_plain(b.doc)}",
                                DIFFERENCES, 2))
    for row in rows:
        best = next(((rt, c) for rt, c in row.cells.items() if c.best), None)
        if best is None or row.source != "pytest-benchmark" or best[0] == REFERENCE:
            continue
        rt, cell = best
        better = times_better(row.measure, cell)
        interval = ""
        if cell.ratio_ci and better and cell.ratio:
            low, high = (cell.ratio_ci if abs(better - cell.ratio) < 1e-9 * better
                         else (1 / cell.ratio_ci[1], 1 / cell.ratio_ci[0]))
            interval = f" (95% CI {low:.2f}–{high:.2f}, paired round by round)"
        out.append(Takeaway(f"Fastest on **{row.measure.title}**: **{rt}**, "
                            f"{better:.2f}× better than asyncio{interval}.", SUMMARY, 3))
    unsettled = [row for row in rows if row.source == "pytest-benchmark"
                 and not any(c.best for c in row.cells.values())]
    if unsettled:
        widths = sorted(w for row in unsettled for c in row.cells.values()
                        if (w := c.ratio_halfwidth if c.ratio_ci is not None else c.halfwidth) is not None)
        typical = f" (their median half-width: ±{widths[len(widths) // 2]:.0%})" if widths else ""
        machine = (f" This machine's own speed varied: the same work took {steadiness['fastest']:.2f}x to "
                   f"{steadiness['slowest']:.2f}x its median time in the pre-flight check, so no interval of this "
                   "run can be much narrower." if steadiness and steadiness.get("spread", 0) > 0.05 else "")
        out.append(Takeaway(f"No clear fastest on {len(unsettled)} of the workloads: the runtimes' 95% intervals "
                            f"overlap{typical}. Read their ratios as rough; re-run on a quieter machine, or with "
                            f"`--rigorous`, to separate them.{machine}", SUMMARY, 3))
    for row in rows:
        if row.measure.key.startswith("memory") and any(c.best for c in row.cells.values()):
            rt, cell = next((rt, c) for rt, c in row.cells.items() if c.best)
            out.append(Takeaway(f"Least {row.measure.title}: **{rt}**, {fmt(cell.value)} {row.measure.unit} "
                                f"({times_better(row.measure, cell):.2f}× better than asyncio).", SUMMARY, 4))
    if built_count:
        out.append(Takeaway(f"{built_count} measure(s) exist on some runtimes only as operations the harness "
                            "builds (trio, curio and anyio have no plain timer callbacks): those cells are "
                            "shown apart and never compared.", BUILT, 5))
    ranked = sorted(out, key=lambda t: t.rank)
    # Keep the list short: at most two takeaways of one kind, then the rest by rank.
    kept, per_rank = [], {}
    for t in ranked:
        per_rank[t.rank] = per_rank.get(t.rank, 0) + 1
        if per_rank[t.rank] <= (3 if t.rank == 3 else 2):
            kept.append(t)
    return kept[:MAX_TAKEAWAYS]


def cards(runtimes: list[str], rows: list[Row], behaviour: list[BehaviourRow], early: list[EarlyRow],
          about: dict[str, list[str]] | None = None) -> list[Card]:
    """A card per runtime that ran: what it is known for (``about``: from the run's own
    description of its runtimes), what this run found it good at, what to watch for."""
    about = about or {}
    out = []
    for rt in runtimes:
        if not any(row.cells.get(rt) is not None and row.cells[rt].status != "missing" for row in rows) and \
                not any((b.cells.get(rt) or {}).get("status") not in (None, "missing", "unsupported") for b in behaviour):
            continue                      # nothing ran here (an interpreter too old for it, say)
        card = Card(rt, known=list(about.get(rt) or []))
        for row in rows:
            cell = row.cells.get(rt)
            if cell is None or cell.status != "ok" or cell.ratio is None or rt == REFERENCE:
                continue
            better = times_better(row.measure, cell) or 0
            if cell.best:
                card.good_at.append(f"best on {row.measure.title} ({better:.2f}× better than asyncio)")
            elif better >= 1.25 and not cell.wide:
                card.good_at.append(f"{row.measure.title}: {better:.2f}× better than asyncio")
        for b in behaviour:
            c = b.cells.get(rt) or {}
            if c.get("deterministic") is False:
                parts = (c.get("letters") or "").split()
                kinds = len(parts) // 2
                total = parts[1].split("/")[1] if len(parts) > 1 and "/" in parts[1] else "?"
                what = c.get("letters") if kinds <= 3 else f"{kinds} different outcomes in {total} runs"
                card.gotchas.append(f"`{_plain(b.scenario)}` varies between runs ({what})")
            elif c.get("status") == "fail":
                card.gotchas.append(f"`{b.scenario}` differs from the expected trace")
            elif c.get("status") in ("error", "timeout"):
                card.gotchas.append(f"`{b.scenario}`: {c.get('status')}")
        card.gotchas += [f"timers early in `{e.scenario}` ({e.early_perf}/{e.samples})" for e in early
                         if e.runtime == rt and e.early_perf and not e.emulated]
        card.good_at, card.gotchas = card.good_at[:5], card.gotchas[:6]
        out.append(card)
    return out


#: The two generator loops side by side: how each does what the other does.
GENERATOR_LOOPS = ("trampoline", "tinyio")
GENERATOR_DIFFERENCES = (
    ("a sub-generator", "pushed on the task's own stack; its return value sent back to the caller",
     "yielded to the loop, which runs it as a coroutine of its own and hands its result back"),
    ("spawning many", "loop.create_task per child", "yield a list (start all, wait for all) or a set (start)"),
    ("time", "timers in the heap loop's heap; sleep(0) goes to the back of the ready queue",
     "a heap of wake-up times; a bare yield is sleep(0)"),
    ("cancellation", "a task is cancelled at its current yield (CancelledError thrown in)",
     "only the whole loop is cancelled, when a coroutine raises"),
    ("waking from a thread", "a socket pair, polled only when the loop waits",
     "a socket pair and a lock touched on every step, even with no thread (see docs/research/tinyio.md)"),
)


def generator_rows(rows: list[Row]) -> list[tuple[str, str, str]]:
    """(measure, trampoline, tinyio) for every measure both have a number for (ratio to asyncio)."""
    out = []
    for row in rows:
        cells = [row.cells.get(rt) for rt in GENERATOR_LOOPS]
        if all(c is not None and c.status == "ok" and c.ratio is not None for c in cells):
            speed = [times_better(row.measure, c) for c in cells]
            out.append((row.measure.title, *(f"{v:.2f}×" for v in speed)))
    return out

"""What to know: the ranked takeaways, each linked to its evidence, and the run's warnings."""

from __future__ import annotations

from ..document import Bullets, Code, Heading, Para, Prose, Section


def section(facts: dict) -> Section:
    data = facts["data"]
    blocks: list = [Heading(2, "What to know")]
    if facts["takeaways"]:
        blocks.append(Bullets([[Prose(t.text), " (", Prose(f"[evidence](#{t.evidence})"), ")"]
                               for t in facts["takeaways"]], ordered=True))
    else:
        empty = not data.records and not data.benchmark
        blocks.append(Para("Nothing stood out in this run" + (": it has no results." if empty else ".")))
    if not data.records and not data.benchmark:
        blocks.append(Para(Prose("**This run has no results.** Nothing was measured (an empty or interrupted run)."),
                           cls="warn"))
    if facts["noisy"]:
        blocks.append(Para(Prose(f"**Noisy run:** in {len(facts['noisy'])} of {len(facts['summary'])} measures "
                                 f"(marked ⚠) the repeated rounds spread by more than {facts['noisy_threshold']} of "
                                 f"their median. {facts['noise_cause']}Treat small differences as noise."),
                           cls="warn"))
    if facts["problems"]:
        blocks.append(Para(Prose(f"**{len(facts['problems'])} cell(s) did not complete:**"), cls="warn"))
        blocks.append(Bullets([[Code(r["runtime"]), " × ", Code(r["scenario"]), f": {r['status']} — ",
                                str(r.get("error") or "")] for r in facts["problems"]]))
    return Section("what-to-know", "What to know", blocks)

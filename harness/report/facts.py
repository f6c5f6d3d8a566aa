"""The facts of one run that a report shows, gathered once from its run directory.

``build_context`` reads the run directory (``model.load_run``: results.jsonl,
benchmark.json, environment.json, run.json) and computes what every section reads:
the summary rows, the behaviour rows, the operations the harness builds, the early
firings, the echo table, the scaling curves, the takeaways and cards, the floor. The
sections (``sections/``) turn these facts into blocks; nothing here renders.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from . import takeaways, targets
from .choose import choose
from .model import (NOISY_SPREAD, REFERENCE, Row, behaviour_rows, benchmark_rows, built_rows, early_firings,
                    echo_table, harness_rows, load_run, scaling_curves)

#: The families' table titles (as the run's runtimes were grouped: ``RunData.family``).
FAMILY_TITLES = {"ours": "our loops", "asyncio": "the asyncio family",
                 "structured": "structured concurrency and generators"}


def build_context(run_dir: Path) -> dict:
    """The facts of the run in ``run_dir``, by name, as every section reads them:

    ``data`` (``model.RunData``: records, cells, environment, benchmark, manifest),
    ``runtimes`` (in report order, controls left out), ``ours``, ``rows`` (the summary's
    ``model.Row``), ``noisy``, ``behaviour`` (``model.BehaviourRow``), ``differences``,
    ``built``, ``early``, ``io``, ``choices`` (``choose.Choice.display``),
    ``precision`` (how far the micro-suite's paired rounds got), ``scaling``, ``takeaways``, ``cards``, ``floor``,
    ``crossover``, ``environment``, ``problems``, ``family_titles``; the renderer adds
    ``plots``. A new section reads what it needs from here, or adds one key here.
    """
    data = load_run(run_dir)
    controls = data.controls
    runtimes = [rt for rt in data.runtimes if rt not in controls]   # controls: only in "built by the harness"
    ours = {rt for (rt, _), r in data.cells.items() if r.get("family") == "loopbench"}
    # A micro-benchmark group with no asyncio row has no ratio to show (the virtual-clock
    # group: our loops and a floor); the performance targets table reads it instead.
    all_rows = harness_rows(data.cells, data.runtimes) + [
        r for r in benchmark_rows(data.benchmark, data.runtimes)
        if r.cells.get(REFERENCE) is not None and r.cells[REFERENCE].status == "ok"]
    built = built_rows(all_rows, controls)
    rows = [_without(r, controls) for r in all_rows]
    summary = [{"title": r.measure.title} for r in rows]
    noisy = [r.measure.title for r in rows if r.noisy]
    behaviour = behaviour_rows(data.cells, runtimes, data.manifest.get("scenarios"))
    early = early_firings(data.cells, runtimes)
    problems = [r for r in data.cells.values() if r["status"] in ("error", "timeout")]
    return {
        "data": data, "runtimes": runtimes, "ours": ours, "rows": rows, "summary": summary, "noisy": noisy,
        "noisy_threshold": f"{NOISY_SPREAD:.0%}", "noise_cause": _noise_cause(data.environment or {}),
        "behaviour": behaviour, "differences": [b for b in behaviour if not b.agree], "built": built,
        "early": early, "io": echo_table(data.cells, runtimes),
        "choices": [c.display() for c in choose(data)],
        "precision": (data.benchmark or {}).get("precision") or {},
        "takeaways": takeaways.takeaways(rows, behaviour, early, problems, len(built),
                                         ((data.environment or {}).get("preflight") or {}).get("steadiness")),
        "cards": takeaways.cards(runtimes, rows, behaviour, early, {rt: data.about(rt) for rt in runtimes}),
        "scaling": scaling_curves(data.cells, runtimes),
        "floor": targets.floor_multiples(data.benchmark),
        "crossover": targets.churn_crossover(data.benchmark),
        "environment": data.environment, "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "run_name": Path(run_dir).resolve().name, "reference": REFERENCE, "problems": problems,
        "family_titles": FAMILY_TITLES,
    }


def _without(row: Row, controls: set[str]) -> Row:
    """The row as the summary shows it: the control runtimes' cells left out."""
    return Row(row.measure, {rt: c for rt, c in row.cells.items() if rt not in controls}, row.source)


def _noise_cause(environment: dict) -> str:
    """What the pre-flight saw that explains a noisy run, as the start of a sentence."""
    preflight = environment.get("preflight") or {}
    if any(w.startswith("load average") for w in preflight.get("warnings") or []):
        return "The machine was busy (see the pre-flight in the environment). "
    steady = preflight.get("steadiness") or {}
    if steady.get("spread", 0) > 0.05:
        return (f"The machine's own speed varied: the same work took {steady['fastest']:.2f}x to "
                f"{steady['slowest']:.2f}x its median time in the pre-flight. ")
    return ""



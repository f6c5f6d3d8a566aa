"""What a run directory says about itself (``run.json``), so its report needs nothing else.

The report reads the run directory only, never the live registries: a run read on
another checkout, or after a peer or scenario has changed, keeps its meaning. The
runner writes the manifest before the first cell (and merges it on ``--resume``):

* ``runtimes``: in report order, each with its ``family`` (``harness.runtimes.FAMILIES``),
  whether it is a ``control``, its ``distribution`` and what it is known for (``about``);
  a peer's ``variants`` (``curio -O``) follow it;
* ``scenarios``: each one's ``kind``, ``doc``, ``explain``, ``timing_sensitive`` and the
  ``clock`` its numbers were read on;
* ``skipped``: (runtime, scenario, reason) for cells the runner chose not to run.
"""

from __future__ import annotations

from pathlib import Path

from ..results.rundir import read_manifest, write_manifest
from ..scenarios.registry import BEHAVIOUR, Scenario

#: The clock each kind of scenario reads, unless it says otherwise (``Scenario.clock``).
CLOCKS = {BEHAVIOUR: "virtual or the runtime's own (the order of events is what is kept)",
          "latency": "wall (perf_counter)"}


def runtime_entries(names: list[str]) -> list[dict]:
    """Each runtime as the report needs it, from its description (peers) or the loop (ours)."""
    import impls

    from ..runtimes import described
    from ..runtimes.ours import about

    peers = described()
    entries = []
    for name in names:
        d = peers.get(name)
        if d is not None:
            entries.append({"name": name, "family": d.family, "control": d.control,
                            "distribution": d.distribution, "about": list(d.about)})
            entries += [{"name": variant, "family": d.family, "control": d.control,
                         "distribution": d.distribution, "about": list(text), "variant_of": name}
                        for variant, text in d.variants.items()]
        elif name in impls.names() or name.endswith("+asyncio"):
            entries.append({"name": name, "family": "ours", "control": False, "distribution": "loopbench",
                            "about": [text] if (text := about(name)) else []})
        else:                                   # an asyncio loop named on the command line
            entries.append({"name": name, "family": "asyncio", "control": False, "distribution": None,
                            "about": ["An asyncio event loop named on the command line, run with no adapter code."]})
    return entries


def scenario_entries(scenarios: list[Scenario]) -> dict[str, dict]:
    return {s.name: {"kind": s.kind, "doc": s.doc, "explain": s.explain, "timing_sensitive": s.timing_sensitive,
                     "clock": s.clock or CLOCKS.get(s.kind, CLOCKS["latency"])}
            for s in scenarios}


def record(out_dir: Path, runtimes: list[str], scenarios: list[Scenario],
           skipped: list[tuple[str, str, str]] = ()) -> Path:
    """Write (or, over an earlier manifest, extend) ``out_dir/run.json``."""
    old = read_manifest(out_dir)
    known = {e["name"]: e for e in old.get("runtimes") or []}
    for entry in runtime_entries(runtimes):
        known[entry["name"]] = entry
    scenario_info = {**(old.get("scenarios") or {}), **scenario_entries(scenarios)}
    skips = {(s["runtime"], s["scenario"]): s for s in old.get("skipped") or []}
    for rt, scn, reason in skipped:
        skips[(rt, scn)] = {"runtime": rt, "scenario": scn, "reason": reason}
    return write_manifest(out_dir, {"runtimes": list(known.values()), "scenarios": scenario_info,
                                    "skipped": list(skips.values())})

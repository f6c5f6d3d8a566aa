"""The environment: the machine, the interpreter, the pre-flight and the libraries' versions."""

from __future__ import annotations

from ..document import Cell, Code, Heading, Para, Section, Table


def section(facts: dict) -> Section:
    env = facts["environment"] or {}
    rows = [("machine", f"{env.get('cpu') or '?'}, {env.get('cpu_count') or '?'} CPUs, {env.get('machine') or ''}"),
            ("OS", env.get("os") or "?"),
            ("Python", f"{env.get('python') or '?'} ({env.get('implementation') or ''}), switch interval "
                       f"{env.get('switch_interval_s') or '?'} s"),
            ("load average at start", str(env.get("loadavg") or "?")),
            ("git revision", env.get("git_revision") or "?"),
            ("profile", env.get("profile") or "default")]
    preflight = env.get("preflight") or {}
    if preflight:
        rows.append(("pre-flight", "; ".join(preflight.get("warnings") or []) or "the machine looked quiet"))
        steady = preflight.get("steadiness") or {}
        if steady:
            rows.append(("machine steadiness",
                         f"the same work took {steady['fastest']:.2f}x to {steady['slowest']:.2f}x its median time "
                         f"(10th to 90th percentile of {steady['runs']} runs): the least any interval of this run "
                         "can be"))
    rows += [(lib, version or "not installed") for lib, version in (env.get("libraries") or {}).items()]
    return Section("environment", "Environment", [
        Heading(2, "Environment"),
        Table(["", ""], [[Cell(k, "name"), Cell(v, "prose")] for k, v in rows]),
        Para(["Raw data: ", Code("results.jsonl"), " (harness), ", Code("benchmark.json"), " (pytest-benchmark), ",
              Code("environment.json"), ", ", Code("run.json"), " (what the run measured, and how)."], cls="meta")])

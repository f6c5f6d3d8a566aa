"""Render a run directory into report.md, report.html (self-contained) and PNG plots.

Everything written goes into the run directory: a plot's file name comes from a
scenario name in results.jsonl, so it is reduced to a plain file name there, and a
name that would still leave the directory gets no plot (a warning says so). Text
from records (error messages, docs) is escaped for the format it lands in: HTML by
the template engine, Markdown by ``md_text``.
"""

from __future__ import annotations

import base64
import html
import json
import re
import warnings
from datetime import datetime, timezone
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from . import compat, plots, takeaways, targets
from .model import (NOISY_SPREAD, REFERENCE, STATUS_ORDER, BehaviourRow, Row, behaviour_rows, benchmark_rows,
                    built_rows, early_firings, echo_table, fmt, harness_rows, lateness_samples, load_run, scaling_curves,
                    status_counts)

SCALING_UNITS = {"scaling.tick_with_timers": "per loop iteration", "scaling.timers": "per timer",
                 "scaling.sleeping_tasks": "per task", "scaling.spawn": "per task"}


def _summary_cell(row: Row, rt: str) -> dict:
    cell = row.cells[rt]
    if cell.status == "missing":
        return {"text": "–", "title": "not measured in this run", "best": False}
    if cell.status == "emulated":
        return {"text": "built by harness", "title": f"emulated: {cell.note}; not compared", "best": False}
    if cell.status != "ok" or cell.value is None:
        return {"text": cell.status if cell.status != "ok" else "–", "title": cell.note, "best": False}
    ratio = f"{cell.ratio:.2f}" if cell.ratio is not None else "n/a"
    if cell.halfwidth is not None:
        spread = f" ±{cell.halfwidth * 100:.0f}%" + (" ⚠" if cell.wide else "")
        interval = f" (95% CI {fmt(cell.ci[0])} – {fmt(cell.ci[1])})"
    else:
        spread = f" ±{cell.spread * 50:.0f}%" if cell.spread is not None else ""
        interval = ""
    return {"text": f"{ratio}{spread}", "title": f"{fmt(cell.value)} {row.measure.unit}{interval}",
            "best": cell.best, "raw": f"{fmt(cell.value)}"}


def _trace_full(trace: list) -> str:
    return json.dumps(trace, ensure_ascii=False)


def _trace_text(trace: list, limit: int = 160) -> str:
    text = json.dumps(trace, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_context(run_dir: Path) -> dict:
    from ..runtimes import CONTROLS

    data = load_run(run_dir)
    controls = set(CONTROLS) & set(data.runtimes)
    runtimes = [rt for rt in data.runtimes if rt not in controls]   # controls: only in "built by the harness"
    ours = {rt for (rt, _), r in data.cells.items() if r.get("family") == "loopbench"}
    # A micro-benchmark group with no asyncio row has no ratio to show (the virtual-clock
    # group: our loops and a floor); the performance targets table reads it instead.
    all_rows = harness_rows(data.cells, data.runtimes) + [
        r for r in benchmark_rows(data.benchmark, data.runtimes)
        if r.cells.get(REFERENCE) is not None and r.cells[REFERENCE].status == "ok"]
    built = built_rows(all_rows, controls)
    rows = [_without(r, controls) for r in all_rows]
    summary = [{"title": r.measure.title, "unit": r.measure.unit, "better": r.measure.better,
                "source": r.source, "noisy": r.noisy,
                "raw_ref": fmt(r.cells[REFERENCE].value) if REFERENCE in r.cells else "–",
                "cells": {rt: _summary_cell(r, rt) for rt in runtimes}} for r in rows]
    noisy = [r.measure.title for r in rows if r.noisy]
    behaviour = behaviour_rows(data.cells, runtimes)
    early = early_firings(data.cells, runtimes)
    problems = [r for r in data.cells.values() if r["status"] in ("error", "timeout")]
    return {
        "data": data, "runtimes": runtimes, "ours": ours, "rows": rows, "summary": summary, "noisy": noisy,
        "noisy_threshold": f"{NOISY_SPREAD:.0%}", "noise_cause": _noise_cause(data.environment or {}),
        "behaviour": behaviour,
        "differences": [b for b in behaviour if not b.agree], "built": built,
        "early": early, "io": echo_table(data.cells, runtimes),
        "takeaways": takeaways.takeaways(rows, behaviour, early, problems, len(built),
                                         ((data.environment or {}).get("preflight") or {}).get("steadiness")),
        "cards": takeaways.cards(runtimes, rows, behaviour, early),
        "generators": (takeaways.generator_rows(rows), takeaways.GENERATOR_DIFFERENCES)
                      if all(rt in runtimes for rt in takeaways.GENERATOR_LOOPS) else None,
        "counts": status_counts(data.cells, runtimes), "statuses": STATUS_ORDER,
        "scaling": scaling_curves(data.cells, runtimes), "scaling_units": SCALING_UNITS,
        "targets": [targets.describe(v) for v in targets.evaluate(data.benchmark, data.cells)],
        "floor": targets.floor_multiples(data.benchmark),
        "crossover": targets.churn_crossover(data.benchmark),
        "environment": data.environment, "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "run_name": Path(run_dir).resolve().name, "reference": REFERENCE,
        "trace_text": _trace_text, "trace_full": _trace_full, "fmt": fmt, "problems": problems,
        "compat": compat.section(run_dir),        # the judges' matrix, if the run has judges.json
    }


def _without(row: Row, controls: set[str]) -> Row:
    """The row as the summary shows it: the control runtimes' cells left out."""
    return Row(row.measure, {rt: c for rt, c in row.cells.items() if rt not in controls}, row.source)


_UNSAFE_IN_FILE_NAMES = re.compile(r"[^A-Za-z0-9._+-]")


def plot_path(out_dir: Path, scenario: str) -> Path | None:
    """Where the plot of ``scenario`` goes: a plain file name inside ``out_dir``, or None (refused)."""
    name = _UNSAFE_IN_FILE_NAMES.sub("_", scenario)
    path = out_dir / f"{name}.png"
    parts = re.split(r"[/\\]", scenario)
    if (not scenario or parts[0] == "" or ".." in parts or name.startswith(".")
            or path.resolve().parent != Path(out_dir).resolve()):
        warnings.warn(f"no plot for the scenario named {scenario!r}: not usable as a file name")
        return None
    return path


def make_plots(ctx: dict, out_dir: Path) -> list[dict]:
    out: list[dict] = []
    ours = ctx["ours"]
    for scn, samples in sorted(lateness_samples(ctx["data"].cells).items()):
        if (target := plot_path(out_dir, scn)) is None:
            continue
        path = plots.lateness_cdf(samples, f"{scn}: when timers fire", target, ours)
        out.append({"title": f"Timer lateness: {scn}", "file": path.name})
    for scn, curves in sorted(ctx["scaling"].items()):
        if (target := plot_path(out_dir, scn)) is None:
            continue
        unit = SCALING_UNITS.get(scn, "per operation")
        path = plots.scaling(curves, scn, unit, target, ours)
        out.append({"title": f"Scaling: {scn}", "file": path.name})
    if ctx["crossover"] is not None:
        path = plots.churn_crossover(ctx["crossover"], out_dir / "churn_crossover.png", ours)
        out.append({"title": "Timer stores: churn against timers armed", "file": path.name})
    if ctx["io"] and (path := plots.echo_bars(ctx["io"], out_dir / "io.echo.png", ours)):
        out.append({"title": "I/O: TCP echo, requests per second", "file": path.name})
    throughput = [r for r in ctx["rows"] if r.source == "pytest-benchmark"]
    path = plots.throughput_bars(throughput, ctx["runtimes"], out_dir / "throughput.png", ours)
    if path:
        out.append({"title": "Throughput relative to asyncio", "file": path.name})
    return out


def _md_inline(text: str) -> Markup:
    """The little markdown takeaways use (**bold**, `code`), as escaped HTML."""
    out = html.escape(str(text))
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    out = re.sub(r"`(.+?)`", r"<code>\1</code>", out)
    return Markup(out)


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


def _environment():
    env = Environment(loader=PackageLoader("harness.report", "templates"),
                      autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["md_escape"] = lambda s: str(s).replace("|", "\\|").replace("\n", " ")
    env.filters["md_text"] = md_text
    env.filters["md_no_html"] = lambda s: html.escape(str(s), quote=False)
    env.filters["md_code"] = lambda s: str(s).replace("`", "'").replace("\n", " ")
    env.filters["html_escape"] = lambda s: html.escape(str(s))
    env.filters["md_inline"] = _md_inline
    return env


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|#!])")


def md_text(value) -> str:
    """``value`` as inert Markdown prose on one line: no HTML, no emphasis, links or code."""
    text = html.escape(str(value), quote=False).replace("\r", " ").replace("\n", " ")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def render(run_dir: Path) -> dict[str, Path]:
    """Write report.md, report.html and the plots into ``run_dir``; return their paths.

    A run across interpreters (``interpreters.json``) gets its own report instead."""
    run_dir = Path(run_dir)
    if (run_dir / "interpreters.json").exists():
        from .interpreters import render_across

        return render_across(run_dir)
    ctx = build_context(run_dir)
    ctx["plots"] = make_plots(ctx, run_dir)
    env = _environment()
    md_path = run_dir / "report.md"
    md_path.write_text(env.get_template("report.md.j2").render(**ctx))
    for plot in ctx["plots"]:
        png = (run_dir / plot["file"]).read_bytes()
        plot["data_uri"] = "data:image/png;base64," + base64.b64encode(png).decode()
    html_path = run_dir / "report.html"
    html_path.write_text(env.get_template("report.html.j2").render(**ctx))
    return {"md": md_path, "html": html_path, **{p["file"]: run_dir / p["file"] for p in ctx["plots"]}}


__all__ = ["BehaviourRow", "build_context", "render"]

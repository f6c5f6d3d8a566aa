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

from . import plots, targets
from .model import (NOISY_SPREAD, REFERENCE, STATUS_ORDER, BehaviourRow, Row, behaviour_rows, benchmark_rows,
                    fmt, harness_rows, lateness_samples, load_run, scaling_curves, status_counts)

SCALING_UNITS = {"scaling.tick_with_timers": "per loop iteration", "scaling.timers": "per timer",
                 "scaling.sleeping_tasks": "per task", "scaling.spawn": "per task"}


def _summary_cell(row: Row, rt: str) -> dict:
    cell = row.cells[rt]
    if cell.status == "missing":
        return {"text": "–", "title": "not measured in this run", "best": False}
    if cell.status != "ok" or cell.value is None:
        return {"text": cell.status if cell.status != "ok" else "–", "title": cell.note, "best": False}
    ratio = f"{cell.ratio:.2f}" if cell.ratio is not None else "n/a"
    spread = f" ±{cell.spread * 50:.0f}%" if cell.spread is not None else ""
    mark = "*" if cell.note == "emulated" else ""
    return {"text": f"{ratio}{spread}{mark}", "title": f"{fmt(cell.value)} {row.measure.unit}",
            "best": cell.best, "raw": f"{fmt(cell.value)}"}


def _trace_text(trace: list, limit: int = 160) -> str:
    text = json.dumps(trace, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_context(run_dir: Path) -> dict:
    data = load_run(run_dir)
    runtimes = data.runtimes
    ours = {rt for (rt, _), r in data.cells.items() if r.get("family") == "loopbench"}
    # A micro-benchmark group with no asyncio row has no ratio to show (the virtual-clock
    # group: our loops and a floor); the performance targets table reads it instead.
    rows = harness_rows(data.cells, runtimes) + [
        r for r in benchmark_rows(data.benchmark, runtimes)
        if r.cells.get(REFERENCE) is not None and r.cells[REFERENCE].status == "ok"]
    summary = [{"title": r.measure.title, "unit": r.measure.unit, "better": r.measure.better,
                "source": r.source, "noisy": r.noisy,
                "raw_ref": fmt(r.cells[REFERENCE].value) if REFERENCE in r.cells else "–",
                "cells": {rt: _summary_cell(r, rt) for rt in runtimes}} for r in rows]
    noisy = [r.measure.title for r in rows if r.noisy]
    behaviour = behaviour_rows(data.cells, runtimes)
    return {
        "data": data, "runtimes": runtimes, "ours": ours, "rows": rows, "summary": summary, "noisy": noisy,
        "noisy_threshold": f"{NOISY_SPREAD:.0%}", "behaviour": behaviour,
        "differences": [b for b in behaviour if not b.agree],
        "counts": status_counts(data.cells, runtimes), "statuses": STATUS_ORDER,
        "scaling": scaling_curves(data.cells, runtimes), "scaling_units": SCALING_UNITS,
        "targets": [targets.describe(v) for v in targets.evaluate(data.benchmark, data.cells)],
        "floor": targets.floor_multiples(data.benchmark),
        "environment": data.environment, "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "run_name": Path(run_dir).resolve().name, "reference": REFERENCE,
        "trace_text": _trace_text, "fmt": fmt, "problems": [r for r in data.cells.values()
                                                             if r["status"] in ("error", "timeout")],
    }


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
    throughput = [r for r in ctx["rows"] if r.measure.key in ("call_soon", "switch_sleep0", "switch_event",
                                                               "spawn_join") or r.source == "pytest-benchmark"]
    path = plots.throughput_bars(throughput, ctx["runtimes"], out_dir / "throughput.png", ours)
    if path:
        out.append({"title": "Throughput relative to asyncio", "file": path.name})
    return out


def _environment():
    env = Environment(loader=PackageLoader("harness.report", "templates"),
                      autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["md_escape"] = lambda s: str(s).replace("|", "\\|").replace("\n", " ")
    env.filters["md_text"] = md_text
    env.filters["md_no_html"] = lambda s: html.escape(str(s), quote=False)
    env.filters["md_code"] = lambda s: str(s).replace("`", "'").replace("\n", " ")
    env.filters["html_escape"] = lambda s: html.escape(str(s))
    return env


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|#!])")


def md_text(value) -> str:
    """``value`` as inert Markdown prose on one line: no HTML, no emphasis, links or code."""
    text = html.escape(str(value), quote=False).replace("\r", " ").replace("\n", " ")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def render(run_dir: Path) -> dict[str, Path]:
    """Write report.md, report.html and the plots into ``run_dir``; return their paths."""
    run_dir = Path(run_dir)
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

"""Render a run directory into report.md, report.html (self-contained) and PNG plots.

``facts.build_context`` gathers the run's facts once (``model``'s rows, the takeaways, the
cards); each section of ``sections.SECTIONS`` turns them into blocks, and
``document`` renders the same blocks to Markdown and to HTML, escaping every piece of
text for the format it lands in.

Everything written goes into the run directory: a plot's file name comes from a
scenario name in results.jsonl, so it is reduced to a plain file name there, and a
name that would still leave the directory gets no plot (a warning says so).
"""

from __future__ import annotations

import base64
import re
import warnings
from pathlib import Path

from . import document, plots, sections
from .facts import build_context
from .model import BehaviourRow, lateness_samples
from .sections.scaling import SCALING_UNITS

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


def head(ctx: dict, built: list) -> list:
    """The title, the run's one-line description, and the contents."""
    env = ctx["environment"] or {}
    return [document.Heading(1, f"loopbench report — {ctx['run_name']}"),
            document.Para([f"Generated {ctx['generated']} · Python {env.get('python') or '?'} on "
                           f"{env.get('cpu') or '?'} ({env.get('cpu_count') or '?'} CPUs) · profile ",
                           document.Code(env.get("profile") or "default"), " · git ",
                           document.Code(env.get("git_revision") or "?")], cls="meta"),
            document.Para([document.Prose("**Contents:** ")] + [
                part for i, s in enumerate(built)
                for part in ([" · "] if i else []) + [document.Prose(f"[{s.title}](#{s.anchor})")]])]


def render(run_dir: Path) -> dict[str, Path]:
    """Write report.md, report.html and the plots into ``run_dir``; return their paths.

    A run across interpreters (``interpreters.json``) gets its own report instead."""
    run_dir = Path(run_dir)
    if (run_dir / "interpreters.json").exists():
        from .interpreters import render_across

        return render_across(run_dir)
    ctx = build_context(run_dir)
    ctx["plots"] = make_plots(ctx, run_dir)
    built = sections.build(ctx)
    blocks = head(ctx, built) + built
    md_path = run_dir / "report.md"
    md_path.write_text(document.render_markdown(blocks))
    images = {p["file"]: "data:image/png;base64," + base64.b64encode((run_dir / p["file"]).read_bytes()).decode()
              for p in ctx["plots"]}
    html_path = run_dir / "report.html"
    html_path.write_text(document.page(f"loopbench report — {ctx['run_name']}", document.render_html(blocks, images)))
    return {"md": md_path, "html": html_path, **{p["file"]: run_dir / p["file"] for p in ctx["plots"]}}


__all__ = ["BehaviourRow", "build_context", "render"]

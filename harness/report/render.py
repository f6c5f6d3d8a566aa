"""Render a run directory into report.md, report.html (self-contained) and PNG plots.

``build_context`` gathers the run's facts once (``model``'s rows, the takeaways, the
cards); each section of ``sections.SECTIONS`` turns them into blocks, and
``document`` renders the same blocks to Markdown and to HTML, escaping every piece of
text for the format it lands in.

Everything written goes into the run directory: a plot's file name comes from a
scenario name in results.jsonl, so it is reduced to a plain file name there, and a
name that would still leave the directory gets no plot (a warning says so).
"""

from __future__ import annotations

import base64
import html
import re
import warnings
from datetime import datetime, timezone
from pathlib import Path

from . import document, plots, sections, takeaways, targets
from .model import (NOISY_SPREAD, REFERENCE, STATUS_ORDER, BehaviourRow, Row, behaviour_rows, benchmark_rows,
                    built_rows, early_firings, echo_table, fmt, harness_rows, lateness_samples, load_run, scaling_curves,
                    status_counts)
from .sections.scaling import SCALING_UNITS

#: The families' table titles (as the run's runtimes were grouped: ``RunData.family``).
FAMILY_TITLES = {"ours": "our loops", "asyncio": "the asyncio family",
                 "structured": "structured concurrency and generators"}


def build_context(run_dir: Path) -> dict:
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
        "takeaways": takeaways.takeaways(rows, behaviour, early, problems, len(built),
                                         ((data.environment or {}).get("preflight") or {}).get("steadiness")),
        "cards": takeaways.cards(runtimes, rows, behaviour, early, {rt: data.about(rt) for rt in runtimes}),
        "counts": status_counts(data.cells, runtimes), "statuses": STATUS_ORDER,
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


PAGE_CSS = """
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1300px; padding: 0 1em; color: #222; }
  h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
  .meta { color: #666; } .note { color: #555; font-size: 13px; margin: .2em 0; }
  table { border-collapse: collapse; margin: .8em 0; font-size: 12.5px; }
  th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: center; white-space: nowrap; background: #fff; }
  th { background: #f4f4f4; position: sticky; top: 0; }
  tr > :first-child { position: sticky; left: 0; z-index: 1; text-align: left; }
  th:first-child { z-index: 2; }
  td.best { font-weight: bold; background: #eaf6ea; }
  .ours { color: #1f5fa8; }
  .pass { background: #e6f4e6; } .fail { background: #fbe3e3; } .observed { background: #e7f1fa; }
  .unsupported, .missing { color: #999; background: #fafafa; } .error { background: #f8c9c9; font-weight: bold; }
  .timeout { background: #f1d6f5; font-weight: bold; } .nd { font-style: italic; } .differs { background: #f3ecfa; }
  .warn { background: #fff6da; border-left: 4px solid #e6b800; padding: .6em 1em; margin: 1em 0; }
  code { background: #f3f3f3; padding: 0 3px; border-radius: 3px; }
  img { max-width: 100%; border: 1px solid #eee; }
  td.prose { white-space: normal; text-align: left; max-width: 60em; }
  .scroll { overflow-x: auto; max-width: 100%; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: .8em; }
  .card { border: 1px solid #ddd; border-radius: 6px; padding: .5em .8em; font-size: 13px; }
  .card h3 { margin: .1em 0 .3em; font-size: 1.05em; } .card ul { margin: .2em 0; padding-left: 1.2em; }
  details summary { cursor: pointer; color: #1f5fa8; }
"""


def page(title: str, body: str) -> str:
    """A self-contained HTML page around a rendered body (the report, and the one across interpreters)."""
    return (f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
            f"<style>{PAGE_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


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
    html_path.write_text(page(f"loopbench report — {ctx['run_name']}", document.render_html(blocks, images)))
    return {"md": md_path, "html": html_path, **{p["file"]: run_dir / p["file"] for p in ctx["plots"]}}


__all__ = ["BehaviourRow", "build_context", "render"]

"""The compatibility matrix: what code nobody here wrote says of each asyncio loop.

Reads ``judges.json`` (written by ``loopbench judges``: CPython's test_asyncio and
anyio's test suite, each test of each in one bucket, see ``harness.judges``) and renders
it as Markdown: per suite, a table of every loop's buckets (the denominator is the whole
suite), then a matrix of feature group x loop with passed / failed / skipped counts, each
failed count linking to the list of those failures with the first line of their error.
Tests in a feature a loop declares missing are rows of their own ("declared missing:
UDP"...), never folded into another row or left out of the denominator.

``section(run_dir)`` is the piece the bench report adds when its run directory has a
``judges.json``; ``write(run_dir)`` writes ``judges.md`` and ``judges.html`` beside it.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

FILE = "judges.json"

#: Feature groups beyond the features a loop can declare missing (``loops.FEATURES``),
#: matched in this order against a test's id, lower-cased; a test in none is grouped by
#: its module.
GROUPS: tuple[tuple[str, str], ...] = (
    ("TLS", r"ssl|tls"),
    ("buffered protocols", r"buffered"),
    ("executors", r"executor|to_thread|to_process|to_interpreter"),
    ("threadsafe", r"threadsafe|from_thread|test_threads\.|blocking_portal"),
    ("servers", r"server|listener"),
    ("streams", r"stream"),
    ("sockets", r"sock|tcp|connect|getaddrinfo|dns"),
)

#: Buckets of tests that ran on the loop under test, shown in the matrix.
RAN = ("passed", "failed", "skipped", "hung", "crashed")

SUITES = (("cpython", "CPython's test.test_asyncio"), ("anyio_suite", "anyio's test suite"))


def group_of(test_id: str, module: str, feature: str | None, bucket: str) -> str:
    """The matrix row of a test."""
    if bucket == "missing":
        return f"declared missing: {feature}"
    if feature:
        return feature
    lowered = test_id.lower()
    for name, pattern in GROUPS:
        if re.search(pattern, lowered):
            return name
    return module.removeprefix("test_").replace(".test_", ".")


def entries(run: dict):
    """(test_id, module, entry) of one loop's run of a suite (CPython's is by module)."""
    if "modules" in run:
        for module, outcome in run["modules"].items():
            for test_id, entry in outcome["tests"].items():
                yield test_id, module, entry
    else:
        for test_id, entry in run["tests"].items():
            yield test_id, entry.get("module", ""), entry


def anchor(*parts: str) -> str:
    return "compat-" + "-".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts)


def _md(text) -> str:
    """Text as inert Markdown on one line (no HTML, no emphasis, no table breaks)."""
    text = html.escape(str(text), quote=False).replace("\n", " ")
    return re.sub(r"([\\`*_\[\]|#<>])", r"\\\1", text)


def markdown(data: dict, heading: str = "##") -> str:
    """The whole matrix as Markdown."""
    from ..judges.cpython_tests import BUCKETS

    out = [f"{heading} Compatibility: each loop judged by tests nobody here wrote", ""]
    out.append(f"Python {data.get('python', '?')}; anyio {data.get('anyio', '?')}. Every test of a suite is "
               "counted in exactly one bucket on every loop, so each row's total is the whole suite. "
               "Buckets: " + "; ".join(f"**{k}**: {_md(v)}" for k, v in BUCKETS.items()) + ".")
    out.append("")
    for key, title in SUITES:
        runs = data.get(key) or []
        if not runs:
            continue
        loops = [run["loop"] for run in runs]
        out += [f"{heading}# {title}", ""]
        # Buckets per loop.
        used = [b for b in BUCKETS if any(e["bucket"] == b for run in runs for _, _, e in entries(run))]
        out.append("| loop | total | " + " | ".join(used) + " | seconds | declares missing |")
        out.append("|---|---:|" + "---:|" * len(used) + "---:|---|")
        for run in runs:
            counts = dict.fromkeys(used, 0)
            for _, _, entry in entries(run):
                counts[entry["bucket"]] += 1
            seconds = run.get("seconds") or sum(m.get("seconds", 0) for m in run.get("modules", {}).values())
            out.append(f"| {_md(run['loop'])} | {sum(counts.values())} | "
                       + " | ".join(str(counts[b]) for b in used)
                       + f" | {seconds:.0f} | {_md(', '.join(run.get('missing') or [])) or '–'} |")
        notes = [(run["loop"], m, o) for run in runs for m, o in run.get("modules", {}).items()
                 if o["status"] != "ok"]
        notes += [(run["loop"], "(the suite)", run) for run in runs if run.get("status", "ok") != "ok"]
        out.append("")
        for loop, module, outcome in notes:
            out.append(f"- {_md(loop)}, {_md(module)}: **{outcome['status']}**: {_md(outcome['error'])}")
        if notes:
            out.append("")
        # Groups x loops.
        table: dict[str, dict[str, dict]] = {}
        for run in runs:
            for test_id, module, entry in entries(run):
                if entry["bucket"] not in RAN and entry["bucket"] != "missing":
                    continue
                row = group_of(test_id, module, entry.get("feature"), entry["bucket"])
                cell = table.setdefault(row, {}).setdefault(run["loop"], {b: 0 for b in RAN} | {"failures": []})
                bucket = entry["bucket"] if entry["bucket"] != "missing" else entry.get("outcome") or "hung"
                cell[bucket] = cell.get(bucket, 0) + 1
                if bucket == "failed":
                    cell["failures"].append((test_id, entry.get("detail", "")))
        out.append("Each cell: passed / failed / skipped (then hung or crashed, if any) of the tests that ran "
                   "on the loop; a failed count links to its failures.")
        out.append("")
        out.append("| feature or module | " + " | ".join(_md(loop) for loop in loops) + " |")
        out.append("|---|" + "---|" * len(loops))
        ordered = sorted(table, key=lambda r: (r.startswith("declared missing"), r))
        for row in ordered:
            cells = []
            for loop in loops:
                cell = table[row].get(loop)
                if cell is None:
                    cells.append("–")
                    continue
                failed = str(cell["failed"])
                if cell["failed"]:
                    failed = f"[{failed}](#{anchor(key, loop, row)})"
                text = f"{cell['passed']} / {failed} / {cell['skipped']}"
                for extra in ("hung", "crashed"):
                    if cell[extra]:
                        text += f" / {cell[extra]} {extra}"
                cells.append(text)
            out.append(f"| {_md(row)} | " + " | ".join(cells) + " |")
        out.append("")
        # Failures, by loop and row.
        out += [f"{heading}## Failures in {title}", ""]
        for loop in loops:
            for row in ordered:
                cell = table[row].get(loop)
                if not cell or not cell["failures"]:
                    continue
                out.append(f'<a id="{anchor(key, loop, row)}"></a>**{_md(loop)}, {_md(row)}** '
                           f"({len(cell['failures'])})")
                out.append("")
                for test_id, detail in sorted(cell["failures"]):
                    out.append(f"- {_md(test_id)}: {_md(detail)}")
                out.append("")
    return "\n".join(out) + "\n"


def load(run_dir: Path) -> dict | None:
    path = Path(run_dir) / FILE
    return json.loads(path.read_text()) if path.exists() else None


def section(run_dir: Path) -> dict | None:
    """The report's section, as Markdown and HTML, if the run directory has judges.json."""
    data = load(run_dir)
    if data is None:
        return None
    text = markdown(data)
    return {"md": text, "html": to_html(text)}


def to_html(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table").render(text)


def write(run_dir: Path) -> dict[str, Path]:
    """judges.md and judges.html from the run directory's judges.json."""
    run_dir = Path(run_dir)
    data = load(run_dir)
    if data is None:
        raise FileNotFoundError(f"no {FILE} in {run_dir}")
    text = markdown(data, heading="#")
    md_path, html_path = run_dir / "judges.md", run_dir / "judges.html"
    md_path.write_text(text)
    html_path.write_text("<!doctype html><html><head><meta charset='utf-8'><title>loopbench: compatibility"
                         "</title><style>body{font-family:sans-serif;max-width:80em;margin:auto}table{border-"
                         "collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}</style></head><body>"
                         + to_html(text) + "</body></html>\n")
    return {"md": md_path, "html": html_path}

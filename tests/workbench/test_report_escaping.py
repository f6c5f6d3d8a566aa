"""Hostile names and environment strings cannot break report.md or compare-*.md: no HTML
passes through, and a ``|`` or a newline cannot end a table cell or a row."""

from __future__ import annotations

import json
import re

from harness.report.compare import compare, to_markdown
from harness.report.render import render
from harness.results import records as results

EVIL = "ev|il\n<script>alert(1)</script>"
ENV = {"python": "3.11.7", "cpu": "CPU | with\n<b>bold</b>", "cpu_count": 2, "profile": "quick",
       "os": "Linux\n| injected | row |", "libraries": {"trio": "0.35|<i>x</i>"}}


def rec(runtime, scenario, **extra):
    kind = "latency" if scenario.startswith("latency") else "behaviour"
    return {"schema": 1, "run_id": "t", "runtime": runtime, "family": "peer", "scenario": scenario,
            "group": scenario.split(".")[0], "kind": kind, "status": "observed", "doc": "d|o\nc <i>",
            "explain": "", "env": ENV, **extra}


def write_run(directory, handoff):
    directory.mkdir(parents=True)
    for runtime in ("asyncio", EVIL):
        results.append(directory / "results.jsonl",
                       rec(runtime, "latency.switch_event", metrics={"handoff_us": {"median": handoff, "spread": 0.01}}))
        results.append(directory / "results.jsonl",
                       rec(runtime, "timers.odd", expected=None, deterministic=True,
                           outcomes=[{"trace": [runtime, "|"], "count": 5}]))
    (directory / "environment.json").write_text(json.dumps(ENV))
    return directory


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def check_markdown(md: str) -> None:
    prose = re.sub(r"`[^`\n]*`", "", md)               # a code span shows HTML as text: inert there
    assert "<script>" not in prose and "<b>bold</b>" not in prose and "<i>" not in prose
    lines = md.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|---"):
            columns = unescaped_pipes(lines[i - 1])
            for row in lines[i + 1:]:
                if not row.startswith("|"):
                    break
                assert unescaped_pipes(row) == columns, f"a table row broken by a name: {row!r}"
    assert not any(line.startswith("<script") or line.startswith("| injected") for line in lines)


def test_hostile_names_are_escaped_in_report_md_and_html(tmp_path):
    run = write_run(tmp_path / "run", 3.0)
    written = render(run)
    md, html = written["md"].read_text(), written["html"].read_text()
    check_markdown(md)
    assert "ev\\|il &lt;script&gt;alert(1)&lt;/script&gt;" in md          # the name, shown, inert
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_hostile_names_are_escaped_in_compare_md(tmp_path):
    a = write_run(tmp_path / "a", 3.0)
    b = write_run(tmp_path / "b", 2.0)
    (b / "environment.json").write_text(json.dumps({**ENV, "cpu": "other | <script>x</script>\nCPU"}))
    md = to_markdown(compare(a, b))
    check_markdown(md)
    assert "&lt;script&gt;" in md

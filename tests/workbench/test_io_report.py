"""The I/O part of the report, on synthetic run data: the summary rows, the echo table with
its floor, the plot, and the echo targets (a rate: subject / reference, higher is better)."""

import json

from harness.results import records as results
from harness.report import targets
from harness.report.model import echo_table, harness_rows, load_run
from harness.report.render import render

ENV = {"python": "3.11.7", "cpu": "Test CPU", "cpu_count": 2, "libraries": {}, "profile": "quick"}


def rec(runtime, scenario, status="observed", family="peer", **extra):
    return {"schema": 1, "run_id": "t", "runtime": runtime, "family": family, "scenario": scenario,
            "group": "io", "kind": "latency", "status": status, "doc": f"doc of {scenario}",
            "explain": "", "env": ENV, **extra}


def echo(rps, floor=None, p50=300.0, p99=900.0):
    row = {"rps": rps, "requests": 1000, "latency_us": {"p50": p50, "p99": p99}}
    if floor is not None:
        row.update(floor={"rps": floor, "requests": 1000}, of_floor=rps / floor)
    return {"connections": 10, "sizes": ["1KiB"], "1KiB": row}


def write_run(directory, records):
    directory.mkdir(parents=True)
    for r in records:
        results.append(directory / "results.jsonl", r)
    (directory / "environment.json").write_text(json.dumps(ENV))
    return directory


def records(heap_rps):
    return [
        rec("heap", "io.echo", family="loopbench", metrics=echo(heap_rps, floor=40_000.0)),
        rec("asyncio", "io.echo", metrics=echo(20_000.0, floor=30_000.0)),
        rec("tinyio", "io.echo", status="unsupported", reason="tinyio has no serve_echo"),
        rec("asyncio", "io.echo_protocols", metrics=echo(25_000.0)),
        rec("heap", "io.echo_protocols", status="unsupported", family="loopbench", reason="no Protocol API"),
        rec("heap", "io.socketpair_latency", family="loopbench", metrics={"round_trip_us": {"p50": 20.0}}),
        rec("asyncio", "io.socketpair_latency", metrics={"round_trip_us": {"p50": 40.0}}),
    ]


def test_echo_targets_are_rates_against_streams_and_protocols(tmp_path):
    data = load_run(write_run(tmp_path / "run", records(heap_rps=30_000.0)))
    verdicts = {v.target.measure: v for v in targets.evaluate(None, data.cells)}
    streams = verdicts["TCP echo, 1 KiB, 10 connections: req/s"]
    protocols = verdicts["TCP echo, 1 KiB, 10 connections: req/s, against asyncio's Protocol API"]
    assert streams.ratio == 1.5 and streams.met and streams.target.wanted == "heap >= 1.3x asyncio"
    assert protocols.ratio == 1.2 and protocols.met and protocols.reference.source == "io.echo_protocols"


def test_an_echo_target_not_met_states_the_measured_reason(tmp_path):
    data = load_run(write_run(tmp_path / "run", records(heap_rps=18_000.0)))
    verdict = next(v for v in targets.evaluate(None, data.cells) if v.target.scenario == "io.echo")
    assert verdict.met is False and verdict.ratio == 0.9
    assert "epoll" in targets.describe(verdict)["why"]


def test_summary_has_echo_and_socketpair_rows_against_asyncio(tmp_path):
    data = load_run(write_run(tmp_path / "run", records(heap_rps=30_000.0)))
    rows = {r.measure.key: r for r in harness_rows(data.cells, data.runtimes)}
    assert rows["echo_1k"].cells["heap"].ratio == 1.5 and rows["echo_1k"].cells["heap"].best
    assert rows["socketpair_p50"].cells["heap"].ratio == 0.5 and rows["socketpair_p50"].cells["heap"].best
    assert rows["echo_1k"].cells["tinyio"].status == "unsupported"


def test_echo_table_has_each_idiom_and_the_floor(tmp_path):
    data = load_run(write_run(tmp_path / "run", records(heap_rps=30_000.0)))
    table = echo_table(data.cells, data.runtimes)
    by = {(r.runtime, r.idiom): r for r in table.rows}
    assert table.sizes == ["1KiB"] and table.connections == 10
    assert by["heap", "own idiom"].cells["1KiB"].of_floor == 0.75
    assert by["asyncio", "asyncio Protocol"].cells["1KiB"].rps == 25_000.0
    assert by["tinyio", "own idiom"].status == "unsupported" and not by["tinyio", "own idiom"].cells
    assert ("heap", "asyncio Protocol") not in by                       # not an asyncio loop: no row at all
    assert table.floor["1KiB"] == (35_000.0, 30_000.0, 40_000.0)  # median, min, max of the floors


def test_the_report_has_an_io_section_and_plot(tmp_path):
    run = write_run(tmp_path / "run", records(heap_rps=30_000.0))
    paths = render(run)
    md = (run / "report.md").read_text()
    assert "## I/O: TCP echo" in md and "[I/O: TCP echo](#io)" in md
    assert "| heap | own idiom | 30,000 | 300 / 900 | 0.75 |" in md
    assert "| **floor** | blocking sockets, a thread per connection | 35,000 (min 30,000, max 40,000) |" in md
    assert "unsupported: tinyio has no serve_echo" in md
    assert "io.echo.png" in paths and paths["io.echo.png"].stat().st_size > 0
    html = (run / "report.html").read_text()
    assert '<section id="io">\n<h2>I/O: TCP echo</h2>' in html and "I/O: TCP echo, requests per second" in html


def test_a_run_without_io_has_no_io_section(tmp_path):
    run = write_run(tmp_path / "run", [rec("heap", "latency.switch_event", family="loopbench",
                                           metrics={"handoff_us": 1.0})])
    render(run)
    assert "I/O: TCP echo" not in (run / "report.md").read_text()

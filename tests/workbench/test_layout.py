"""The extension points: a peer described once in its own module, and a run directory that
describes itself, so the report reads nothing else."""

from __future__ import annotations

import importlib
import json

import pytest

from harness import runtimes
from harness.execution import manifest
from harness.execution.environment import libraries
from harness.report.model import load_run
from harness.report.render import render
from harness.results import records as results
from harness.results.rundir import read_manifest
from harness.runtimes.interface import Unavailable
from harness.scenarios.registry import all_scenarios


@pytest.mark.parametrize("name", sorted(runtimes.described()))
def test_each_peer_description_matches_its_adapter(name):
    d = runtimes.described()[name]
    assert d.family in runtimes.FAMILIES and d.about, name
    module_name, cls_name = d.adapter.split(":")
    try:
        module = importlib.import_module(f"harness.runtimes.{module_name}")
    except Exception as exc:          # a library that cannot be imported here
        pytest.skip(f"{module_name} cannot be imported here: {exc}")
    cls = getattr(module, cls_name)
    assert cls.control is d.control, name
    if d.distribution is not None:
        assert d.distribution in libraries(), "every peer's library version is recorded"
    try:
        rt = runtimes.create(name)
    except Unavailable as exc:
        pytest.skip(f"{name} unavailable here: {exc}")
    assert rt.name == name and rt.distribution == d.distribution


def test_a_peer_is_one_new_module(tmp_path, monkeypatch):
    """A module with a PEERS literal joins the registry, its family, its library's version."""
    (tmp_path / "toy_rt.py").write_text(
        '"""A toy peer."""\n'
        "from harness.runtimes.asyncio_rt import AsyncioRuntime\n\n"
        'PEERS = {"toy": {"adapter": "ToyRuntime", "family": "asyncio", "distribution": "toylib",\n'
        '                 "about": ["asyncio, under another name."]}}\n\n\n'
        "class ToyRuntime(AsyncioRuntime):\n"
        '    name = "toy"\n')
    monkeypatch.setattr(runtimes, "__path__", [*runtimes.__path__, str(tmp_path)])
    runtimes.described.cache_clear()
    try:
        found = runtimes.described()
        assert found["toy"].adapter == "toy_rt:ToyRuntime" and found["toy"].family == "asyncio"
        assert "toylib" in libraries()
        assert [e for e in manifest.runtime_entries(["toy"]) if e["name"] == "toy"][0]["about"]
    finally:
        runtimes.described.cache_clear()


def test_a_description_with_an_unknown_family_is_refused(tmp_path, monkeypatch):
    (tmp_path / "odd_rt.py").write_text('PEERS = {"odd": {"adapter": "Odd", "family": "misc"}}\n')
    monkeypatch.setattr(runtimes, "__path__", [*runtimes.__path__, str(tmp_path)])
    runtimes.described.cache_clear()
    try:
        with pytest.raises(ValueError, match="odd_rt.py describes 'odd' with family 'misc'"):
            runtimes.described()
    finally:
        runtimes.described.cache_clear()


def test_the_runner_writes_a_manifest_the_report_reads(tmp_path):
    scenarios = [s for name, s in all_scenarios().items() if name in ("deadlines.equal", "scaling.spawn")]
    manifest.record(tmp_path, ["heap", "asyncio", "curio", "asyncio-emulated"], scenarios,
                    [("asyncio-emulated", "deadlines.equal", "a control runs only ...")])
    found = read_manifest(tmp_path)
    by_name = {e["name"]: e for e in found["runtimes"]}
    assert by_name["heap"]["family"] == "ours" and by_name["asyncio-emulated"]["control"] is True
    assert by_name["curio -O"]["variant_of"] == "curio"
    assert found["scenarios"]["scaling.spawn"]["clock"] == "process CPU time"
    assert found["scenarios"]["deadlines.equal"]["timing_sensitive"] is all_scenarios()["deadlines.equal"].timing_sensitive
    assert found["skipped"][0]["runtime"] == "asyncio-emulated"
    # a resumed run extends the manifest, it does not forget what it had
    manifest.record(tmp_path, ["trio"], [], [])
    assert {"heap", "trio"} <= {e["name"] for e in read_manifest(tmp_path)["runtimes"]}


def _rec(runtime, scenario, status="observed", **extra):
    return {"schema": 1, "run_id": "t", "runtime": runtime, "family": "peer", "scenario": scenario,
            "group": scenario.split(".")[0], "kind": "behaviour", "status": status, "doc": "a doc",
            "explain": "why", "expected": None, "outcomes": [{"trace": [runtime], "count": 5}],
            "deterministic": True, **extra}


def test_the_report_takes_controls_families_and_flags_from_the_run_directory(tmp_path):
    """Names no registry knows: only the manifest can say which is a control, which is timing-sensitive."""
    for r in (_rec("zeta", "odd.one"), _rec("asyncio", "odd.one"), _rec("ctl", "odd.one")):
        results.append(tmp_path / "results.jsonl", r)
    (tmp_path / "run.json").write_text(json.dumps({
        "schema": 1,
        "runtimes": [{"name": "asyncio", "family": "asyncio", "about": ["the reference"]},
                     {"name": "zeta", "family": "ours", "about": ["a loop from elsewhere"]},
                     {"name": "ctl", "family": "asyncio", "control": True, "about": []}],
        "scenarios": {"odd.one": {"kind": "behaviour", "timing_sensitive": True}}}))
    data = load_run(tmp_path)
    assert data.runtimes == ["zeta", "asyncio", "ctl"] and data.controls == {"ctl"}
    md = render(tmp_path)["md"].read_text()
    assert "a loop from elsewhere" in md
    assert "`odd.one` ⏱" in md
    assert "| ctl" not in md and " ctl |" not in md


def test_a_run_directory_without_a_manifest_still_reads(tmp_path):
    for r in (_rec("heap", "odd.one", family="loopbench"), _rec("asyncio", "odd.one"),
              _rec("asyncio-emulated", "odd.one")):
        results.append(tmp_path / "results.jsonl", r)
    data = load_run(tmp_path)
    assert data.runtimes[0] == "heap" and data.controls == {"asyncio-emulated"}
    assert render(tmp_path)["md"].exists()


def test_the_terminal_tables_fit_100_columns_without_cutting_a_number(tmp_path):
    import io

    from rich.console import Console

    from harness.cli.progress import summarize
    from harness.workloads.programs import WORKLOADS

    names = ["list", "heap", "thread", "trampoline", "wheel", "heap+asyncio", "asyncio", "uvloop", "rloop",
             "trio", "curio", "anyio-asyncio", "anyio-trio", "tinyio", "a-rather-long-loop-name"]
    for i, rt in enumerate(names):
        results.append(tmp_path / "results.jsonl",
                       {**_rec(rt, "latency.switch_event"), "kind": "latency",
                        "metrics": {"handoff_us": {"median": 1.0 + i / 7, "spread": 0.123}}})
    benches = [{"name": f"test[{wl}-{rt}]", "stats": {"median": 0.001 * (1 + i / 3), "iqr": 0.00013},
                "extra_info": {"runtime": rt, "workload": wl, "ops_per_round": 1000}}
               for wl in WORKLOADS for i, rt in enumerate(names)]
    (tmp_path / "benchmark.json").write_text(json.dumps({"benchmarks": benches}))
    out = io.StringIO()
    summarize(tmp_path / "results.jsonl", Console(file=out, width=100, color_system=None))
    text = out.getvalue()
    assert max(map(len, text.splitlines())) <= 100
    assert "…" not in text.replace("… continued", "")
    heap = next(line for line in text.splitlines() if line.startswith("│ heap "))
    assert "│ 1.63±6% │" in heap               # asyncio's hand-off time over heap's (1.86 / 1.14), not the reverse
    assert text.count("× better than asyncio") == 1 and "continued (2)" in text
    narrow = io.StringIO()
    summarize(tmp_path / "results.jsonl", Console(file=narrow, width=80, color_system=None))
    assert max(map(len, narrow.getvalue().splitlines())) <= 80 and "…" not in narrow.getvalue().replace("… cont", "")


def test_no_report_table_is_wider_than_ten_columns_however_many_runtimes(tmp_path):
    """Twenty of our loops and a dozen peers: every table splits; a Table of 11 columns is refused."""
    import re

    from harness.report.document import MAX_COLUMNS, Table

    with pytest.raises(ValueError, match="at most 10 columns"):
        Table([str(i) for i in range(MAX_COLUMNS + 1)], [])
    names = [f"loop{i}" for i in range(20)] + ["asyncio", "uvloop", "trio", "curio", "tinyio", "anyio-trio"]
    for rt in names:
        results.append(tmp_path / "results.jsonl",
                       {**_rec(rt, "odd.one"), "family": "loopbench" if rt.startswith("loop") else "peer"})
        results.append(tmp_path / "results.jsonl",
                       {**_rec(rt, "latency.switch_event"), "kind": "latency",
                        "metrics": {"handoff_us": {"median": 2.0, "spread": 0.01}}})
    md = render(tmp_path)["md"].read_text().splitlines()
    widths = [len(re.findall(r"(?<!\\)\|", md[i - 1])) - 1 for i, line in enumerate(md) if line.startswith("|---")]
    assert widths and max(widths) <= MAX_COLUMNS
    assert "### Our loops (3 of 3)" in md

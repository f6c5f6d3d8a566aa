"""The command line, end to end, on a small matrix."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, timeout=240):
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_list_names_every_runtime_and_scenario():
    import impls
    from harness.scenario import all_scenarios

    out = run_cli("list")
    assert out.returncode == 0, out.stderr
    for name in impls.names() + ["asyncio", "uvloop"]:
        assert name in out.stdout
    assert "latency.sleep_lateness" in out.stdout
    assert len(all_scenarios()) > 5


def test_run_writes_one_record_per_cell_and_a_summary(tmp_path):
    out = run_cli("run", "--runtimes", "heap,asyncio", "--scenarios", "workload.tasks.spawn_join,workload.callbacks.call_soon_chain",
                  "--quick", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert sorted((r["runtime"], r["scenario"]) for r in records) == [
        ("asyncio", "workload.callbacks.call_soon_chain"), ("asyncio", "workload.tasks.spawn_join"),
        ("heap", "workload.callbacks.call_soon_chain"), ("heap", "workload.tasks.spawn_join")]
    assert all(r["status"] == "observed" and r["metrics"] for r in records)
    assert "summary" in out.stdout


def test_run_rejects_an_unknown_runtime(tmp_path):
    out = run_cli("run", "--runtimes", "no-such-loop", "--out", str(tmp_path))
    assert out.returncode == 2 and "unknown runtime" in out.stdout

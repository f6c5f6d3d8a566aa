"""The pyperf export: pyperf's own compare_to reads two loopbench runs."""

import json
import subprocess
import sys

from harness.stats import samples
from harness.results.export import write_pyperf


def run_doc(scale):
    def process(jitter):
        return {"benchmarks": [
            {"name": f"t[{rt}]", "fullname": f"t[{rt}]", "stats": {"data": [0.01 * scale * k * jitter] * 2},
             "extra_info": {"workload": "tasks.spawn_join", "runtime": rt, "ops_per_round": 20_000,
                            "unit": "tasks", **extra}}
            for rt, k, extra in (("heap", 1, {}), ("asyncio", 2, {}), ("curio", 5, {"emulated": ["call_soon"]}))]}
    return samples.merge([process(1.0), process(1.01), process(0.99)])


def test_pyperf_compare_to_reads_two_runs(tmp_path):
    paths = []
    for name, scale in (("a", 1.0), ("b", 1.5)):
        (tmp_path / f"{name}.json").write_text(json.dumps(run_doc(scale)))
        paths.append(write_pyperf(tmp_path / f"{name}.json", tmp_path / f"{name}-pyperf.json"))
    out = subprocess.run([sys.executable, "-m", "pyperf", "compare_to", "--table", *map(str, paths)],
                         capture_output=True, text=True, check=True).stdout
    assert "tasks.spawn_join[heap]" in out and "1.50x slower" in out
    assert "curio" not in out                     # a harness-built row is not the library's
    suite = json.loads(paths[0].read_text())
    heap = next(b for b in suite["benchmarks"] if b["metadata"]["name"] == "tasks.spawn_join[heap]")
    assert len(heap["runs"]) == 3                 # one pyperf run per worker process


def test_one_workload_at_several_sizes_gets_one_pyperf_benchmark_per_size(tmp_path):
    def entry(group, armed):
        return {"name": f"t[{armed}]", "fullname": f"t[{armed}]", "group": group,
                "stats": {"data": [0.01, 0.011]},
                "extra_info": {"workload": "timers.churn_with_armed", "runtime": "heap", "ops_per_round": 1}}
    doc = samples.merge([{"benchmarks": [entry("N=1k", 1), entry("N=1M", 2)]}])
    (tmp_path / "b.json").write_text(json.dumps(doc))
    suite = json.loads(write_pyperf(tmp_path / "b.json", tmp_path / "p.json").read_text())
    assert len(suite["benchmarks"]) == 2


def test_the_export_carries_real_metadata(tmp_path):
    doc = run_doc(1.0)
    for entry in doc["benchmarks"]:
        entry["extra_info"].update(clock="cpu", version="1.2.3", profile="default")
    (tmp_path / "benchmark.json").write_text(json.dumps(doc))
    (tmp_path / "environment.json").write_text(json.dumps({
        "python": "3.11.7", "implementation": "CPython", "cpu": "Test CPU", "cpu_count": 2,
        "libraries": {"uvloop": "0.23.0", "pytest-benchmark": "5.3.1"}}))
    path = write_pyperf(tmp_path / "benchmark.json", tmp_path / "pyperf.json")
    out = subprocess.run([sys.executable, "-m", "pyperf", "show", "--metadata", str(path)],
                         capture_output=True, text=True, check=True).stdout
    for text in ("python_version: 3.11.7", "cpu_model_name: Test CPU", "cpu_count: 2", "loops: 1",
                 "timer: time.process_time", "loopbench_clock: cpu", "loopbench_runtime_version: 1.2.3",
                 "version_uvloop: 0.23.0"):
        assert text in out, text


def test_pytest_benchmark_compare_reads_a_merged_document(tmp_path):
    (tmp_path / "0001_a.json").write_text(json.dumps(run_doc(1.0)))
    result = subprocess.run([sys.executable, "-m", "pytest_benchmark.cli", "compare", str(tmp_path / "0001_a.json")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "KeyError" not in result.stderr and "tasks.spawn_join" not in result.stderr

"""The runner isolates cells, records every status, and resumes; the worker classifies outcomes."""

import json
import sys
import threading
from pathlib import Path

import pytest

import impls
from harness import results, scenario as scenario_module
from harness.runner import run_matrix
from harness.scenario import get
from harness.worker import run_cell

HERE = Path(__file__).resolve().parent
PLUGIN = "plugin_faulty"
PLUGIN_SCENARIOS = ("timers.test_tiny", "coroutines.test_flaky", "coroutines.test_wrong",
                    "coroutines.test_needs_timeout", "coroutines.test_error",
                    "coroutines.test_crash_outcome")


@pytest.fixture
def faulty(monkeypatch):
    """Load the faulty plugin here and in every cell subprocess; undo the registrations after."""
    monkeypatch.setenv("LOOPBENCH_PLUGINS", PLUGIN)
    monkeypatch.setenv("PYTHONPATH", str(HERE))
    monkeypatch.syspath_prepend(str(HERE))
    scenario_module.all_scenarios()                 # built-ins first
    sys.modules.pop(PLUGIN, None)
    __import__(PLUGIN)
    yield
    for name in ("test-hang", "test-crash", "test-raise"):
        if name in impls.names():
            impls.unregister(name)
    for name in PLUGIN_SCENARIOS:
        scenario_module._scenarios.pop(name, None)
    sys.modules.pop(PLUGIN, None)


def test_a_hanging_and_a_crashing_cell_do_not_stop_the_run(faulty, tmp_path):
    seen = []
    path = run_matrix(["heap", "test-hang", "test-crash", "test-raise"], [get("timers.test_tiny")], tmp_path,
                      timeout=10, jobs=2, repeat=2, on_result=lambda r, done, total: seen.append(r["runtime"]))
    cells = results.latest_by_cell(results.load(path))
    status = {rt: r["status"] for (rt, _), r in cells.items()}
    assert status == {"heap": "pass", "test-hang": "timeout", "test-crash": "error", "test-raise": "error"}
    assert "died" in cells[("test-crash", "timers.test_tiny")]["error"]
    assert "broken on purpose" in cells[("test-raise", "timers.test_tiny")]["traceback"]
    assert sorted(seen) == sorted(status)           # every cell reported as it finished
    for record in cells.values():                   # every record carries the schema and environment
        assert record["schema"] == 1 and "python" in record["env"] and record["run_id"]
    assert json.loads((tmp_path / "environment.json").read_text())["cpu_count"] >= 1


def test_resume_keeps_what_was_measured_and_runs_only_the_rest(faulty, tmp_path):
    tiny = get("timers.test_tiny")
    run_matrix(["heap"], [tiny], tmp_path, repeat=1, jobs=1)
    first = results.load(tmp_path / "results.jsonl")
    started = []
    run_matrix(["heap", "list"], [tiny], tmp_path, repeat=1, jobs=1, resume=True,
               on_start=lambda rt, s: started.append(rt))
    assert started == ["list"]
    records = results.load(tmp_path / "results.jsonl")
    assert records[0] == first[0]
    assert [r["runtime"] for r in records] == ["heap", "list"]


def test_a_torn_last_line_is_skipped_on_load(tmp_path):
    path = tmp_path / "results.jsonl"
    results.append(path, {"runtime": "heap", "scenario": "x", "status": "pass"})
    with open(path, "a") as fh:
        fh.write('{"runtime": "list", "scen')     # the run was killed mid-write
    with pytest.warns(UserWarning, match="malformed"):
        records = results.load(path)
    assert [r["runtime"] for r in records] == ["heap"]


def test_worker_classifies_pass_fail_observed_unsupported_error(faulty):
    assert run_cell("heap", "timers.test_tiny", 2)["status"] == "pass"
    wrong = run_cell("heap", "coroutines.test_wrong", 2)
    assert wrong["status"] == "fail" and wrong["outcomes"] == [{"trace": ["always"], "count": 2}]
    unsupported = run_cell("heap", "coroutines.test_needs_timeout")
    assert unsupported["status"] == "unsupported" and "timeout" in unsupported["reason"]
    error = run_cell("heap", "coroutines.test_error", 1)
    assert error["status"] == "error" and "scenario bug" in error["error"]
    crash = run_cell("heap", "coroutines.test_crash_outcome", 2)
    assert crash["status"] == "observed"
    assert crash["outcomes"] == [{"trace": ["before", ["loop raised", "KeyError"]], "count": 2}]


def test_worker_counts_each_distinct_outcome(faulty):
    record = run_cell("heap", "coroutines.test_flaky")       # repeat=4 declared by the scenario
    assert record["repeat"] == 4 and record["deterministic"] is False
    assert sorted((o["trace"][0], o["count"]) for o in record["outcomes"]) == [("even", 2), ("odd", 2)]


def test_an_unavailable_runtime_is_reported_not_crashed(monkeypatch):
    from harness import runtimes

    monkeypatch.setitem(runtimes.PEERS, "test-missing", "nowhere:Nothing")
    record = run_cell("test-missing", "latency.sleep_lateness")
    assert record["status"] == "unsupported" and "unavailable" in record["reason"]


def _where_cells_ran(tmp_path, **kwargs) -> dict[str, set[str]]:
    """Run behaviour, memory and timed latency cells with a fake cell runner; scenario -> threads."""
    seen: dict[str, set[str]] = {}

    def fake(runtime, scn, repeat, timeout):
        seen.setdefault(scn.name, set()).add(threading.current_thread().name)
        return {"runtime": runtime, "scenario": scn.name, "kind": scn.kind, "status": "observed"}

    chosen = [get("timers.slides"), get("callbacks.fifo"), get("memory.sleeping_task"),
              get("latency.sleep_lateness")]
    run_matrix(["heap", "asyncio"], chosen, tmp_path, cell_runner=fake, jobs=2, **kwargs)
    return seen


def test_timed_latency_cells_run_alone_and_memory_cells_beside_others(tmp_path):
    seen = _where_cells_ran(tmp_path)
    main = threading.main_thread().name
    assert seen["latency.sleep_lateness"] == {main}, "a timed cell runs alone, after the pool"
    for name in ("timers.slides", "callbacks.fifo", "memory.sleeping_task"):
        assert main not in seen[name], f"{name} runs in the two-job pool"


def test_a_smoke_run_lets_timed_cells_share_the_pool(tmp_path):
    seen = _where_cells_ran(tmp_path, timed_alone=False)
    assert threading.main_thread().name not in seen["latency.sleep_lateness"]

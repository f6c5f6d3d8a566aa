"""The runner isolates cells, records every status, and resumes; the worker classifies outcomes."""

import json
import tempfile
import threading

import pytest

from harness.results import records as results
from harness.execution.profile import ENV_VAR as PROFILE_VAR
from harness.execution import runner
from harness.execution.runner import run_matrix
from harness.scenarios.registry import get
from harness.execution.worker import run_cell


def test_a_hanging_and_a_crashing_cell_do_not_stop_the_run(faulty, tmp_path):
    seen = []
    path = run_matrix(["heap", "test-hang", "test-crash", "test-raise"], [get("timers.test_tiny")], tmp_path,
                      timeout=3, jobs=2, repeat=2, on_result=lambda r, done, total: seen.append(r["runtime"]))
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
    with pytest.warns(UserWarning, match="not JSON"):
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
    record = run_cell("heap", "coroutines.test_flaky", 4)
    assert record["repeat"] == 4 and record["deterministic"] is False
    assert sorted((o["trace"][0], o["count"]) for o in record["outcomes"]) == [("even", 2), ("odd", 2)]


def test_an_observed_cell_runs_at_least_twenty_times_and_a_judged_one_its_own_count(faulty):
    from harness import runtimes
    from harness.execution.worker import OBSERVED_REPEAT, repeats

    observed = run_cell("heap", "coroutines.test_flaky")     # declares repeat=4; observed: raised
    assert observed["repeat"] == OBSERVED_REPEAT == 20
    assert sorted((o["trace"][0], o["count"]) for o in observed["outcomes"]) == [("even", 10), ("odd", 10)]
    fifo = get("callbacks.fifo")                              # a stated trace, documented by asyncio and trio
    assert repeats(runtimes.create("heap"), fifo) == 5        # judged by loopbench's contract
    assert repeats(runtimes.create("asyncio"), fifo) == 5     # judged by asyncio's documentation
    assert repeats(runtimes.create("curio"), fifo) == 20      # nobody promised it: observed
    assert repeats(runtimes.create("curio"), fifo, 3) == 3    # the run's --repeat wins


def test_an_unavailable_runtime_is_reported_not_crashed(monkeypatch):
    from harness import runtimes

    monkeypatch.setitem(runtimes.PEERS, "test-missing", "nowhere:Nothing")
    record = run_cell("test-missing", "latency.sleep_lateness")
    assert record["status"] == "unsupported" and "unavailable" in record["reason"]


def _where_cells_ran(tmp_path, jobs=2, **kwargs) -> dict[str, set[str]]:
    """Run behaviour, memory and timed latency cells with a fake cell runner; scenario -> threads."""
    seen: dict[str, set[str]] = {}

    def fake(runtime, scn, repeat, timeout, share=None):
        seen.setdefault(scn.name, set()).add(threading.current_thread().name)
        return {"runtime": runtime, "scenario": scn.name, "kind": scn.kind, "status": "observed"}

    chosen = [get("timers.slides"), get("callbacks.fifo"), get("memory.sleeping_task"),
              get("latency.switch_event"), get("deadlines.ordered"), get("timers.deadline_order")]
    run_matrix(["heap", "asyncio"], chosen, tmp_path, cell_runner=fake, jobs=jobs, **kwargs)
    return seen


def test_timed_latency_cells_run_alone_and_memory_cells_beside_others(tmp_path):
    seen = _where_cells_ran(tmp_path)
    main = threading.main_thread().name
    assert seen["latency.switch_event"] == {main}, "a timed cell runs alone, after the pool"
    for name in ("timers.slides", "callbacks.fifo", "memory.sleeping_task"):
        assert main not in seen[name], f"{name} runs in the two-job pool"


def test_clocked_behaviour_cells_run_one_per_core_after_the_shared_ones_and_before_the_timed(tmp_path, monkeypatch):
    """Each wave starts when the one before has ended; the clocked wave runs min(jobs, cores) at once."""
    monkeypatch.setattr(runner, "CORES", 2)
    order: list[str] = []

    def fake(runtime, scn, repeat, timeout, share=None):
        order.append(scn.name)
        return {"runtime": runtime, "scenario": scn.name, "kind": scn.kind, "status": "observed"}

    chosen = [get("callbacks.fifo"), get("deadlines.ordered"), get("timers.deadline_order"),
              get("latency.switch_event"), get("memory.sleeping_task")]
    run_matrix(["heap", "asyncio", "trio"], chosen, tmp_path, cell_runner=fake, jobs=8, processes=1)
    assert set(order[:6]) == {"memory.sleeping_task", "callbacks.fifo"}, "the shared wave runs first"
    assert set(order[6:12]) == {"deadlines.ordered", "timers.deadline_order"}
    assert order[12:] == ["latency.switch_event"] * 3

    cells = [(rt, get(name)) for name in ("callbacks.fifo", "deadlines.ordered", "latency.sleep_lateness",
                                           "io.echo", "memory.sleeping_task") for rt in ("heap", "asyncio")]
    waves = runner._waves(cells, timed_alone=True, jobs=8, clocked_at_once=2)
    assert [(sorted({s.name for _, s in wave}), at_once) for wave, at_once in waves] == [
        (["callbacks.fifo", "memory.sleeping_task"], 8), (["deadlines.ordered", "latency.sleep_lateness"], 2),
        (["io.echo"], 1)], "a sleeping latency cell runs one per core, a busy one alone"
    assert [s.name for _, s in waves[0][0]][:2] == ["memory.sleeping_task"] * 2, "the long latency cells first"
    assert runner._waves(cells, timed_alone=True, jobs=1, clocked_at_once=2)[1][1] == 1, "jobs=1: all in turn"
    assert runner._waves(cells, timed_alone=True, jobs=8, clocked_at_once=1)[1][1] == 1, "a shared machine"
    assert runner._waves(cells, timed_alone=False, jobs=8) == [(cells, 8)], "a smoke run shares one pool"


def test_a_smoke_run_lets_timed_cells_share_the_pool(tmp_path):
    seen = _where_cells_ran(tmp_path, timed_alone=False)
    assert threading.main_thread().name not in seen["latency.switch_event"]


# -- the record, its schema and its file --------------------------------------------------

def test_the_published_schema_names_exactly_the_statuses_of_the_record_type(record_schema):
    assert record_schema.schema["properties"]["status"]["enum"] == [s.value for s in results.Status]
    assert record_schema.schema["properties"]["schema"]["const"] == results.SCHEMA


def test_every_record_a_run_writes_matches_the_published_schema(faulty, tmp_path, record_schema):
    chosen = [get("timers.test_tiny"), get("coroutines.test_wrong"), get("coroutines.test_needs_timeout"),
              get("coroutines.test_error"), get("coroutines.test_flaky")]
    path = run_matrix(["heap", "test-crash"], chosen, tmp_path / "run", timeout=5, jobs=2, repeat=2)
    records = results.load(path)
    assert {r["status"] for r in records} == {"pass", "fail", "unsupported", "error", "observed"}
    for record in records:
        record_schema.validate(record)
    for record in (run_cell("heap", "workload.tasks.spawn_join"), run_cell("heap", "timers.test_tiny", 1)):
        record_schema.validate(results.stamp(record, run_id="t", family="loopbench", env={"profile": "quick"}))


def test_the_schema_rejects_what_is_not_a_record(record_schema):
    good = {"schema": 1, "run_id": "t", "runtime": "heap", "family": "loopbench", "scenario": "a.b",
            "status": "pass", "env": {}}
    record_schema.validate(good)
    for bad in ({**good, "status": "fine"}, {k: v for k, v in good.items() if k != "runtime"},
                {**good, "repeat": 0}, {**good, "outcomes": [{"trace": [], "count": 0}]}):
        assert not record_schema.is_valid(bad), bad


def test_an_append_after_a_torn_last_line_starts_a_fresh_line(tmp_path):
    path = tmp_path / "results.jsonl"
    results.append(path, {"runtime": "heap", "scenario": "x", "status": "pass"})
    with open(path, "a") as fh:
        fh.write('{"runtime": "list", "scen')     # the run was killed mid-write
    with pytest.warns(UserWarning, match="torn"):
        results.append(path, {"runtime": "list", "scenario": "x", "status": "fail"})
    assert [(r["runtime"], r["status"]) for r in results.load(path)] == [("heap", "pass"), ("list", "fail")]


def test_lines_that_are_not_records_are_skipped_and_the_records_kept(tmp_path):
    path = tmp_path / "results.jsonl"
    results.append(path, {"runtime": "heap", "scenario": "x", "status": "pass"})
    with open(path, "ab") as fh:
        fh.write(b'[1, 2]\n{"runtime": "list"}\n"text"\n{"runtime": "a", "scenario": "x", "status": "great"}\n'
                 b'\xff\xfe garbage\n{"runtime": "a", "scenario": "x", "status": "pass", "env": 5}\n')
    results.append(path, {"runtime": "list", "scenario": "x", "status": "fail"})
    with pytest.warns(UserWarning) as caught:
        records = results.load(path)
    assert [r["runtime"] for r in records] == ["heap", "list"]
    assert len(caught) == 6 and all(":" in str(w.message) for w in caught)


def test_a_repeat_count_below_one_is_refused_not_recorded_as_a_pass(faulty):
    for bad in (-1, 0, 1.5, True):
        with pytest.raises(ValueError, match="repeat"):
            run_cell("heap", "timers.test_tiny", bad)
    assert run_cell("heap", "timers.test_tiny", 1)["repeat"] == 1
    assert run_cell("heap", "coroutines.test_flaky")["repeat"] == 20       # None: its own 4, observed: 20


def test_a_cell_keeps_only_a_bounded_tail_of_its_output(tmp_path):
    from harness.execution.runner import OUTPUT_TAIL_BYTES, output_tail

    log = tmp_path / "output.log"
    log.write_bytes(b"".join(b"line %d " % i + b"x" * 200 + b"\n" for i in range(100_000)) + b"last\n")
    tail = output_tail(log)
    assert len(tail.encode()) <= OUTPUT_TAIL_BYTES and tail.endswith("last")
    assert tail.splitlines()[0].startswith("line ")        # no fragment of a line first


def test_a_timed_out_cell_leaves_no_temporary_file(faulty, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    path = run_matrix(["test-hang", "test-crash"], [get("timers.test_tiny")], tmp_path / "run", timeout=1.5)
    assert {r["status"] for r in results.load(path)} == {"timeout", "error"}
    assert list(scratch.iterdir()) == []


def test_a_run_directory_with_results_is_not_overwritten_without_resume(tmp_path):
    run_matrix(["heap"], [get("callbacks.fifo")], tmp_path, repeat=1, jobs=1)
    before = (tmp_path / "results.jsonl").read_text()
    with pytest.raises(Exception, match="already holds results") as refused:
        run_matrix(["heap"], [get("callbacks.fifo")], tmp_path, repeat=1, jobs=1)
    assert type(refused.value) is results.RunDirError
    assert (tmp_path / "results.jsonl").read_text() == before


def test_resume_refuses_a_run_measured_in_another_profile(tmp_path, monkeypatch):
    monkeypatch.setenv(PROFILE_VAR, "quick")
    run_matrix(["heap"], [get("callbacks.fifo")], tmp_path, repeat=1, jobs=1)
    before = (tmp_path / "results.jsonl").read_text()
    monkeypatch.setenv(PROFILE_VAR, "default")
    with pytest.raises(Exception, match="quick profile") as refused:
        run_matrix(["heap", "list"], [get("callbacks.fifo")], tmp_path, repeat=1, jobs=1, resume=True)
    assert type(refused.value) is results.RunDirError
    assert (tmp_path / "results.jsonl").read_text() == before
    assert json.loads((tmp_path / "environment.json").read_text())["profile"] == "quick"
    monkeypatch.setenv(PROFILE_VAR, "quick")
    run_matrix(["heap", "list"], [get("callbacks.fifo")], tmp_path, repeat=1, jobs=1, resume=True)
    assert results.run_profile(tmp_path) == "quick"
    assert len(results.load(tmp_path / "results.jsonl")) == 2


def test_a_directory_mixing_profiles_is_refused(tmp_path):
    for profile in ("quick", "default"):
        results.append(tmp_path / "results.jsonl",
                       {"runtime": profile, "scenario": "x", "status": "pass", "env": {"profile": profile}})
    with pytest.raises(results.RunDirError, match="mixes the profiles default, quick"):
        results.run_profile(tmp_path)


def test_a_sampled_cell_runs_in_as_many_processes_each_with_its_share(tmp_path, record_schema):
    calls = []

    def fake(runtime, scn, repeat, timeout, share=None):
        calls.append((runtime, scn.name, share))
        return {"runtime": runtime, "scenario": scn.name, "kind": scn.kind, "status": "observed",
                "metrics": {"handoff_us": {"median": 10.0 + len(calls)}}}

    path = run_matrix(["heap"], [get("latency.switch_event"), get("callbacks.fifo")], tmp_path,
                      cell_runner=fake, jobs=1, processes=3)
    assert calls.count(("heap", "latency.switch_event", 3)) == 3       # three processes, each told it has a third
    assert ("heap", "callbacks.fifo", None) in calls                    # a behaviour cell: once, all of it
    (record,) = [r for r in results.load(path) if r["scenario"] == "latency.switch_event"]
    assert record["processes"] == 3 and len(record["metrics_by_process"]) == 3
    record_schema.validate(record)

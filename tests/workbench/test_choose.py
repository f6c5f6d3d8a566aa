"""What to choose (``harness.report.choose``): a decision from synthetic run data, no measuring."""

from __future__ import annotations

from pathlib import Path

from harness.report.choose import choose
from harness.report.model import RunData
from harness.stats import samples

FAMILIES = {"asyncio": "peer", "uvloop": "peer", "rloop": "peer", "trio": "peer", "heap": "loopbench"}


def _rounds(speeds: dict[str, list[float]], workload: str = "callbacks.call_soon_chain") -> list[dict]:
    """One process document per round: each runtime's seconds per round in that round."""
    count = len(next(iter(speeds.values())))
    return [{"benchmarks": [{"name": f"t[{rt}]", "fullname": f"t[{rt}-{workload}]", "stats": {"data": [s[r]]},
                             "extra_info": {"workload": workload, "runtime": rt, "family": FAMILIES[rt],
                                            "ops_per_round": 1000, "clock": "cpu", "cpu_s": [s[r]],
                                            "wall_s": [s[r] * 2], "round": r}}
                            for rt, s in speeds.items()]} for r in range(count)]


def _behaviour(rt: str, scenario: str, status: str, deterministic: bool = True) -> dict:
    return {"runtime": rt, "scenario": scenario, "kind": "behaviour", "status": status, "family": FAMILIES[rt],
            "expected": ["a"], "outcomes": [{"trace": ["a"], "count": 5}], "deterministic": deterministic,
            "explain": f"What {scenario} shows. More detail."}


def _run(benchmark: dict | None, records: list[dict] = ()) -> RunData:
    cells = {(r["runtime"], r["scenario"]): r for r in records}
    return RunData(Path("."), list(records), cells, list(FAMILIES), {}, benchmark)


def _callbacks(uvloop: list[float], rloop: list[float]) -> dict:
    asyncio = [3.0, 6.0, 3.3, 2.9, 4.5, 3.1]                 # a busy machine: rounds vary 2x
    heap = [a / 3 * f for a, f in zip(asyncio, (1.0, 1.01, 0.99, 1.0, 1.02, 0.98))]
    return samples.merge(_rounds({"asyncio": asyncio, "uvloop": uvloop, "rloop": rloop, "heap": heap}))


def by_kind(data: RunData) -> dict:
    return {c.kind: c for c in choose(data)}


def test_a_separated_peer_is_chosen_and_the_teaching_loop_is_marked_with_its_paired_ratio():
    asyncio = [3.0, 6.0, 3.3, 2.9, 4.5, 3.1]
    uvloop = [a / 1.5 for a in asyncio]
    rloop = [a / 1.2 for a in asyncio]
    row = by_kind(_run(_callbacks(uvloop, rloop)))["callbacks"]
    assert row.best == "uvloop" and row.runner_up == "rloop" and row.separated
    assert abs(row.advantage - 1.25) < 1e-9 and row.interval[0] > 1
    assert row.teaching.startswith("heap (teaching loop): 3.00×") and row.teaching_separated
    shown = row.display()
    assert shown["choose"] == "uvloop" and shown["separated"] == "yes"
    assert shown["teaching"].endswith(", separated from asyncio")


def test_a_one_percent_gap_is_a_tie_and_never_called_fastest():
    asyncio = [3.0, 6.0, 3.3, 2.9, 4.5, 3.1]
    uvloop = [a / 1.5 for a in asyncio]
    rloop = [a / 1.5 * f for a, f in zip(asyncio, (1.01, 1.0, 1.02, 1.0, 1.01, 1.02))]   # ~1% slower, tightly
    row = by_kind(_run(_callbacks(uvloop, rloop)))["callbacks"]
    assert row.interval[0] > 1                                # a real difference ...
    assert not row.separated and row.verdict == "uvloop ≈ rloop (a tie)"   # ... but under 5%: a tie


def test_caveats_come_from_the_runs_behaviour_results():
    asyncio = [3.0, 6.0, 3.3, 2.9, 4.5, 3.1]
    records = [_behaviour("asyncio", "io.half_close", "pass"), _behaviour("rloop", "io.half_close", "timeout"),
               _behaviour("uvloop", "io.half_close", "pass"), _behaviour("trio", "io.half_close", "pass"),
               _behaviour("heap", "io.half_close", "pass"),
               _behaviour("asyncio", "callbacks.fifo", "fail"), _behaviour("uvloop", "callbacks.fifo", "pass")]
    data = _run(_callbacks([a / 1.5 for a in asyncio], [a / 1.2 for a in asyncio]), records)
    rows = by_kind(data)
    assert rows["callbacks"].caveats == ["asyncio fails `callbacks.fifo`: What callbacks.fifo shows."]
    assert rows["echo"].best is None and rows["echo"].note == "not measured in this run"


def test_determinism_ranks_by_scenarios_that_vary_and_names_them():
    records = []
    for rt in FAMILIES:
        records.append(_behaviour(rt, "coroutines.spawn_runs_first", "observed", deterministic=rt != "trio"))
        records.append(_behaviour(rt, "coroutines.queue_pingpong", "pass", deterministic=rt != "trio"))
    row = by_kind(_run(None, records))["determinism"]
    assert row.best == "asyncio" and row.runner_up == "uvloop" and not row.separated    # 0 and 0: a tie
    assert row.caveats == ["trio: `coroutines.queue_pingpong` comes out differently from run to run",
                           "trio: `coroutines.spawn_runs_first` comes out differently from run to run"]
    assert row.teaching == "heap (teaching loop): 0 of 2"


def test_every_kind_has_a_row_even_in_an_empty_run():
    rows = choose(_run(None))
    assert [c.kind for c in rows] == ["callbacks", "task switching", "spawning", "timeout churn", "timers",
                                      "socket latency", "echo", "memory", "determinism", "structured cancellation"]
    assert all(c.best is None and c.verdict == "not measured in this run" for c in rows)


def test_the_report_opens_with_what_to_choose(tmp_path):
    import json

    from harness.report.render import render

    asyncio = [3.0, 6.0, 3.3, 2.9, 4.5, 3.1]
    (tmp_path / "results.jsonl").write_text("")
    (tmp_path / "benchmark.json").write_text(json.dumps(_callbacks([a / 1.5 for a in asyncio],
                                                                   [a / 1.2 for a in asyncio])))
    written = render(tmp_path)
    md = written["md"].read_text()
    assert md.split("\n## ", 2)[1].startswith("What to choose")
    assert "| callbacks | uvloop | rloop | 1.25× \\[" in md                # Markdown's [ escaped
    assert 'id="what-to-choose"' in written["html"].read_text()


def test_a_runtime_measured_apart_from_asyncios_rounds_ranks_by_its_rate_over_asyncios():
    """A cell with no paired ratio (its rounds ran in processes without asyncio) is ranked by
    its rate over asyncio's, not by its raw rate among the others' ratios."""
    asyncio = [3.0, 6.0, 3.3, 2.9, 4.5, 3.1]
    uvloop = [a / 1.5 for a in asyncio]
    rloop = [a / 1.2 for a in asyncio]
    document = _callbacks(uvloop, rloop)
    apart = samples.merge(_rounds({"trio": [a * 1.5 for a in asyncio]}))["benchmarks"]   # 0.67x asyncio's rate
    for entry in apart:                                       # no rounds shared with asyncio: not paired
        for key in ("round_medians", "relative_medians"):
            entry["extra_info"].pop(key, None)
    document["benchmarks"] += apart
    row = by_kind(_run(document))["callbacks"]
    assert row.best == "uvloop" and row.runner_up == "rloop"

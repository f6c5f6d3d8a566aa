"""The behaviour scenarios: well declared, and runnable on every runtime that exists.

* Registry sanity: docstrings, groups, ``needs`` drawn from the runtime's operations,
  a quick set; and ``needs`` is exactly what each scenario uses (checked by running
  it on asyncio, which has every operation, through a proxy that records calls).
* Every quick behaviour scenario runs on every available runtime the way the worker
  runs it, and leaves a non-empty, JSON-friendly trace.
* On our own loops (family "loopbench"), which implement the contract, expected
  scenarios give exactly the expected trace, and every quick scenario gives the same
  trace run after run. Peers are *not* held to ``expected``: where they differ, that
  is a finding for the report, not a test failure.

No assertion here is about how long anything takes.
"""

from __future__ import annotations

import math

from harness.runtimes.ours import OursRuntime
from impls.clock import VirtualClock

import inspect
import json
from collections import Counter

import pytest

from harness import runtimes
from harness.runtimes.interface import UNSUPPORTED, Unavailable, Unsupported
from harness.scenarios.registry import BEHAVIOUR, LATENCY, all_scenarios
from harness.execution.worker import run_once

#: Every operation a scenario may declare in ``needs`` (see harness/runtimes/interface.py).
KNOWN_OPS = frozenset({
    "call_soon", "call_at", "call_later", "spawn", "join", "cancel", "sleep", "event", "lock",
    "queue", "timeout", "group_errors", "gather_errors", "run_forever", "stop", "call_soon_threadsafe",
    "task_group", "sleep_until", "open_stream", "serve_echo", "serve_echo_protocol",
})
SCENARIOS = all_scenarios()
#: The groups that hold behaviour scenarios, as the registry says (a new module's group joins).
BEHAVIOUR_GROUPS = sorted({s.group for s in SCENARIOS.values() if s.kind == BEHAVIOUR})
BEHAVIOURS = {name: s for name, s in SCENARIOS.items() if s.kind == BEHAVIOUR}
QUICK = sorted(name for name, s in BEHAVIOURS.items() if s.quick)


def run_scenario(rt, scn) -> list:
    """Run one behaviour scenario once, exactly as the worker does; return its trace."""
    return run_once(rt, scn)


def canonical(trace):
    return json.loads(json.dumps(trace))


def create_or_skip(name: str):
    try:
        return runtimes.create(name)
    except Unavailable as exc:
        pytest.skip(f"runtime {name} unavailable here: {exc}")


# ------------------------------------------------------------------ registry sanity
def test_every_scenario_is_documented_grouped_and_declares_known_ops():
    assert SCENARIOS, "no scenario registered"
    for name, s in SCENARIOS.items():
        assert s.kind in (BEHAVIOUR, LATENCY), name
        assert "." in name and name.split(".", 1)[1], name
        assert s.doc.strip() and (s.fn.__doc__ or "").strip(), f"{name} has no docstring"
        assert set(s.needs) <= KNOWN_OPS, f"{name}: unknown ops {set(s.needs) - KNOWN_OPS}"
        assert len(set(s.needs)) == len(s.needs), f"{name} lists an op twice"


def test_behaviour_scenarios_are_well_formed():
    assert BEHAVIOURS
    for name, s in BEHAVIOURS.items():
        assert s.mode in ("run", "forever"), name
        if s.mode == "run":
            assert inspect.iscoroutinefunction(s.fn), f"{name} must be async def (rt, trace)"
        else:
            assert not inspect.iscoroutinefunction(s.fn), f"{name}: forever setup is a plain def"
            assert "run_forever" in s.needs, name
        if s.expected is not None:
            assert s.expected, f"{name}: an expected trace must not be empty"
            assert canonical(s.expected) == s.expected, f"{name}: expected is not plain JSON"
        assert s.explain.strip(), f"{name} has no explain="


def test_quick_set_is_small_and_covers_every_group():
    assert QUICK
    assert {BEHAVIOURS[n].group for n in QUICK} == set(BEHAVIOUR_GROUPS)
    per_group = Counter(BEHAVIOURS[n].group for n in QUICK)
    assert max(per_group.values()) <= 3, f"the quick set keeps at most 3 scenarios a group: {per_group}"


class RecordingRuntime:
    """Delegates to a real runtime and records which operations a scenario calls."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self.used: set[str] = set()

    def __getattr__(self, attr):
        value = getattr(self._inner, attr)
        if attr in KNOWN_OPS and attr != "run_forever":
            self.used.add(attr)
        return value

    def run(self, main):
        return self._inner.run(main)

    def run_forever(self, setup):
        self.used.add("run_forever")
        return self._inner.run_forever(setup)


@pytest.mark.parametrize("name", sorted(BEHAVIOURS))
def test_needs_lists_exactly_the_operations_used(name):
    """asyncio supports every operation natively, so every scenario can run on it in full."""
    scn = BEHAVIOURS[name]
    rt = RecordingRuntime(runtimes.create("asyncio"))
    run_scenario(rt, scn)
    assert rt.used == set(scn.needs), (
        f"{name}: uses {sorted(rt.used)} but declares needs={sorted(scn.needs)}")


# ------------------------------------------------------------------ quick set everywhere
@pytest.mark.parametrize("name", QUICK)
@pytest.mark.parametrize("runtime", runtimes.names())
def test_quick_scenario_runs_on_every_runtime(runtime, name):
    scn = BEHAVIOURS[name]
    rt = create_or_skip(runtime)
    missing = [op for op in scn.needs if rt.how(op) == UNSUPPORTED]
    if missing:
        # The worker does not run this cell ("unsupported"). If it were run anyway, the
        # adapter must say Unsupported rather than fake a result.
        try:
            trace = run_scenario(rt, scn)
        except Unsupported:
            return
        assert isinstance(trace, list)
        return
    trace = run_scenario(rt, scn)
    assert isinstance(trace, list) and trace, f"{name} on {runtime}: empty trace"
    assert canonical(trace) == trace, f"{name} on {runtime}: trace is not plain JSON: {trace!r}"
    if rt.family == "loopbench" and scn.expected is not None:
        assert trace == scn.expected, f"{name} on our {runtime} loop"


def _family(name: str) -> str | None:
    try:
        return runtimes.create(name).family
    except Unavailable:
        return None


OURS = [name for name in runtimes.names() if _family(name) == "loopbench"]


@pytest.mark.parametrize("name", QUICK)
@pytest.mark.parametrize("runtime", OURS)
def test_quick_scenario_is_deterministic_on_our_loops(runtime, name):
    scn = BEHAVIOURS[name]
    import impls

    # On the real clock a busy machine could reorder a timing-sensitive scenario: a virtual one.
    virtual = scn.timing_sensitive and runtime in impls.names()
    rt = OursRuntime(runtime, clock_factory=VirtualClock) if virtual else runtimes.create(runtime)
    if any(rt.how(op) == UNSUPPORTED for op in scn.needs):
        pytest.skip(f"{runtime} lacks an operation {name} needs")
    traces = [canonical(run_scenario(rt, scn)) for _ in range(3)]
    assert traces[0] == traces[1] == traces[2], f"{name} on {runtime}: {traces}"


@pytest.mark.parametrize("name", sorted(n for n, s in BEHAVIOURS.items() if s.expected is not None))
def test_expected_scenarios_pass_on_the_reference_loop(name):
    """Every expected scenario (not only quick ones) holds on heap, the reference implementation.

    A scenario whose outcome depends on the real clock (``timing_sensitive``: tasks a few
    ms apart) runs on heap with a virtual clock, so a busy machine cannot reorder it:
    the unit test asserts the loop's order, the bench measures it on the real clock."""
    scn = BEHAVIOURS[name]
    rt = OursRuntime("heap", clock_factory=VirtualClock) if scn.timing_sensitive else runtimes.create("heap")
    if any(rt.how(op) == UNSUPPORTED for op in scn.needs):
        pytest.skip(f"heap lacks an operation {name} needs")
    assert run_scenario(rt, scn) == scn.expected


# ------------------------------------------------------------------ memory at growing N
def test_memory_scenario_reports_the_largest_n_measured_and_every_n(monkeypatch):
    from harness.scenarios import latency as latency_module

    monkeypatch.setattr(latency_module, "MEMORY_SIZES", [100, 1_000])
    # No step is predicted over an endless budget: what is asserted does not depend on
    # how fast the machine is right now (the budget's own rule is the next test's).
    monkeypatch.setattr(latency_module, "MEMORY_STEP_BUDGET_S", math.inf)
    metrics: dict = {}
    latency_module.memory_per_sleeping_task(runtimes.create("heap"), metrics)
    assert metrics["n"] == 1_000 and sorted(metrics["by_n"]) == [100, 1_000]
    assert metrics["bytes_per_task"] == metrics["by_n"][1_000]
    assert metrics["skipped"] == [] and "note" not in metrics


def test_memory_scenario_skips_a_size_predicted_over_its_budget_and_says_so(monkeypatch):
    from harness.scenarios import latency as latency_module

    monkeypatch.setattr(latency_module, "MEMORY_SIZES", [100, 1_000])
    monkeypatch.setattr(latency_module, "MEMORY_STEP_BUDGET_S", 0.0)
    metrics: dict = {}
    latency_module.memory_per_sleeping_task(runtimes.create("heap"), metrics)
    assert metrics["n"] == 100 and list(metrics["by_n"]) == [100]
    assert metrics["bytes_per_task"] == metrics["by_n"][100]
    assert metrics["skipped"] == [1_000] and "N=1000" in metrics["note"]


def test_a_new_scenario_module_is_registered_by_being_there(tmp_path, monkeypatch):
    """Adding a scenario is one new file: the package discovers its modules."""
    import sys

    import harness.scenarios as package
    from harness.scenarios import registry

    (tmp_path / "toy_group.py").write_text(
        '"""A toy scenario group."""\n'
        "from harness.scenarios.registry import observation\n\n\n"
        '@observation("toy.hello", needs=("call_soon",), explain="a toy")\n'
        "async def hello(rt, trace):\n"
        '    """Says hello."""\n'
        '    trace.append("hello")\n')
    monkeypatch.setattr(package, "__path__", [*package.__path__, str(tmp_path)])
    monkeypatch.setattr(registry, "_scenarios", {})
    for name in [m for m in sys.modules if m.startswith("harness.scenarios.") and m != "harness.scenarios.registry"]:
        monkeypatch.delitem(sys.modules, name)
    package.register_all()
    found = registry.all_scenarios()
    assert "toy.hello" in found and found["toy.hello"].doc == "Says hello."
    assert set(SCENARIOS) <= set(found)

"""``call_soon_threadsafe``: the operation's contract on every runtime, and the two hand-off scenarios.

* Contract: from a plain ``threading.Thread``, each posted callback runs once, on the
  loop's own thread, in the order posted; a runtime that reports the operation
  unsupported raises ``Unsupported`` with its reason instead.
* Support: our loops follow their ``"threadsafe"`` capability (a loop that does not
  declare it is unsupported, with the reason); anyio offers only blocking calls from threads; curio's is emulated.
* ``latency.threadsafe`` and ``latency.threadsafe_busy_poster`` run, the way the
  worker runs them, with their sample counts made small here; the busy variant
  records both switch intervals and restores the interpreter's.

No assertion here is about how long anything takes.
"""

from __future__ import annotations

import sys
import threading

import pytest

from harness import runtimes
from harness.runtimes.interface import EMULATED, NATIVE, UNSUPPORTED, Unavailable, Unsupported
from harness.scenarios import threadsafe as scenario_module
from harness.execution.worker import run_cell

POSTS = 20
WAIT = 5.0


def create_or_skip(name: str):
    try:
        return runtimes.create(name)
    except Unavailable as exc:
        pytest.skip(f"runtime {name} unavailable here: {exc}")



@pytest.fixture
def small_samples(monkeypatch):
    """Few samples: these tests check what the scenarios record, not the numbers."""
    monkeypatch.setattr(scenario_module, "SAMPLES", 15)
    monkeypatch.setattr(scenario_module, "BUSY_SAMPLES", 5)
    monkeypatch.setattr(scenario_module, "WARMUP", 2)


# ------------------------------------------------------------------ the operation
def test_callbacks_posted_from_a_plain_thread_run_once_on_the_loop_thread_in_order(rt):
    if rt.how("call_soon_threadsafe") == UNSUPPORTED:
        async def main():
            with pytest.raises(Unsupported) as raised:
                rt.call_soon_threadsafe(print)
            return str(raised.value)
        assert rt.run(main), f"{rt.name}: Unsupported without a reason"
        return

    ran: list[tuple[int, int]] = []
    failures: list[BaseException] = []

    async def main():
        done = rt.event()
        loop_thread = threading.get_ident()

        def post_all():
            try:
                for i in range(POSTS):
                    rt.call_soon_threadsafe(lambda i=i: ran.append((i, threading.get_ident())))
            except BaseException as exc:
                failures.append(exc)
            finally:
                rt.call_soon_threadsafe(done.set)

        poster = threading.Thread(target=post_all)
        poster.start()
        await done.wait()
        poster.join(WAIT)
        return loop_thread

    loop_thread = rt.run(main)
    assert not failures, failures
    assert [i for i, _ in ran] == list(range(POSTS))
    assert {thread for _, thread in ran} == {loop_thread}


def test_support_follows_what_each_library_can_do():
    expected = {"list": NATIVE, "heap": NATIVE, "thread": NATIVE, "asyncio": NATIVE,
                "uvloop": NATIVE, "trio": NATIVE, "curio": EMULATED,
                "anyio-asyncio": UNSUPPORTED, "anyio-trio": UNSUPPORTED}
    for name, how in expected.items():
        if name not in runtimes.names():
            continue
        try:
            rt = runtimes.create(name)
        except Unavailable:
            continue
        assert rt.how("call_soon_threadsafe") == how, name
        assert rt.support.get("call_soon_threadsafe", how) == how, name


def test_our_loops_follow_their_threadsafe_capability():
    for name in runtimes.names():
        rt = create_or_skip(name)
        if rt.family != "loopbench":
            continue
        wanted = NATIVE if "threadsafe" in rt.capabilities else UNSUPPORTED
        assert rt.how("call_soon_threadsafe") == wanted, name


# ------------------------------------------------------------------ the scenarios
@pytest.mark.parametrize("runtime", ["heap", "thread", "asyncio", "trio"])
def test_threadsafe_scenario_records_the_samples(runtime, small_samples):
    create_or_skip(runtime)
    record = run_cell(runtime, "latency.threadsafe")
    assert record["status"] == "observed", record.get("error") or record.get("reason")
    metrics = record["metrics"]
    latency = metrics["latency_us"]
    assert metrics["n"] == latency["n"] == scenario_module.SAMPLES
    assert 0 <= latency["min"] <= latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
    assert metrics["switch_interval_s"] == sys.getswitchinterval()
    assert 0 <= metrics["ran_during_post"] <= metrics["n"]


@pytest.fixture
def unwakeable():
    """A loop of ours that does not declare "threadsafe" (every built-in does)."""
    import impls
    from impls.heap_loop import HeapLoop

    class UnwakeableLoop(HeapLoop):
        name = "unwakeable"
        capabilities = HeapLoop.capabilities - {"threadsafe"}

    impls.register("unwakeable", UnwakeableLoop)
    yield "unwakeable"
    impls.unregister("unwakeable")


def test_threadsafe_scenario_is_unsupported_on_a_loop_without_the_capability_with_a_reason(unwakeable):
    rt = runtimes.create(unwakeable)
    assert rt.how("call_soon_threadsafe") == UNSUPPORTED
    record = run_cell(unwakeable, "latency.threadsafe")
    assert record["status"] == "unsupported"
    assert "call_soon_threadsafe" in record["reason"]
    with pytest.raises(Unsupported, match="threadsafe"):     # the adapter's own reason
        rt.run(_call_soon_threadsafe_on(rt))


def _call_soon_threadsafe_on(rt):
    async def main():
        rt.call_soon_threadsafe(print)
    return main


@pytest.mark.parametrize("runtime", ["heap", "thread", "asyncio"])
def test_busy_poster_records_both_switch_intervals_and_restores_the_interpreters(runtime, small_samples):
    create_or_skip(runtime)
    before = sys.getswitchinterval()
    record = run_cell(runtime, "latency.threadsafe_busy_poster")
    assert sys.getswitchinterval() == before
    assert record["status"] == "observed", record.get("error") or record.get("reason")
    metrics = record["metrics"]
    short = metrics["short_interval"]
    assert metrics["switch_interval_s"] == before
    assert short["switch_interval_s"] == pytest.approx(scenario_module.SHORT_SWITCH_INTERVAL)
    for block in (metrics, short):
        assert block["n"] == block["latency_us"]["n"] == scenario_module.BUSY_SAMPLES
        assert block["latency_us"]["min"] >= 0
        assert 0 <= block["ran_during_post"] <= block["n"]
        assert 0 <= block["spin_timeouts"] <= block["n"]


def test_busy_poster_restores_the_switch_interval_when_the_run_fails(monkeypatch):
    before = sys.getswitchinterval()
    calls = []

    def failing(rt, samples, *, busy):
        calls.append(sys.getswitchinterval())
        if len(calls) == 2:
            raise RuntimeError("the second run failed")
        return {"delays": [0.001], "ran_during_post": 0, "spin_timeouts": 0}

    monkeypatch.setattr(scenario_module, "_hand_offs", failing)
    with pytest.raises(RuntimeError, match="second run"):
        scenario_module.threadsafe_busy_poster(runtimes.create("heap"), {})
    assert calls[1] == pytest.approx(scenario_module.SHORT_SWITCH_INTERVAL)
    assert sys.getswitchinterval() == before

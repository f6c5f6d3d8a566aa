"""Fair verdicts: pass/fail only against a promise the runtime made (its documentation, or
loopbench's contract for our loops); elsewhere observed, and a difference labelled."""

import pytest

from harness import runtimes
from harness.runtimes.interface import Unavailable
from harness.execution.worker import run_cell


def cell(runtime, scenario, repeat=2):
    try:
        runtimes.create(runtime)
    except Unavailable as exc:
        pytest.skip(f"unavailable: {exc}")
    return run_cell(runtime, scenario, repeat)


def test_our_loops_are_judged_by_loopbenchs_contract():
    record = cell("heap", "timers.equal_deadlines")
    assert record["status"] == "pass" and record["judged_by"] == "loopbench's contract"


def test_a_peer_is_not_failed_on_a_promise_it_never_made():
    # asyncio documents no order for equal deadlines: what it does is observed and labelled.
    record = cell("asyncio", "timers.equal_deadlines")
    assert record["status"] == "observed" and record["differs_from_contract"] is True
    assert "judged_by" not in record


def test_a_peer_is_failed_only_where_its_own_documentation_promises_the_trace():
    # asyncio's documentation says what stop() does to the current batch; uvloop claims asyncio's API.
    asyncio_ = cell("asyncio", "callbacks.stop_after_batch")
    assert asyncio_["status"] == "pass" and asyncio_["judged_by"] == "asyncio's documentation"
    uvloop = cell("uvloop", "callbacks.stop_after_batch")
    assert uvloop["status"] == "fail" and uvloop["judged_by"] == "asyncio's documentation"


def test_every_record_says_how_each_operation_it_used_is_provided():
    record = cell("trio", "timers.slides")
    assert record["operations"]["call_at"]["how"] == "emulated" and record["operations"]["call_at"]["note"]
    assert record["operations"]["event"]["how"] == "native"
    assert record["family"] == "peer"
    assert cell("heap+asyncio", "timers.slides")["family"] == "loopbench"

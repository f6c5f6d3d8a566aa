"""Contract clause 1: call_soon is FIFO; newcomers wait for the next iteration; stop()."""

import impls
import pytest
from impls.conformance.helpers import run_soon

pytestmark = pytest.mark.contract(1)


def test_call_soon_runs_callbacks_in_fifo_order(loop):
    order = []
    for i in range(100):
        loop.call_soon(order.append, i)
    run_soon(loop)
    assert order == list(range(100))


def test_call_soon_passes_positional_arguments(loop):
    got = []
    loop.call_soon(lambda *a: got.append(a), 1, "two", None)
    run_soon(loop)
    assert got == [(1, "two", None)]


@pytest.mark.parametrize("stop", ["scheduled in the batch", "called before run_forever"])
def test_callback_scheduled_during_an_iteration_runs_after_those_already_ready(loop, stop):
    """The run stops after one iteration, and the newcomer is in the next run, however stop() came."""
    order = []

    def first():
        order.append("first")
        loop.call_soon(order.append, "scheduled-by-first")

    loop.call_soon(first)
    loop.call_soon(order.append, "second")
    loop.call_soon(order.append, "third")
    if stop == "scheduled in the batch":
        loop.call_soon(loop.stop)    # ends the run after this iteration
    else:
        loop.stop()                  # before the run: the run is exactly one iteration
    loop.run_forever()
    assert order == ["first", "second", "third"]
    assert not loop.is_running()
    run_soon(loop)
    assert order == ["first", "second", "third", "scheduled-by-first"]


def test_stop_lets_the_current_iteration_finish(loop):
    order = []
    loop.call_soon(loop.stop)
    loop.call_soon(order.append, "same iteration")
    loop.run_forever()
    assert order == ["same iteration"]


def test_run_forever_can_be_resumed_after_stop(loop):
    order = []
    for round_ in range(3):
        loop.call_soon(order.append, round_)
        run_soon(loop)
    assert order == [0, 1, 2]


def test_is_running_is_true_only_inside_run(loop):
    seen = []
    loop.call_soon(lambda: seen.append(loop.is_running()))
    assert not loop.is_running()
    run_soon(loop)
    assert seen == [True]
    assert not loop.is_running()


def test_a_callback_that_keeps_rescheduling_itself_does_not_starve_a_due_timer(loop, clock):
    spins = []

    def spin():
        spins.append(1)
        clock.advance(0.001)          # time passes while the loop is busy
        loop.call_soon(spin)

    def timer():
        loop.stop()

    loop.call_later(0.05, timer)
    loop.call_soon(spin)
    loop.run_forever()                 # a starving loop would never return
    assert 40 <= len(spins) <= 60


def test_handles_satisfy_the_protocol(loop):
    handle = loop.call_soon(lambda: None)
    timer = loop.call_later(1, lambda: None)
    assert isinstance(handle, impls.Handle)
    assert isinstance(timer, impls.TimerHandle)
    assert not handle.cancelled()

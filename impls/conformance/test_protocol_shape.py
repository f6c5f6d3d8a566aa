"""Contract clause 0: the loop has the protocol's shape."""

import pytest

import impls

pytestmark = pytest.mark.contract(0)


def test_the_loop_satisfies_the_runtime_checkable_protocol(loop, impl):
    assert isinstance(loop, impls.EventLoop)
    assert loop.name == impl
    assert isinstance(loop.capabilities, frozenset)
    assert loop.capabilities <= set(impls.CAPABILITIES)
    assert {"timers", "tasks"} <= loop.capabilities


def test_handles_and_tasks_satisfy_their_protocols(loop):
    async def main():
        return 1

    assert isinstance(loop.call_soon(lambda: None), impls.Handle)
    assert isinstance(loop.call_later(1, lambda: None), impls.TimerHandle)
    task = loop.create_task(main())
    assert isinstance(task, impls.Task)
    assert loop.run_until_complete(task) == 1


def test_loop_time_comes_from_its_clock(loop, clock):
    clock.advance(12.5)
    assert loop.time() == 12.5

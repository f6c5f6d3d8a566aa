"""The operations whose numbers are compared go through each library's own idiom.

``task_group`` (spawn+join, memory) and ``sleep_until`` (the ``deadlines.*``
scenarios) are checked twice on every runtime: for their contract through the
neutral interface, and, on each peer, by a spy on the library's own function,
which is still called (``wraps``), so the test proves the native path is taken.
"""

from __future__ import annotations

import pytest

from harness import runtimes
from harness.runtimes.interface import UNSUPPORTED, Unsupported



def test_task_group_waits_for_every_child_and_cancels_them(rt):
    if rt.how("task_group") == UNSUPPORTED:
        with pytest.raises(Unsupported):
            rt.task_group()
        return
    finished, cancelled = [], []

    async def child(i):
        await rt.sleep(0)
        finished.append(i)

    async def sleeper():
        try:
            await rt.sleep(3600)
        except BaseException as exc:
            if rt.is_cancellation(exc):
                cancelled.append(1)
            raise

    async def main():
        async with rt.task_group() as group:
            for i in range(50):
                await group.spawn(child, i)
        assert sorted(finished) == list(range(50))      # the exit waited for all of them
        try:
            async with rt.task_group() as group:
                for _ in range(5):
                    await group.spawn(sleeper)
                await rt.sleep(0)
                await rt.sleep(0)
                await group.cancel()
        except Unsupported as exc:                      # a library that cannot cancel part of a run
            return str(exc)
        return len(cancelled)

    outcome = rt.run(main)
    assert outcome == 5 or (rt.name == "tinyio" and "cannot cancel" in outcome)


def test_sleep_until_never_wakes_before_its_deadline_by_the_runtime_clock(rt):
    if rt.how("sleep_until") == UNSUPPORTED:
        with pytest.raises(Unsupported):
            rt.sleep_until(0.0)
        return

    async def main():
        woke = []
        for _ in range(5):
            deadline = rt.now() + 0.002
            await rt.sleep_until(deadline)
            woke.append(rt.now() - deadline)
        past = rt.now() - 1.0
        await rt.sleep_until(past)                     # a deadline already past: returns
        return woke

    # uvloop's clock counts whole milliseconds; its lateness is a finding, not a bug.
    assert all(late >= -0.0011 for late in rt.run(main))


#: Per peer (and control): the library function its task_group / sleep_until must call, as
#: its own description says (``native_calls`` in its adapter module).
NATIVE_PATHS = {name: d.native_calls for name, d in runtimes.described().items()
                if {"task_group", "sleep_until"} <= set(d.native_calls)}


@pytest.mark.parametrize("peer", sorted(NATIVE_PATHS))
@pytest.mark.parametrize("op", ["task_group", "sleep_until"])
def test_peer_uses_its_own_primitive(peer, op, spy_on):
    target = NATIVE_PATHS[peer][op]
    calls = spy_on(target)
    rt = runtimes.create(peer)

    async def child():
        await rt.sleep(0)

    async def main():
        if op == "task_group":
            async with rt.task_group() as group:
                await group.spawn(child)
        else:
            await rt.sleep_until(rt.now() + 0.001)

    rt.run(main)
    assert calls, f"{peer}.{op} did not call {target}"


def test_trio_call_soon_goes_through_run_sync_soon(monkeypatch):
    """What the label says: trio's call_soon is its thread-safe entry queue, not a callback loop."""
    import trio

    real = trio.lowlevel.TrioToken.run_sync_soon
    calls = []

    def spy(token, fn, *args, **kwargs):
        calls.append(fn)
        return real(token, fn, *args, **kwargs)

    monkeypatch.setattr(trio.lowlevel.TrioToken, "run_sync_soon", spy)
    rt = runtimes.create("trio")
    fired = []

    async def main():
        rt.call_soon(fired.append, "ran")
        await rt.sleep(0.001)

    rt.run(main)
    assert fired == ["ran"] and fired.append in calls


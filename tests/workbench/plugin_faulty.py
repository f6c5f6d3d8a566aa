"""A test plugin (loaded through LOOPBENCH_PLUGINS): loops that hang, crash or fail, and tiny scenarios.

Registered in every cell's subprocess too, which is the point: the runner must
survive what these do to their own process.
"""

import os
import time

import impls
from harness.scenario import scenario
from impls.heap_loop import HeapLoop


class HangingLoop(HeapLoop):
    name = "test-hang"

    def _run_once(self):
        time.sleep(3600)                      # never returns


class CrashingLoop(HeapLoop):
    name = "test-crash"

    def _run_once(self):
        os.abort()                            # the interpreter dies (SIGABRT), no result written


class RaisingLoop(HeapLoop):
    name = "test-raise"

    def run_until_complete(self, awaitable):
        awaitable.close()
        raise RuntimeError("this loop is broken on purpose")


for cls in (HangingLoop, CrashingLoop, RaisingLoop):
    impls.register(cls.name, cls, replace=True)


@scenario("timers.test_tiny", expected=["a", "b"], needs=("call_later", "event"))
async def tiny(rt, trace):
    """Two timers and an event: a, then b."""
    done = rt.event()
    rt.call_later(0.002, trace.append, "b")
    rt.call_later(0.001, trace.append, "a")
    rt.call_later(0.003, done.set)
    await done.wait()


_flip = {"n": 0}


@scenario("coroutines.test_flaky", needs=("sleep",), repeat=4)
async def flaky(rt, trace):
    """Alternates between two outcomes: proves outcome counting."""
    _flip["n"] += 1
    await rt.sleep(0)
    trace.append("odd" if _flip["n"] % 2 else "even")


@scenario("coroutines.test_wrong", expected=["never"], needs=("sleep",))
async def wrong(rt, trace):
    """States an expectation no loop meets: proves fail."""
    await rt.sleep(0)
    trace.append("always")


@scenario("coroutines.test_needs_timeout", expected=["x"], needs=("timeout",))
async def needs_timeout(rt, trace):
    """Needs an operation our loops lack: proves unsupported."""
    trace.append("x")


@scenario("coroutines.test_error", expected=["x"], needs=("sleep",))
async def raises(rt, trace):
    """Raises out of the scenario: proves error."""
    await rt.sleep(0)
    raise ValueError("scenario bug")


@scenario("coroutines.test_crash_outcome", needs=("call_soon", "sleep"), crash_is_outcome=True)
async def crash_outcome(rt, trace):
    """An exception escaping run() is recorded as the outcome."""
    trace.append("before")
    raise KeyError("escapes")

"""A test plugin (loaded through LOOPBENCH_PLUGINS): loops that hang, crash or fail, and tiny scenarios.

Registered in every cell's subprocess too, which is the point: the runner must
survive what these do to their own process. ``FAULT_PID_DIR``, when set, is where a
loop writes ``<name>.pid`` (and a grandchild's ``<name>.child.pid``) as it starts
misbehaving, so a test can wait for that moment and then check who is still alive.
"""

import ctypes
import os
import subprocess
import sys
import time

import impls
from harness.scenarios.registry import scenario
from impls.heap_loop import HeapLoop


def note_pid(name: str, pid: int | None = None) -> None:
    where = os.environ.get("FAULT_PID_DIR")
    if where:
        path = os.path.join(where, name + ".pid")
        with open(path + ".tmp", "w") as fh:
            fh.write(str(pid or os.getpid()))
        os.replace(path + ".tmp", path)


def start_grandchild(name: str, *, leave_the_group: bool = False) -> None:
    """A process that outlives its parent and holds the cell's stdout and stderr open for a minute;
    ``leave_the_group``: in a session of its own, out of reach of a kill of the cell's group."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                             stdout=sys.stdout, stderr=sys.stderr, start_new_session=leave_the_group)
    note_pid(name + ".child", child.pid)


class HangingLoop(HeapLoop):
    name = "test-hang"

    def _run_once(self):
        note_pid(self.name)
        time.sleep(3600)                      # never returns


class HangingOnceLoop(HeapLoop):
    """Hangs the first time it runs (with ``FAULT_PID_DIR``), and runs correctly ever after."""
    name = "test-hang-once"

    def _run_once(self):
        where = os.environ.get("FAULT_PID_DIR")
        if where and not os.path.exists(os.path.join(where, self.name + ".pid")):
            note_pid(self.name)
            time.sleep(3600)
        super()._run_once()


class ExitingLoop(HeapLoop):
    name = "test-exit"

    def _run_once(self):
        os._exit(3)                           # gone without a word or a result


class SegfaultingLoop(HeapLoop):
    name = "test-segv"

    def _run_once(self):
        ctypes.string_at(0)                   # reads address 0: SIGSEGV


class FloodingLoop(HeapLoop):
    name = "test-flood"

    def _run_once(self):
        line = b"x" * 1023 + b"\n"
        for _ in range(20 * 1024):             # 20 MB on stderr, then death
            os.write(2, line)
        os.write(2, b"the last words\n")
        os._exit(1)


class GrandchildHangingLoop(HeapLoop):
    """Hangs after starting a grandchild that leaves the cell's process group."""
    name = "test-grandchild-hang"

    def _run_once(self):
        start_grandchild(self.name, leave_the_group=True)
        note_pid(self.name)
        time.sleep(3600)


class GrandchildLoop(HeapLoop):
    """Leaves a grandchild behind but otherwise runs correctly."""
    name = "test-grandchild"
    _started = False

    def _run_once(self):
        if not GrandchildLoop._started:
            GrandchildLoop._started = True
            start_grandchild(self.name)
        super()._run_once()


class RaisingInitLoop(HeapLoop):
    name = "test-raise-init"

    def __init__(self, **kwargs):
        raise OSError("cannot build this loop on purpose")


class RaisingCloseLoop(HeapLoop):
    name = "test-raise-close"

    def close(self):
        raise RuntimeError("close fails on purpose")


class SystemExitLoop(HeapLoop):
    name = "test-sysexit"

    def _run_once(self):
        raise SystemExit(4)


class MarkupLoop(HeapLoop):
    name = "test-markup"

    def run_until_complete(self, awaitable):
        awaitable.close()
        raise RuntimeError("<script>alert('x')</script> [bold red]boom[/] | *not bold* `tick` [link](http://x)")


class CrashingLoop(HeapLoop):
    name = "test-crash"

    def _run_once(self):
        os.abort()                            # the interpreter dies (SIGABRT), no result written


class RaisingLoop(HeapLoop):
    name = "test-raise"

    def run_until_complete(self, awaitable):
        awaitable.close()
        raise RuntimeError("this loop is broken on purpose")


FAULTY_LOOPS = (HangingLoop, HangingOnceLoop, CrashingLoop, RaisingLoop, ExitingLoop, SegfaultingLoop, FloodingLoop,
                GrandchildHangingLoop, GrandchildLoop, RaisingInitLoop, RaisingCloseLoop, SystemExitLoop,
                MarkupLoop)
for cls in FAULTY_LOOPS:
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

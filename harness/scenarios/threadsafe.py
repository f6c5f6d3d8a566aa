"""Thread hand-off: from ``call_soon_threadsafe`` in another thread to the callback running.

A plain ``threading.Thread``, the *poster*, hands callbacks to a loop that is idle
in its wait (a selector, a queue, a condition). Each sample is taken by the
harness's clock (``time.perf_counter``): the poster reads it just before
``rt.call_soon_threadsafe(callback, t0)``, and the callback, first thing on the
loop's thread, records ``perf_counter() - t0``. The poster then waits until the
callback has run (never longer than ``CALLBACK_TIMEOUT``: a lost wake-up is an
error, not a hang) and sleeps ``IDLE_GAP``, so the next call again finds the loop
idle. The loop side only waits for an event that the poster sets, at the end,
through ``call_soon_threadsafe`` itself.

Two costs are in each number:

* the *wake-up*: the loop's own mechanism (a byte on a self-pipe or socketpair
  watched by its selector, a put on the queue it blocks on, a libuv async handle),
  and the OS scheduling the loop's thread;
* the *GIL*: once woken, the loop's thread must take the GIL before it runs any
  Python code. CPython hands the GIL over at once when its holder blocks (the idle
  poster waits on a ``threading.Event``). A holder that keeps running bytecode is
  asked to drop it only after the waiter has waited ``sys.getswitchinterval()``
  (5 ms by default). ``latency.threadsafe_busy_poster`` shows that: the same hand-off
  while the poster keeps running Python code, at the current switch interval and at
  ``SHORT_SWITCH_INTERVAL``.

Which loops *can* avoid the switch interval depends on the *post* itself. Where
waking the loop is a ``send()`` on a socket (asyncio's self-pipe, heap, trampoline,
wheel, trio's wakeup socket, curio's loopback socket), the poster releases the GIL
for that system call, and the loop's thread, woken by the very same call, may take
it first and run the callback before ``call_soon_threadsafe`` has returned to the
poster (counted in ``ran_during_post``). Whether it wins is a race, and it varies
from run to run and with the machine's load: in one run the socket loops won 59 of
60 times at 5 ms; in a full ``make bench`` run they lost every time and paid the
5 ms like the rest, while at 0.5 ms they won ~58 of 60. Where the post never
releases the GIL (the thread loop's ``SimpleQueue.put``, uvloop's ``uv_async_send``
from C), there is no race: the woken thread always waits for the poster to be asked
to drop the GIL, about one switch interval.

All units in the metrics are microseconds unless a name says otherwise.
"""

from __future__ import annotations

import sys
import threading
import time

from ..execution.profile import pick
from .registry import latency
from ..stats.descriptive import distribution

WARMUP = 10                     # samples discarded before measuring
SAMPLES = pick(default=200, quick=100, rigorous=600)
BUSY_SAMPLES = pick(default=40, quick=30, rigorous=120)   # per switch interval: a sample can cost a whole interval
IDLE_GAP = 0.001                # the poster sleeps this long after each sample: the loop goes idle again
BUSY_FOR = 0.020                # the busy poster spins at most this long after a post
SHORT_SWITCH_INTERVAL = 0.0005  # the busy variant's second run (CPython's default is 0.005)
CALLBACK_TIMEOUT = 5.0          # a callback that has not run by then is an error


def _spin(ran: threading.Event, seconds: float) -> bool:
    """Run bytecode, never blocking, until ``ran`` is set or ``seconds`` passed; True if it was set."""
    deadline = time.perf_counter() + seconds
    while not ran.is_set():
        if time.perf_counter() >= deadline:
            return False
    return True


def _poster(rt, count: int, busy: bool, out: dict, finish) -> None:
    """The poster thread: ``count`` hand-offs, then ``finish()`` posted to the loop (always)."""
    delays, ran = out["delays"], threading.Event()

    def callback(t0):
        delays.append(time.perf_counter() - t0)
        ran.set()

    try:
        for i in range(count):
            ran.clear()
            t0 = time.perf_counter()
            rt.call_soon_threadsafe(callback, t0)
            measured = i >= WARMUP
            if ran.is_set():                     # the loop took the GIL while the post was in a syscall
                out["ran_during_post"] += measured
            elif busy and not _spin(ran, BUSY_FOR):
                out["spin_timeouts"] += measured
            if not ran.wait(CALLBACK_TIMEOUT):
                raise TimeoutError(f"a callback posted from another thread did not run "
                                   f"within {CALLBACK_TIMEOUT:g} s")
            time.sleep(IDLE_GAP)
    except BaseException as exc:                 # re-raised by the loop side
        out["error"] = exc
    finally:
        rt.call_soon_threadsafe(finish)


def _nothing():
    pass


def _hand_offs(rt, samples: int, *, busy: bool) -> dict:
    """Run ``WARMUP + samples`` hand-offs on a fresh loop; return the delays (s) after the warm-up."""
    async def main():
        rt.call_soon_threadsafe(_nothing)        # on the loop's thread: raises Unsupported before any thread
        finished = rt.event()
        out = {"delays": [], "error": None, "ran_during_post": 0, "spin_timeouts": 0}
        poster = threading.Thread(target=_poster, args=(rt, WARMUP + samples, busy, out, finished.set),
                                  name="loopbench-poster", daemon=True)
        poster.start()
        await finished.wait()
        poster.join(CALLBACK_TIMEOUT)            # it has nothing left to do but return
        if out["error"] is not None:
            raise out["error"]
        return out

    out = rt.run(main)
    out["delays"] = out["delays"][WARMUP:]
    return out


@latency("latency.threadsafe", needs=("call_soon_threadsafe", "event"), measures=("call_soon_threadsafe",),
         quick=True, sleeps=True,
         explain="A plain thread posts a callback with call_soon_threadsafe to a loop idle in its wait, "
                 "then blocks until it has run: the loop's wake-up (a byte on its self-pipe or socket, "
                 "a put on the queue it blocks on), the OS waking its thread, and the GIL passing to it "
                 "as the poster blocks. Loops that another thread cannot wake (list) are unsupported; "
                 "curio's is emulated (a UniversalQueue drained by a task: one more task switch); anyio "
                 "offers only blocking calls from a thread (unsupported).")
def threadsafe(rt, metrics):
    """``call_soon_threadsafe`` from another thread until the callback runs on the idle loop's thread."""
    out = _hand_offs(rt, SAMPLES, busy=False)
    metrics.update(latency_us=distribution(out["delays"]), n=len(out["delays"]),
                   switch_interval_s=sys.getswitchinterval(), ran_during_post=out["ran_during_post"],
                   gap_s=IDLE_GAP)


@latency("latency.threadsafe_busy_poster", needs=("call_soon_threadsafe", "event"),
         measures=("call_soon_threadsafe",), quick=True,
         explain="The same hand-off while the posting thread keeps running Python code, at the default "
                 "GIL switch interval (5 ms) and at 0.5 ms (sys.setswitchinterval). CPython takes the GIL "
                 "from a thread that never blocks only after the waiter has waited one switch interval, "
                 "so a woken loop thread can wait that long: it always does where the post never "
                 "releases the GIL (the thread loop's queue put, uvloop's uv_async_send), and p50 follows "
                 "the interval. Where the post is a socket send() (asyncio, heap, trio, curio), the "
                 "poster releases the GIL for that syscall and the woken loop may take it first and run "
                 "the callback before the post returns (ran_during_post): a race, won or lost from run "
                 "to run.")
def threadsafe_busy_poster(rt, metrics):
    """``call_soon_threadsafe`` while the poster keeps running bytecode: at two GIL switch intervals."""
    def measured() -> dict:
        interval = sys.getswitchinterval()
        out = _hand_offs(rt, BUSY_SAMPLES, busy=True)
        return {"latency_us": distribution(out["delays"]), "n": len(out["delays"]),
                "switch_interval_s": interval, "ran_during_post": out["ran_during_post"],
                "spin_timeouts": out["spin_timeouts"]}

    current = sys.getswitchinterval()
    at_current = measured()
    try:
        sys.setswitchinterval(SHORT_SWITCH_INTERVAL)
        at_short = measured()
    finally:
        sys.setswitchinterval(current)
    metrics.update(at_current, short_interval=at_short, busy_for_s=BUSY_FOR, gap_s=IDLE_GAP)

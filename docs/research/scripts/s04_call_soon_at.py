"""Item 4: call_soon / call_at equivalents, and FIFO check: 20 timers with the SAME
deadline, scheduled in order 0..19; does firing order == scheduling order? 5 runs each."""
import asyncio, heapq, itertools, sys
import uvloop, trio, curio, anyio
from common import RUNNERS, hdr, task_group

N = 20; RUNS = 5; DELAY = 0.02

# ---------------- asyncio / uvloop: native ----------------
async def a_call_at():
    loop = asyncio.get_running_loop(); fired = []; done = loop.create_future()
    when = loop.time() + DELAY
    def cb(i):
        fired.append(i)
        if len(fired) == N: done.set_result(None)
    for i in range(N): loop.call_at(when, cb, i)
    await done; return fired

async def a_call_soon():
    loop = asyncio.get_running_loop(); fired = []
    for i in range(N): loop.call_soon(fired.append, i)
    await asyncio.sleep(0)   # one loop iteration runs everything already in _ready
    return fired

async def a_call_at_past():
    """call_at with a deadline already in the past vs call_soon: who runs first?"""
    loop = asyncio.get_running_loop(); fired = []
    loop.call_soon(fired.append, "soon-1")
    loop.call_at(loop.time() - 1, fired.append, "at-past")
    loop.call_soon(fired.append, "soon-2")
    await asyncio.sleep(0.005); return fired

# ---------------- trio ----------------
# call_soon: TrioToken.run_sync_soon (documented strict FIFO; exceptions -> TrioInternalError)
async def t_call_soon():
    fired = []; tok = trio.lowlevel.current_trio_token()
    for i in range(N): tok.run_sync_soon(fired.append, i)
    await trio.sleep(0.001); return fired

# call_at, naive: one task per timer sleeping until the deadline
def t_call_at(nursery, when, cb, *args):
    cs = trio.CancelScope()              # returned as the "handle": cs.cancel()
    async def _timer():
        with cs:
            await trio.sleep_until(when)
            cb(*args)
    nursery.start_soon(_timer)
    return cs

async def t_call_at_naive():
    fired = []
    async with trio.open_nursery() as n:
        when = trio.current_time() + DELAY
        for i in range(N): t_call_at(n, when, fired.append, i)
    return fired

# call_at, FIFO: a single "timer service" task owning a heap keyed (when, seq)
class TimerService:
    def __init__(self, now, sleep_until_or_none, make_event):
        self._heap = []; self._seq = itertools.count(); self._now = now
        self._sleep_until = sleep_until_or_none; self._make_event = make_event
        self._wake = make_event()
    def call_at(self, when, cb, *args):
        entry = [when, next(self._seq), cb, args, False]   # [4] = cancelled flag
        heapq.heappush(self._heap, entry); self._wake.set()  # set() is sync for trio/anyio
        return entry
    async def run(self, move_on_at):
        while True:
            while self._heap and self._heap[0][0] <= self._now():
                when, seq, cb, args, cancelled = heapq.heappop(self._heap)
                if not cancelled: cb(*args)
            self._wake = self._make_event()
            deadline = self._heap[0][0] if self._heap else float("inf")
            with move_on_at(deadline):
                await self._wake.wait()

async def scoped_call_at_fifo(lib):
    """The TimerService on trio or anyio (it runs in the nursery / task group, cancelled at the end)."""
    fired = []
    async with task_group(lib) as n:
        ts = TimerService(lib.current_time, None, lib.Event)
        n.start_soon(ts.run, lib.move_on_at)
        when = lib.current_time() + DELAY
        for i in range(N): ts.call_at(when, fired.append, i)
        while len(fired) < N: await lib.sleep(0.005)
        n.cancel_scope.cancel()
    return fired

async def t_call_at_fifo(): return await scoped_call_at_fifo(trio)

# ---------------- curio ----------------
# call_soon: spawn a daemon task (curio.spawn is itself a coroutine -> only callable from a task)
async def c_call_soon():
    fired = []
    async def _run(cb, *a): cb(*a)
    for i in range(N): await curio.spawn(_run, fired.append, i, daemon=True)
    await curio.sleep(0); return fired

# call_at naive: no sleep_until in curio -> sleep(when - clock())
async def c_call_at_naive():
    fired = []
    async def _timer(when, cb, *a):
        await curio.sleep(when - await curio.clock()); cb(*a)
    when = await curio.clock() + DELAY
    ts = [await curio.spawn(_timer, when, fired.append, i) for i in range(N)]
    for t in ts: await t.join()
    return fired

# curio FIFO timer service: curio has no move_on_at, but ignore_after(seconds)
class CurioTimerService:
    def __init__(self): self._heap=[]; self._seq=itertools.count(); self._wake=curio.Event()
    async def call_at(self, when, cb, *args):
        e=[when, next(self._seq), cb, args, False]; heapq.heappush(self._heap, e)
        await self._wake.set(); return e           # curio Event.set() is a coroutine
    async def run(self):
        while True:
            now = await curio.clock()
            while self._heap and self._heap[0][0] <= now:
                when, seq, cb, args, cancelled = heapq.heappop(self._heap)
                if not cancelled: cb(*args)
            self._wake = curio.Event()
            if self._heap:
                await curio.ignore_after(max(0, self._heap[0][0] - now), self._wake.wait())
            else:
                await self._wake.wait()

async def c_call_at_fifo():
    fired = []; ts = CurioTimerService()
    svc = await curio.spawn(ts.run, daemon=True)
    when = await curio.clock() + DELAY
    for i in range(N): await ts.call_at(when, fired.append, i)
    while len(fired) < N: await curio.sleep(0.005)
    await svc.cancel(); return fired

# ---------------- anyio ----------------
async def any_call_at_naive():
    fired = []
    async def _timer(when, cb, *a):
        await anyio.sleep_until(when); cb(*a)
    async with anyio.create_task_group() as tg:
        when = anyio.current_time() + DELAY
        for i in range(N): tg.start_soon(_timer, when, fired.append, i)
    return fired

async def any_call_soon():
    fired = []
    async def _run(cb, *a): cb(*a)
    async with anyio.create_task_group() as tg:
        for i in range(N): tg.start_soon(_run, fired.append, i)
    return fired

async def any_call_at_fifo(): return await scoped_call_at_fifo(anyio)

def fifo(lst): return "FIFO" if lst == list(range(N)) else "NOT-FIFO " + str(lst)

CASES = [
    ("asyncio", "loop.call_soon", a_call_soon),
    ("asyncio", "loop.call_at same when", a_call_at),
    ("uvloop", "loop.call_soon", a_call_soon),
    ("uvloop", "loop.call_at same when", a_call_at),
    ("trio", "token.run_sync_soon", t_call_soon),
    ("trio", "task+sleep_until (naive)", t_call_at_naive),
    ("trio", "TimerService heap(when,seq)", t_call_at_fifo),
    ("curio", "spawn daemon task (call_soon)", c_call_soon),
    ("curio", "task+sleep(when-clock) (naive)", c_call_at_naive),
    ("curio", "TimerService heap(when,seq)", c_call_at_fifo),
    ("anyio-asyncio", "tg.start_soon (call_soon)", any_call_soon),
    ("anyio-asyncio", "task+sleep_until (naive)", any_call_at_naive),
    ("anyio-asyncio", "TimerService heap(when,seq)", any_call_at_fifo),
    ("anyio-trio", "tg.start_soon (call_soon)", any_call_soon),
    ("anyio-trio", "task+sleep_until (naive)", any_call_at_naive),
    ("anyio-trio", "TimerService heap(when,seq)", any_call_at_fifo),
]
for lib, label, fn in CASES:
    res = [fifo(RUNNERS[lib](fn)) for _ in range(RUNS)]
    print(f"{lib:14s} {label:32s} " + " | ".join(r if r == "FIFO" else r for r in res))
hdr("asyncio call_at(past) vs call_soon ordering")
print("asyncio:", RUNNERS["asyncio"](a_call_at_past))
print("uvloop :", RUNNERS["uvloop"](a_call_at_past))

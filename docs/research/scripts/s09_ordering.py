"""Item 9: ordering.
 (a) spawn 1 child; spawner logs, does ONE sleep(0), logs again. Did the child run
     before the spawner resumed? (20 runs -> count)
 (b) spawn 10 children at once: order in which they first run (5 runs)
 (c) 10 tasks sleeping until the SAME deadline: resume order (5 runs)
 (d) 10 tasks waiting on one Event, set once: resume order (5 runs)"""
import asyncio, collections
import uvloop, trio, curio, anyio
from common import RUNNERS, hdr, task_group

N = 10

def fmt(lst): return "FIFO" if lst == list(range(N)) else ("REVERSED" if lst == list(range(N))[::-1] else str(lst))

# ---------------- asyncio ----------------
async def a_sleep_until(when):
    loop = asyncio.get_running_loop(); fut = loop.create_future()
    h = loop.call_at(when, fut.set_result, None)
    try: await fut
    finally: h.cancel()

async def a_a():
    log = []
    async def child(): log.append("C")
    t = asyncio.create_task(child()); log.append("P1"); await asyncio.sleep(0); log.append("P2"); await t
    return " ".join(log)
async def a_b():
    log = []
    async def child(i): log.append(i)
    ts = [asyncio.create_task(child(i)) for i in range(N)]
    await asyncio.gather(*ts); return log
async def a_c():
    log = []; when = asyncio.get_running_loop().time() + 0.02
    async def child(i): await a_sleep_until(when); log.append(i)
    await asyncio.gather(*[child(i) for i in range(N)]); return log
async def a_d():
    log = []; ev = asyncio.Event()
    async def child(i): await ev.wait(); log.append(i)
    ts = [asyncio.create_task(child(i)) for i in range(N)]
    await asyncio.sleep(0.01); ev.set(); await asyncio.gather(*ts); return log

# ---------------- trio and anyio ----------------
def scoped(lib):
    """The four cases for trio or anyio: children start in a nursery / task group."""
    async def fa():
        log = []
        async def child(): log.append("C")
        async with task_group(lib) as n:
            n.start_soon(child); log.append("P1"); await lib.sleep(0); log.append("P2")
        return " ".join(log)
    async def fb():
        log = []
        async def child(i): log.append(i)
        async with task_group(lib) as n:
            for i in range(N): n.start_soon(child, i)
        return log
    async def fc():
        log = []; when = lib.current_time() + 0.02
        async def child(i): await lib.sleep_until(when); log.append(i)
        async with task_group(lib) as n:
            for i in range(N): n.start_soon(child, i)
        return log
    async def fd():
        log = []; ev = lib.Event()
        async def child(i): await ev.wait(); log.append(i)
        async with task_group(lib) as n:
            for i in range(N): n.start_soon(child, i)
            await lib.sleep(0.01); ev.set()
        return log
    return fa, fb, fc, fd

# ---------------- curio ----------------
async def c_a():
    log = []
    async def child(): log.append("C")
    t = await curio.spawn(child); log.append("P1"); await curio.sleep(0); log.append("P2"); await t.join()
    return " ".join(log)
async def c_b():
    log = []
    async def child(i): log.append(i)
    ts = [await curio.spawn(child, i) for i in range(N)]
    for t in ts: await t.join()
    return log
async def c_c():
    log = []; when = await curio.clock() + 0.02
    async def child(i): await curio.sleep(when - await curio.clock()); log.append(i)
    ts = [await curio.spawn(child, i) for i in range(N)]
    for t in ts: await t.join()
    return log
async def c_d():
    log = []; ev = curio.Event()
    async def child(i): await ev.wait(); log.append(i)
    ts = [await curio.spawn(child, i) for i in range(N)]
    await curio.sleep(0.01); await ev.set()
    for t in ts: await t.join()
    return log

ALL = {"asyncio": (a_a, a_b, a_c, a_d), "uvloop": (a_a, a_b, a_c, a_d), "trio": scoped(trio),
       "curio": (c_a, c_b, c_c, c_d), "anyio-asyncio": scoped(anyio), "anyio-trio": scoped(anyio)}
for lib, (fa, fb, fc, fd) in ALL.items():
    hdr(lib)
    cnt = collections.Counter(RUNNERS[lib](fa) for _ in range(20))
    print("  (a) spawn then sleep(0), 20 runs:", dict(cnt))
    print("  (b) 10 spawned, first-run order:", " | ".join(fmt(RUNNERS[lib](fb)) for _ in range(5)))
    print("  (c) same deadline resume order :", " | ".join(fmt(RUNNERS[lib](fc)) for _ in range(5)))
    print("  (d) one Event set, resume order:", " | ".join(fmt(RUNNERS[lib](fd)) for _ in range(5)))

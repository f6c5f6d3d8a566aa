"""Item 5 addendum: producer/consumer ping-pong over two queues/channels (capacity 1),
N round trips; reports mean round-trip in microseconds (single run, indicative only)."""
import asyncio, time
import uvloop, trio, curio, anyio
from common import RUNNERS

N = 20000

async def a_pp():
    q1, q2 = asyncio.Queue(1), asyncio.Queue(1)
    async def pong():
        for _ in range(N): await q2.put(await q1.get())
    t = asyncio.create_task(pong()); t0 = time.perf_counter()
    for i in range(N): await q1.put(i); await q2.get()
    dt = time.perf_counter() - t0; await t; return dt

async def t_pp():
    s1, r1 = trio.open_memory_channel(1); s2, r2 = trio.open_memory_channel(1)
    async def pong():
        for _ in range(N): await s2.send(await r1.receive())
    async with trio.open_nursery() as n:
        n.start_soon(pong); t0 = time.perf_counter()
        for i in range(N): await s1.send(i); await r2.receive()
        dt = time.perf_counter() - t0
    return dt

async def c_pp():
    q1, q2 = curio.Queue(1), curio.Queue(1)
    async def pong():
        for _ in range(N): await q2.put(await q1.get())
    t = await curio.spawn(pong); t0 = time.perf_counter()
    for i in range(N): await q1.put(i); await q2.get()
    dt = time.perf_counter() - t0; await t.join(); return dt

async def any_pp():
    s1, r1 = anyio.create_memory_object_stream(1); s2, r2 = anyio.create_memory_object_stream(1)
    async def pong():
        for _ in range(N): await s2.send(await r1.receive())
    async with anyio.create_task_group() as tg:
        tg.start_soon(pong); t0 = time.perf_counter()
        for i in range(N): await s1.send(i); await r2.receive()
        dt = time.perf_counter() - t0
    for x in (s1, r1, s2, r2): x.close()
    return dt

for lib, fn in [("asyncio", a_pp), ("uvloop", a_pp), ("trio", t_pp), ("curio", c_pp),
                ("anyio-asyncio", any_pp), ("anyio-trio", any_pp)]:
    dt = RUNNERS[lib](fn)
    print(f"{lib:14s} {dt/N*1e6:7.2f} us/round-trip")

"""Item 5 addendum: producer/consumer ping-pong over two queues/channels (capacity 1),
N round trips; reports mean round-trip in microseconds (single run, indicative only)."""
import asyncio, time
import uvloop, trio, curio, anyio
from common import RUNNERS, task_group

N = 20000

def players(send1, recv1, send2, recv2):
    """pong echoes what arrives on 1 back on 2; ping sends i on 1, waits for the echo on 2,
    N times, and returns how long that took."""
    async def pong():
        for _ in range(N): await send2(await recv1())
    async def ping():
        t0 = time.perf_counter()
        for i in range(N): await send1(i); await recv2()
        return time.perf_counter() - t0
    return pong, ping

async def a_pp():
    q1, q2 = asyncio.Queue(1), asyncio.Queue(1)
    pong, ping = players(q1.put, q1.get, q2.put, q2.get)
    t = asyncio.create_task(pong())
    dt = await ping(); await t; return dt

async def scoped_pp(lib):
    """trio (memory channels) and anyio (memory object streams)."""
    open_channel = trio.open_memory_channel if lib is trio else anyio.create_memory_object_stream
    s1, r1 = open_channel(1); s2, r2 = open_channel(1)
    pong, ping = players(s1.send, r1.receive, s2.send, r2.receive)
    async with task_group(lib) as n:
        n.start_soon(pong)
        dt = await ping()
    for x in (s1, r1, s2, r2): x.close()
    return dt

async def t_pp(): return await scoped_pp(trio)
async def any_pp(): return await scoped_pp(anyio)

async def c_pp():
    q1, q2 = curio.Queue(1), curio.Queue(1)
    pong, ping = players(q1.put, q1.get, q2.put, q2.get)
    t = await curio.spawn(pong)
    dt = await ping(); await t.join(); return dt

for lib, fn in [("asyncio", a_pp), ("uvloop", a_pp), ("trio", t_pp), ("curio", c_pp),
                ("anyio-asyncio", any_pp), ("anyio-trio", any_pp)]:
    dt = RUNNERS[lib](fn)
    print(f"{lib:14s} {dt/N*1e6:7.2f} us/round-trip")

"""Item 4 addendum: can a timer fire EARLY relative to real elapsed time?
Schedule call_at(loop.time()+d) for d in [0.1ms .. 5ms] and measure
real elapsed = time.perf_counter() at fire - perf_counter() at scheduling."""
import asyncio, time, random, statistics
import uvloop, trio, curio, anyio
from common import RUNNERS

async def a_main():
    loop = asyncio.get_running_loop(); res = []
    for _ in range(300):
        d = random.uniform(0.0001, 0.005)
        fut = loop.create_future(); t0 = time.perf_counter()
        loop.call_at(loop.time() + d, lambda: fut.set_result(time.perf_counter()))
        t1 = await fut; res.append((t1 - t0) - d)
    return res

async def lateness(wait):
    """300 waits of a random d: how late each returned, in real time, after `await wait(d)`."""
    res = []
    for _ in range(300):
        d = random.uniform(0.0001, 0.005); t0 = time.perf_counter()
        await wait(d); res.append(time.perf_counter() - t0 - d)
    return res

async def t_main(): return await lateness(lambda d: trio.sleep_until(trio.current_time() + d))

async def c_main(): return await lateness(curio.sleep)

async def any_main(): return await lateness(lambda d: anyio.sleep_until(anyio.current_time() + d))

for lib, fn in [("asyncio", a_main), ("uvloop", a_main), ("trio", t_main), ("curio", c_main),
                ("anyio-asyncio", any_main), ("anyio-trio", any_main)]:
    r = RUNNERS[lib](fn)
    early = [x for x in r if x < 0]
    print(f"{lib:14s} lateness us: min {min(r)*1e6:8.0f} median {statistics.median(r)*1e6:6.0f} max {max(r)*1e6:6.0f}; fired early {len(early)}/{len(r)}")

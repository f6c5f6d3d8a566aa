"""Item 2: sleep(d), sleep(0). Measures overshoot with time.perf_counter, checks
return value, whether sleep(0) lets a sibling run, and negative-delay behaviour."""
import asyncio, time, statistics
import uvloop, trio, curio, anyio
from common import RUNNERS, hdr

D = 0.01; N = 20

def summarize(xs):
    xs = [x*1e6 for x in xs]
    return "overshoot us: min %.0f median %.0f max %.0f" % (min(xs), statistics.median(xs), max(xs))

async def a_main():
    over = []
    for _ in range(N):
        t = time.perf_counter(); await asyncio.sleep(D); over.append(time.perf_counter()-t-D)
    rv = await asyncio.sleep(0, result="R")
    log = []
    async def other(): log.append("other")
    asyncio.get_running_loop().create_task(other())
    await asyncio.sleep(0); log.append("after sleep(0)")
    try: await asyncio.sleep(-1); neg = "ok (returns immediately)"
    except Exception as e: neg = repr(e)
    return summarize(over), f"sleep(0,result='R') -> {rv!r}", log, f"sleep(-1): {neg}"

async def t_main():
    over = []
    for _ in range(N):
        t = time.perf_counter(); await trio.sleep(D); over.append(time.perf_counter()-t-D)
    rv = await trio.sleep(0)
    log = []
    async with trio.open_nursery() as n:
        async def other(): log.append("other")
        n.start_soon(other)
        await trio.sleep(0); log.append("after sleep(0)")
    try: await trio.sleep(-1); neg = "ok"
    except Exception as e: neg = repr(e)
    # sleep_until
    dl = trio.current_time() + D
    await trio.sleep_until(dl); su = trio.current_time() - dl
    return summarize(over), f"sleep(0) -> {rv!r}", log, f"sleep(-1): {neg}", f"sleep_until overshoot {su*1e6:.0f}us"

async def c_main():
    over = []
    for _ in range(N):
        t = time.perf_counter(); await curio.sleep(D); over.append(time.perf_counter()-t-D)
    rv = await curio.sleep(0)
    rv2 = await curio.sleep(D)
    log = []
    async def other(): log.append("other")
    t = await curio.spawn(other)
    await curio.sleep(0); log.append("after sleep(0)")
    await t.join()
    try: await curio.sleep(-1); neg = "ok (treated like sleep(0))"
    except Exception as e: neg = repr(e)
    return summarize(over), f"sleep(0) -> {rv!r} (kernel clock), sleep(D) -> {rv2!r}; clock now {await curio.clock()}", log, f"sleep(-1): {neg}"

async def any_main():
    over = []
    for _ in range(N):
        t = time.perf_counter(); await anyio.sleep(D); over.append(time.perf_counter()-t-D)
    rv = await anyio.sleep(0)
    log = []
    async with anyio.create_task_group() as tg:
        async def other(): log.append("other")
        tg.start_soon(other)
        await anyio.sleep(0); log.append("after sleep(0)")
    try: await anyio.sleep(-1); neg = "ok"
    except Exception as e: neg = repr(e)
    dl = anyio.current_time() + D
    await anyio.sleep_until(dl); su = anyio.current_time() - dl
    return summarize(over), f"sleep(0) -> {rv!r}", log, f"sleep(-1): {neg}", f"sleep_until overshoot {su*1e6:.0f}us"

for name, fn in [("asyncio", a_main), ("uvloop", a_main), ("trio", t_main), ("curio", c_main),
                 ("anyio-asyncio", any_main), ("anyio-trio", any_main)]:
    hdr(name)
    for line in RUNNERS[name](fn): print("  ", line)

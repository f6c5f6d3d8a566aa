"""Item 2: sleep(d), sleep(0). Measures overshoot with time.perf_counter, checks
return value, whether sleep(0) lets a sibling run, and negative-delay behaviour."""
import asyncio, time, statistics
import uvloop, trio, curio, anyio
from common import RUNNERS, hdr, task_group

D = 0.01; N = 20

def summarize(xs):
    xs = [x*1e6 for x in xs]
    return "overshoot us: min %.0f median %.0f max %.0f" % (min(xs), statistics.median(xs), max(xs))

async def overshoots(sleep):
    over = []
    for _ in range(N):
        t = time.perf_counter(); await sleep(D); over.append(time.perf_counter()-t-D)
    return summarize(over)

async def sleep_negative(sleep, ok):
    try: await sleep(-1); neg = ok
    except Exception as e: neg = repr(e)
    return f"sleep(-1): {neg}"

async def a_main():
    over = await overshoots(asyncio.sleep)
    rv = await asyncio.sleep(0, result="R")
    log = []
    async def other(): log.append("other")
    asyncio.get_running_loop().create_task(other())
    await asyncio.sleep(0); log.append("after sleep(0)")
    return over, f"sleep(0,result='R') -> {rv!r}", log, await sleep_negative(asyncio.sleep, "ok (returns immediately)")

async def scoped_main(lib):
    """trio and anyio: the same steps, the sibling in a nursery / task group, and sleep_until."""
    over = await overshoots(lib.sleep)
    rv = await lib.sleep(0)
    log = []
    async with task_group(lib) as n:
        async def other(): log.append("other")
        n.start_soon(other)
        await lib.sleep(0); log.append("after sleep(0)")
    neg = await sleep_negative(lib.sleep, "ok")
    dl = lib.current_time() + D
    await lib.sleep_until(dl); su = lib.current_time() - dl
    return over, f"sleep(0) -> {rv!r}", log, neg, f"sleep_until overshoot {su*1e6:.0f}us"

async def t_main(): return await scoped_main(trio)
async def any_main(): return await scoped_main(anyio)

async def c_main():
    over = await overshoots(curio.sleep)
    rv = await curio.sleep(0)
    rv2 = await curio.sleep(D)
    log = []
    async def other(): log.append("other")
    t = await curio.spawn(other)
    await curio.sleep(0); log.append("after sleep(0)")
    await t.join()
    neg = await sleep_negative(curio.sleep, "ok (treated like sleep(0))")
    return over, f"sleep(0) -> {rv!r} (kernel clock), sleep(D) -> {rv2!r}; clock now {await curio.clock()}", log, neg

for name, fn in [("asyncio", a_main), ("uvloop", a_main), ("trio", t_main), ("curio", c_main),
                 ("anyio-asyncio", any_main), ("anyio-trio", any_main)]:
    hdr(name)
    for line in RUNNERS[name](fn): print("  ", line)

"""Item 1: each library's own clock. Compare with time.monotonic/perf_counter,
measure resolution (smallest nonzero step seen in a tight loop without awaiting)."""
import asyncio, time
import uvloop, trio, curio, anyio
from common import RUNNERS, hdr

def resolution(f, n=200000):
    prev = f(); steps = []
    for _ in range(n):
        v = f()
        if v != prev:
            steps.append(v - prev); prev = v
            if len(steps) > 50: break
    return min(steps) if steps else None

async def a_main():
    loop = asyncio.get_running_loop()
    now = loop.time()
    return type(loop).__name__, now, now - time.monotonic(), resolution(loop.time)

async def t_main():
    now = trio.current_time()
    return "trio", now, now - time.monotonic(), now - time.perf_counter(), resolution(trio.current_time)

async def c_main():
    now = await curio.clock()           # coroutine! must be awaited
    # resolution: need to await each call
    prev = await curio.clock(); steps=[]
    for _ in range(200000):
        v = await curio.clock()
        if v != prev:
            steps.append(v-prev); prev=v
            if len(steps)>50: break
    return "curio", now, now - time.monotonic(), min(steps)

async def any_main():
    now = anyio.current_time()
    return "anyio", now, now - time.monotonic(), now - time.perf_counter(), resolution(anyio.current_time)

for name, fn in [("asyncio", a_main), ("uvloop", a_main), ("trio", t_main), ("curio", c_main),
                 ("anyio-asyncio", any_main), ("anyio-trio", any_main)]:
    hdr(name)
    print(RUNNERS[name](fn))
print("\ncurio.clock is coroutine function:", asyncio.iscoroutinefunction(curio.clock))
print("trio.current_time is coroutine function:", asyncio.iscoroutinefunction(trio.current_time))
print("anyio.current_time is coroutine function:", asyncio.iscoroutinefunction(anyio.current_time))

"""Item 4 addendum: timers with DISTINCT deadlines less than 1 ms apart, scheduled in
order of DECREASING deadline (timer i has when = base + (N-i)*40us).
Correct deadline order => fire order [19, 18, ..., 0]."""
import asyncio
import uvloop
from common import RUNNERS
N = 20
async def main():
    loop = asyncio.get_running_loop(); fired = []; done = loop.create_future()
    base = loop.time() + 0.02
    def cb(i):
        fired.append(i)
        if len(fired) == N: done.set_result(None)
    for i in range(N): loop.call_at(base + (N - i) * 0.00004, cb, i)
    await done; return fired
for lib in ("asyncio", "uvloop"):
    for _ in range(3):
        r = RUNNERS[lib](main)
        print(f"{lib:8s}", "deadline order" if r == list(range(N))[::-1] else r)

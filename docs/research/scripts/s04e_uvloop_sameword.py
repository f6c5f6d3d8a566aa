"""Item 4 addendum: uvloop call_at(same when) FIFO-ness over 50 runs, with N=20 and N=200."""
import asyncio, collections
import uvloop
from common import RUNNERS
async def main(N):
    loop = asyncio.get_running_loop(); fired = []; done = loop.create_future()
    when = loop.time() + 0.02
    def cb(i):
        fired.append(i)
        if len(fired) == N: done.set_result(None)
    for i in range(N): loop.call_at(when, cb, i)
    await done
    if fired == list(range(N)): return "FIFO"
    # describe the inversion
    first_bad = next(k for k in range(N) if fired[k] != k)
    return f"NOT-FIFO (first deviation at pos {first_bad}: {fired[max(0,first_bad-1):first_bad+4]})"
for N in (20, 200):
    c = collections.Counter(RUNNERS["uvloop"](main, N) for _ in range(50))
    print(f"uvloop N={N}, 50 runs:", dict(c))
    c = collections.Counter(RUNNERS["asyncio"](main, N) for _ in range(50))
    print(f"asyncio N={N}, 50 runs:", dict(c))

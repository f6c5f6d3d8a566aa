"""Minimal verified snippets: asyncio (stdlib 3.11) and uvloop-as-asyncio-loop."""
import asyncio, uvloop

async def demo():
    loop = asyncio.get_running_loop()
    out = {}
    # 1 now
    out["now"] = loop.time()                          # float seconds; uvloop: 1 ms steps
    # 2 sleep
    await asyncio.sleep(0.001); await asyncio.sleep(0)
    # 3 spawn / join / cancel
    async def child(x): await asyncio.sleep(0.001); return x * 2
    t = asyncio.create_task(child(21)); out["join"] = await t          # 42 (exceptions re-raised as-is)
    t = asyncio.create_task(asyncio.sleep(10)); await asyncio.sleep(0)
    t.cancel()
    try: await t
    except asyncio.CancelledError: out["cancelled"] = t.cancelled()    # True
    # 4 call_soon / call_at (native). NB equal `when` => NOT FIFO on stdlib asyncio
    fired = []; done = loop.create_future()
    loop.call_soon(fired.append, "soon")
    h = loop.call_at(loop.time() + 0.002, lambda: (fired.append("at"), done.set_result(None)))
    await done; out["cb"] = fired                     # ['soon', 'at']; h.cancel() to cancel
    # 5 Event / Lock / Queue
    ev, lock, q = asyncio.Event(), asyncio.Lock(), asyncio.Queue(maxsize=1)
    ev.set(); await ev.wait()
    async with lock: pass
    await q.put(1); out["q"] = await q.get()
    # 7 timeouts (3.11+)
    try:
        async with asyncio.timeout(0.001): await asyncio.sleep(1)
    except TimeoutError: out["timeout"] = "TimeoutError"
    # 6 structured
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child(1))
            async def bad(): raise ValueError("x")
            tg.create_task(bad())
    except* ValueError as eg: out["taskgroup"] = repr(eg.exceptions)
    return out

# 11 run
print("asyncio:", asyncio.run(demo()))
with asyncio.Runner(loop_factory=uvloop.new_event_loop) as r:   # 3.11: asyncio.run has no loop_factory
    print("uvloop :", r.run(demo()))
print("uvloop.run:", uvloop.run(demo())["join"])

"""Minimal verified snippets: anyio 4.16 (asyncio and trio backends)."""
import anyio

async def demo():
    out = {}
    out["now"] = anyio.current_time()                 # = loop.time() / trio.current_time()
    await anyio.sleep(0.001); await anyio.sleep(0)
    await anyio.sleep_until(anyio.current_time() + 0.001)
    # 3 spawn/join/cancel: anyio >= 4.14 start_soon()/create_task() return a TaskHandle
    async def child(x): await anyio.sleep(0.001); return x * 2
    async with anyio.create_task_group() as tg:
        h = tg.start_soon(child, 21); out["join"] = await h          # 42
        h2 = tg.start_soon(anyio.sleep, 10); await anyio.sleep(0); h2.cancel()
        try: await h2
        except anyio.TaskCancelled: out["cancel"] = h2.status.name   # CANCELLED
    # 4 call_at emulation: task + sleep_until (no native call_at/call_soon)
    fired = []
    async def _at(when, cb, *a): await anyio.sleep_until(when); cb(*a)
    async with anyio.create_task_group() as tg:
        tg.start_soon(_at, anyio.current_time() + 0.002, fired.append, "at")
    out["cb"] = fired
    # 5 Event / Lock / Queue (memory object stream)
    ev, lock = anyio.Event(), anyio.Lock(); ev.set(); await ev.wait()
    async with lock: pass
    send, recv = anyio.create_memory_object_stream[int](1)
    async with send, recv:
        await send.send(1); out["q"] = await recv.receive()
    # 7 timeouts
    with anyio.move_on_after(0.001) as sc: await anyio.sleep(1)
    out["move_on_after"] = sc.cancelled_caught
    try:
        with anyio.fail_after(0.001): await anyio.sleep(1)
    except TimeoutError: out["fail_after"] = "TimeoutError"
    # 6 structured
    try:
        async with anyio.create_task_group() as tg:
            async def bad(): raise ValueError("x")
            tg.start_soon(bad); tg.start_soon(anyio.sleep, 10)
    except* ValueError as eg: out["taskgroup"] = repr(eg.exceptions)
    return out

print("anyio-asyncio:", anyio.run(demo, backend="asyncio"))
print("anyio-asyncio+uvloop:", anyio.run(demo, backend="asyncio", backend_options={"use_uvloop": True})["join"])
print("anyio-trio:", anyio.run(demo, backend="trio"))

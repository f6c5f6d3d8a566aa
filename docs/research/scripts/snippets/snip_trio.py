"""Minimal verified snippets: trio."""
import trio

async def demo():
    out = {}
    out["now"] = trio.current_time()                  # perf_counter + random offset (10k..200k s)
    await trio.sleep(0.001); await trio.sleep(0)      # sleep(0) == trio.lowlevel.checkpoint()
    # 3 spawn/join: no task handles; collect results yourself
    results = {}
    async def child(key, x): await trio.sleep(0.001); results[key] = x * 2
    async with trio.open_nursery() as n:              # nursery exit == join all
        n.start_soon(child, "a", 21)                  # returns None
    out["join"] = results["a"]
    #   cancel ONE child: give it its own CancelScope and hand it out via task_status
    async def cancellable(task_status=trio.TASK_STATUS_IGNORED):
        with trio.CancelScope() as cs:
            task_status.started(cs)
            try: await trio.sleep(10)
            finally: out["child finally ran"] = True
        out["cs.cancelled_caught"] = cs.cancelled_caught
    async with trio.open_nursery() as n:
        cs = await n.start(cancellable); cs.cancel()
    # 4 call_soon: TrioToken.run_sync_soon (strict FIFO; exception in cb -> TrioInternalError)
    fired = []
    trio.lowlevel.current_trio_token().run_sync_soon(fired.append, "soon")
    #   call_at emulation: a task sleeping until the deadline; cancel via returned scope
    def call_at(nursery, when, cb, *args):
        scope = trio.CancelScope()
        async def _timer():
            with scope:
                await trio.sleep_until(when); cb(*args)
        nursery.start_soon(_timer); return scope
    async with trio.open_nursery() as n:
        call_at(n, trio.current_time() + 0.002, fired.append, "at")
    out["cb"] = fired
    # 5 Event / Lock / "Queue" (memory channel)
    ev, lock = trio.Event(), trio.Lock(); ev.set(); await ev.wait()
    async with lock: pass
    send, recv = trio.open_memory_channel(1)          # max_buffer_size; 0 = rendezvous
    async with send, recv:
        await send.send(1); out["q"] = await recv.receive()
    # 7 timeouts
    with trio.move_on_after(0.001) as sc: await trio.sleep(1)
    out["move_on_after"] = sc.cancelled_caught
    try:
        with trio.fail_after(0.001): await trio.sleep(1)
    except trio.TooSlowError: out["fail_after"] = "TooSlowError"
    # 6 structured
    try:
        async with trio.open_nursery() as n:
            async def bad(): raise ValueError("x")
            n.start_soon(bad); n.start_soon(trio.sleep, 10)
    except* ValueError as eg: out["nursery"] = repr(eg.exceptions)
    return out

print("trio:", trio.run(demo))

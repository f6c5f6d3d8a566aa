"""Minimal verified snippets: curio 1.6."""
import curio, heapq, itertools

async def demo():
    out = {}
    out["now"] = await curio.clock()                  # coroutine! == time.monotonic() via kernel trap
    await curio.sleep(0.001); await curio.sleep(0)    # sleep() returns the kernel clock
    # 3 spawn/join/cancel
    async def child(x): await curio.sleep(0.001); return x * 2
    t = await curio.spawn(child, 21); out["join"] = await t.join()   # failure -> TaskError from exc
    t = await curio.spawn(curio.sleep, 10)
    await t.cancel()                                  # blocks until task terminated (blocking=True)
    out["cancelled"] = (t.cancelled, repr(t.exception))  # (True, TaskCancelled(...))
    # 4 call_soon / call_at emulation (no public API): spawn daemon tasks
    fired = []
    async def _soon(cb, *a): cb(*a)
    async def _at(when, cb, *a): await curio.sleep(max(0, when - await curio.clock())); cb(*a)
    await curio.spawn(_soon, fired.append, "soon", daemon=True)
    tt = await curio.spawn(_at, await curio.clock() + 0.002, fired.append, "at", daemon=True)
    await tt.wait(); out["cb"] = fired                # cancel a pending timer: await tt.cancel()
    # 5 Event / Lock / Queue
    ev, lock, q = curio.Event(), curio.Lock(), curio.Queue(maxsize=1)
    await ev.set()                                    # set() is a coroutine in curio
    await ev.wait()
    async with lock: pass
    await q.put(1); out["q"] = await q.get()
    # 7 timeouts (TaskTimeout is a BaseException, not Exception)
    try:
        async with curio.timeout_after(0.001): await curio.sleep(1)
    except curio.TaskTimeout: out["timeout_after"] = "TaskTimeout"
    async with curio.ignore_after(0.001) as r: await curio.sleep(1)
    out["ignore_after.result"] = r.result             # None on expiry
    # 6 structured: TaskGroup does NOT raise child errors; inspect afterwards
    async def bad(): raise ValueError("x")
    async with curio.TaskGroup() as g:
        await g.spawn(bad); await g.spawn(curio.sleep, 10)
    out["taskgroup.exceptions"] = repr(g.exceptions)  # [ValueError, TaskCancelled]
    return out

import logging; logging.getLogger("curio").setLevel(logging.CRITICAL)   # silence 'Task Crash'
print("curio:", curio.run(demo))
from curio.task import ContextTask
with curio.Kernel(taskcls=ContextTask) as k:         # per-task contextvars (default Task shares one)
    print("curio ContextTask kernel:", k.run(demo)["join"])

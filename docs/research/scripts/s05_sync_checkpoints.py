"""Item 5: Event / Lock / Queue. Do fast paths (wait on already-set Event,
acquire free Lock, get from non-empty queue, put into non-full queue) yield to
other tasks? Task A does the op 3x; task B logs and sleep(0)s 3x.
Contiguous A0 A1 A2 => no checkpoint on the fast path. Run 5 times (trio randomizes)."""
import asyncio, time
import uvloop, trio, curio, anyio
from common import RUNNERS, hdr

def pattern(log): return " ".join(log)

# ---------- asyncio ----------
async def a_case(kind):
    log = []
    ev = asyncio.Event(); ev.set(); lock = asyncio.Lock(); q = asyncio.Queue()
    for i in range(3): q.put_nowait(i)
    async def A():
        for i in range(3):
            if kind == "event": await ev.wait()
            elif kind == "lock":
                async with lock: pass
            elif kind == "qget": await q.get()
            elif kind == "qput": await q.put(i)
            log.append(f"A{i}")
    async def B():
        for i in range(3): log.append(f"B{i}"); await asyncio.sleep(0)
    await asyncio.gather(A(), B())
    return pattern(log)

# ---------- trio ----------
async def t_case(kind):
    log = []
    ev = trio.Event(); ev.set(); lock = trio.Lock()
    s, r = trio.open_memory_channel(10)
    for i in range(3): s.send_nowait(i)
    async def A():
        for i in range(3):
            if kind == "event": await ev.wait()
            elif kind == "lock":
                async with lock: pass
            elif kind == "qget": await r.receive()
            elif kind == "qput": await s.send(i)
            log.append(f"A{i}")
    async def B():
        for i in range(3): log.append(f"B{i}"); await trio.sleep(0)
    async with trio.open_nursery() as n:
        n.start_soon(A); n.start_soon(B)
    return pattern(log)

# ---------- curio ----------
async def c_case(kind):
    log = []
    ev = curio.Event(); await ev.set(); lock = curio.Lock(); q = curio.Queue()
    for i in range(3): await q.put(i)
    async def A():
        for i in range(3):
            if kind == "event": await ev.wait()
            elif kind == "lock":
                async with lock: pass
            elif kind == "qget": await q.get()
            elif kind == "qput": await q.put(i)
            log.append(f"A{i}")
    async def B():
        for i in range(3): log.append(f"B{i}"); await curio.sleep(0)
    async with curio.TaskGroup() as g:
        await g.spawn(A); await g.spawn(B)
    return pattern(log)

# ---------- anyio ----------
async def any_case(kind):
    log = []
    ev = anyio.Event(); ev.set(); lock = anyio.Lock()
    s, r = anyio.create_memory_object_stream(10)
    for i in range(3): s.send_nowait(i)
    async def A():
        for i in range(3):
            if kind == "event": await ev.wait()
            elif kind == "lock":
                async with lock: pass
            elif kind == "qget": await r.receive()
            elif kind == "qput": await s.send(i)
            log.append(f"A{i}")
    async def B():
        for i in range(3): log.append(f"B{i}"); await anyio.sleep(0)
    async with anyio.create_task_group() as tg:
        tg.start_soon(A); tg.start_soon(B)
    s.close(); r.close()
    return pattern(log)

for lib, fn in [("asyncio", a_case), ("uvloop", a_case), ("trio", t_case), ("curio", c_case),
                ("anyio-asyncio", any_case), ("anyio-trio", any_case)]:
    hdr(lib)
    for kind in ["event", "lock", "qget", "qput"]:
        pats = [RUNNERS[lib](fn, kind) for _ in range(5)]
        print(f"  {kind:6s}: " + " | ".join(pats))

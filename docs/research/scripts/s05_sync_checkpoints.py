"""Item 5: Event / Lock / Queue. Do fast paths (wait on already-set Event,
acquire free Lock, get from non-empty queue, put into non-full queue) yield to
other tasks? Task A does the op 3x; task B logs and sleep(0)s 3x.
Contiguous A0 A1 A2 => no checkpoint on the fast path. Run 5 times (trio randomizes)."""
import asyncio, time
import uvloop, trio, curio, anyio
from common import RUNNERS, hdr, task_group

def pattern(log): return " ".join(log)

async def hold(lock):
    async with lock: pass

def fast_paths(ev, lock, get, put):
    """Each kind of fast path as op(i), given a set Event, a free Lock and a queue's get/put."""
    return {"event": lambda i: ev.wait(), "lock": lambda i: hold(lock),
            "qget": lambda i: get(), "qput": put}

def players(op, sleep, log):
    """A does op(i) 3x; B logs and sleep(0)s 3x. Both write to log."""
    async def A():
        for i in range(3):
            await op(i)
            log.append(f"A{i}")
    async def B():
        for i in range(3): log.append(f"B{i}"); await sleep(0)
    return A, B

# ---------- asyncio ----------
async def a_case(kind):
    log = []
    ev = asyncio.Event(); ev.set(); lock = asyncio.Lock(); q = asyncio.Queue()
    for i in range(3): q.put_nowait(i)
    A, B = players(fast_paths(ev, lock, q.get, q.put)[kind], asyncio.sleep, log)
    await asyncio.gather(A(), B())
    return pattern(log)

# ---------- trio and anyio (memory channel / memory object stream) ----------
async def scoped_case(lib, kind):
    log = []
    ev = lib.Event(); ev.set(); lock = lib.Lock()
    s, r = trio.open_memory_channel(10) if lib is trio else anyio.create_memory_object_stream(10)
    for i in range(3): s.send_nowait(i)
    A, B = players(fast_paths(ev, lock, r.receive, s.send)[kind], lib.sleep, log)
    async with task_group(lib) as n:
        n.start_soon(A); n.start_soon(B)
    s.close(); r.close()
    return pattern(log)

async def t_case(kind): return await scoped_case(trio, kind)
async def any_case(kind): return await scoped_case(anyio, kind)

# ---------- curio ----------
async def c_case(kind):
    log = []
    ev = curio.Event(); await ev.set(); lock = curio.Lock(); q = curio.Queue()
    for i in range(3): await q.put(i)
    A, B = players(fast_paths(ev, lock, q.get, q.put)[kind], curio.sleep, log)
    async with curio.TaskGroup() as g:
        await g.spawn(A); await g.spawn(B)
    return pattern(log)

for lib, fn in [("asyncio", a_case), ("uvloop", a_case), ("trio", t_case), ("curio", c_case),
                ("anyio-asyncio", any_case), ("anyio-trio", any_case)]:
    hdr(lib)
    for kind in ["event", "lock", "qget", "qput"]:
        pats = [RUNNERS[lib](fn, kind) for _ in range(5)]
        print(f"  {kind:6s}: " + " | ".join(pats))

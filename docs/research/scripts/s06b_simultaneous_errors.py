"""Item 6 addendum: both failing children wake from the SAME Event (deterministic
'simultaneous' failure) while a sibling sleeps 1s. 5 runs each."""
import asyncio, time, logging
import trio, curio, anyio
from common import RUNNERS, task_group
logging.basicConfig(level=logging.CRITICAL)

def describe(e):
    if isinstance(e, BaseExceptionGroup):
        return f"{type(e).__name__}({e.message!r}, {list(e.exceptions)!r})"
    return repr(e)

def failing_children(ev):
    async def c1(): await ev.wait(); raise ValueError("a")
    async def c2(): await ev.wait(); raise TypeError("b")
    return c1, c2

async def a_tg():
    ev = asyncio.Event(); c1, c2 = failing_children(ev)
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(c1()); tg.create_task(c2()); tg.create_task(asyncio.sleep(1))
            await asyncio.sleep(0.01); ev.set()
    except BaseException as e: return describe(e)

async def scoped(lib):
    """trio's nursery and anyio's task group."""
    ev = lib.Event(); c1, c2 = failing_children(ev)
    try:
        async with task_group(lib) as n:
            n.start_soon(c1); n.start_soon(c2); n.start_soon(lib.sleep, 1)
            await lib.sleep(0.01); ev.set()
    except BaseException as e: return describe(e)

async def t_n(): return await scoped(trio)
async def any_tg(): return await scoped(anyio)

async def c_g():
    ev = curio.Event(); c1, c2 = failing_children(ev)
    async with curio.TaskGroup() as g:
        await g.spawn(c1); await g.spawn(c2); await g.spawn(curio.sleep, 1)
        await curio.sleep(0.01); await ev.set()
    return f"no raise; g.exceptions={g.exceptions!r}"

for lib, fn in [("asyncio", a_tg), ("uvloop", a_tg), ("trio", t_n), ("curio", c_g),
                ("anyio-asyncio", any_tg), ("anyio-trio", any_tg)]:
    print(f"{lib:14s}", " | ".join(RUNNERS[lib](fn) for _ in range(5)))

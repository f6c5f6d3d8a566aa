"""Item 6 addendum: both failing children wake from the SAME Event (deterministic
'simultaneous' failure) while a sibling sleeps 1s. 5 runs each."""
import asyncio, time, logging
import trio, curio, anyio
from common import RUNNERS
logging.basicConfig(level=logging.CRITICAL)

def describe(e):
    if isinstance(e, BaseExceptionGroup):
        return f"{type(e).__name__}({e.message!r}, {list(e.exceptions)!r})"
    return repr(e)

async def a_tg():
    ev = asyncio.Event()
    async def c1(): await ev.wait(); raise ValueError("a")
    async def c2(): await ev.wait(); raise TypeError("b")
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(c1()); tg.create_task(c2()); tg.create_task(asyncio.sleep(1))
            await asyncio.sleep(0.01); ev.set()
    except BaseException as e: return describe(e)

async def t_n():
    ev = trio.Event()
    async def c1(): await ev.wait(); raise ValueError("a")
    async def c2(): await ev.wait(); raise TypeError("b")
    try:
        async with trio.open_nursery() as n:
            n.start_soon(c1); n.start_soon(c2); n.start_soon(trio.sleep, 1)
            await trio.sleep(0.01); ev.set()
    except BaseException as e: return describe(e)

async def c_g():
    ev = curio.Event()
    async def c1(): await ev.wait(); raise ValueError("a")
    async def c2(): await ev.wait(); raise TypeError("b")
    async with curio.TaskGroup() as g:
        await g.spawn(c1); await g.spawn(c2); await g.spawn(curio.sleep, 1)
        await curio.sleep(0.01); await ev.set()
    return f"no raise; g.exceptions={g.exceptions!r}"

async def any_tg():
    ev = anyio.Event()
    async def c1(): await ev.wait(); raise ValueError("a")
    async def c2(): await ev.wait(); raise TypeError("b")
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(c1); tg.start_soon(c2); tg.start_soon(anyio.sleep, 1)
            await anyio.sleep(0.01); ev.set()
    except BaseException as e: return describe(e)

for lib, fn in [("asyncio", a_tg), ("uvloop", a_tg), ("trio", t_n), ("curio", c_g),
                ("anyio-asyncio", any_tg), ("anyio-trio", any_tg)]:
    print(f"{lib:14s}", " | ".join(RUNNERS[lib](fn) for _ in range(5)))

"""Item 6: two children raise (ValueError('a'), TypeError('b'), both after 10ms) while
a sibling sleeps 1s. What does the parent see? Is the sibling cancelled? How long
does the parent wait?"""
import asyncio, functools, time, logging
import uvloop, trio, curio, anyio
from common import RUNNERS, hdr, task_group
logging.basicConfig(level=logging.CRITICAL)   # silence curio 'Task Crash' log.error for readability

def describe(e):
    if isinstance(e, BaseExceptionGroup):
        return f"{type(e).__name__}({e.message!r}, {list(e.exceptions)!r})"
    return repr(e)

def mk(sleep, state):
    async def c1(): await sleep(0.01); raise ValueError("a")
    async def c2(): await sleep(0.01); raise TypeError("b")
    async def sib():
        try: await sleep(1); state["sibling"] = "completed"; return "sib-result"
        except BaseException as e: state["sibling"] = f"got {type(e).__name__}"; raise
    return c1, c2, sib

async def a_gather(return_exceptions):
    st = {}; c1, c2, sib = mk(asyncio.sleep, st); t0 = time.perf_counter()
    try:
        r = await asyncio.gather(c1(), c2(), sib(), return_exceptions=return_exceptions)
        res = f"returned {r!r}"
    except BaseException as e: res = f"raised {describe(e)}"
    res += f" after {time.perf_counter()-t0:.3f}s; sibling state at that moment: {st.get('sibling', 'still running')}"
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    res += f"; other live tasks: {len(others)}"
    for t in others: t.cancel()
    return res

async def a_gather_default(): return await a_gather(False)
async def a_gather_retexc(): return await a_gather(True)

async def in_group(sleep, group, exited="no exception"):
    """Run c1, c2 and the sibling through group(c1, c2, sib), which starts them in one
    task group and returns once the group has exited (curio's returns what its group holds)."""
    st = {}; c1, c2, sib = mk(sleep, st); t0 = time.perf_counter(); held = ""
    try: held = await group(c1, c2, sib) or ""; res = exited
    except BaseException as e: res = f"raised {describe(e)}"
    return res + f" after {time.perf_counter()-t0:.3f}s; sibling: {st.get('sibling')}" + held

async def a_group(*children):
    async with asyncio.TaskGroup() as tg:
        for c in children: tg.create_task(c())

async def scoped_group(lib, *children):      # trio's nursery, anyio's task group
    async with task_group(lib) as n:
        for c in children: n.start_soon(c)

async def c_group(*children):
    async with curio.TaskGroup() as g:
        for c in children: await g.spawn(c)
    res = ""
    try: res += f"; g.result={g.result!r}"
    except BaseException as e: res += f"; g.result raises {e!r}"
    try: res += f"; g.exception={g.exception!r}"
    except BaseException as e: res += f"; g.exception raises {e!r}"
    res += f"; g.exceptions={g.exceptions!r}"
    try: res += f"; g.results={g.results!r}"
    except BaseException as e: res += f"; g.results raises {e!r}"
    return res

async def a_taskgroup(): return await in_group(asyncio.sleep, a_group)
async def t_nursery(): return await in_group(trio.sleep, functools.partial(scoped_group, trio))
async def c_taskgroup(): return await in_group(curio.sleep, c_group, exited="async-with exited WITHOUT exception")
async def any_tg(): return await in_group(anyio.sleep, functools.partial(scoped_group, anyio))

async def any_gather():
    st = {}; c1, c2, sib = mk(anyio.sleep, st); t0 = time.perf_counter()
    try: res = f"returned {await anyio.gather(c1(), c2(), sib())!r}"
    except BaseException as e: res = f"raised {describe(e)}"
    return res + f" after {time.perf_counter()-t0:.3f}s; sibling: {st.get('sibling')}"

for lib, label, fn in [
    ("asyncio", "gather() default", a_gather_default),
    ("asyncio", "gather(return_exceptions=True)", a_gather_retexc),
    ("asyncio", "TaskGroup", a_taskgroup),
    ("uvloop", "gather() default", a_gather_default),
    ("uvloop", "TaskGroup", a_taskgroup),
    ("trio", "nursery", t_nursery),
    ("curio", "TaskGroup() (wait=all)", c_taskgroup),
    ("anyio-asyncio", "task group", any_tg),
    ("anyio-asyncio", "anyio.gather (4.14+)", any_gather),
    ("anyio-trio", "task group", any_tg),
    ("anyio-trio", "anyio.gather (4.14+)", any_gather),
]:
    print(f"{lib:14s} {label:32s} -> {RUNNERS[lib](fn)}")

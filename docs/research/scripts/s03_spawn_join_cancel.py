"""Item 3: spawn a child, join it (result / exception); cancel a child and observe
exception type inside, whether finally runs, and what the joiner sees."""
import asyncio
import uvloop, trio, curio, anyio
from common import RUNNERS, hdr

async def ok_child(sleep):   await sleep(0.01); return 42
async def bad_child(sleep):  await sleep(0.01); raise ValueError("boom")

async def watched_sleep(sleep, seen):
    """The cancelled child's body: sleeps 10s, records the exception it gets and that finally ran."""
    try: await sleep(10)
    except BaseException as e: seen["inside"] = repr(e); seen["isExc"] = isinstance(e, Exception); raise
    finally: seen["finally"] = True

# ---------- asyncio / uvloop ----------
async def a_main():
    out = []
    t = asyncio.create_task(ok_child(asyncio.sleep))
    out.append(f"join ok -> {await t!r}")
    t = asyncio.create_task(bad_child(asyncio.sleep))
    try: await t
    except Exception as e: out.append(f"join bad -> raises {e!r} (same object as t.exception(): {e is t.exception()})")
    seen = {}
    t = asyncio.create_task(watched_sleep(asyncio.sleep, seen)); await asyncio.sleep(0)
    t.cancel("why")
    try: await t
    except BaseException as e: seen["joiner"] = repr(e)
    seen["t.cancelled()"] = t.cancelled()
    out.append(f"cancel: {seen}")
    return out

# ---------- trio ----------
async def t_main():
    out = []
    results = {}
    async def store(key, coro_fn, *a):
        results[key] = await coro_fn(*a)      # idiomatic: write result into a shared container
    async with trio.open_nursery() as n:
        n.start_soon(store, "ok", ok_child, trio.sleep)
    out.append(f"join ok via nursery exit + dict -> {results['ok']!r}")
    try:
        async with trio.open_nursery() as n:
            n.start_soon(bad_child, trio.sleep)
    except BaseException as e:
        out.append(f"join bad -> nursery raises {type(e).__name__}: {e!r}; sub={e.exceptions!r}")
    # cancel one child: give each child its own CancelScope, hand it back via task_status
    seen = {}
    async def victim(task_status=trio.TASK_STATUS_IGNORED):
        with trio.CancelScope() as cs:
            task_status.started(cs)
            await watched_sleep(trio.sleep, seen)
        seen["after scope: cs.cancelled_caught"] = cs.cancelled_caught
        return "victim-return"
    async with trio.open_nursery() as n:
        cs = await n.start(victim)
        cs.cancel()
    seen["nursery exit"] = "normal (Cancelled absorbed by the child's own scope)"
    out.append(f"cancel: {seen}")
    return out

# ---------- curio ----------
async def c_main():
    out = []
    t = await curio.spawn(ok_child, curio.sleep)
    out.append(f"join ok -> {await t.join()!r}")
    t = await curio.spawn(bad_child, curio.sleep)
    try: await t.join()
    except BaseException as e:
        out.append(f"join bad -> raises {e!r}, __cause__={e.__cause__!r}; t.exception={t.exception!r}")
    seen = {}
    t = await curio.spawn(watched_sleep, curio.sleep, seen); await curio.sleep(0)
    r = await t.cancel()       # blocking=True by default: waits for termination
    seen["t.cancel() returned"] = r
    seen["t.cancelled"] = t.cancelled
    seen["t.exception"] = repr(t.exception)
    try: await t.join()
    except BaseException as e: seen["join after cancel"] = f"{e!r} cause={e.__cause__!r}"
    out.append(f"cancel: {seen}")
    return out

# ---------- anyio (4.14+ TaskHandle) ----------
async def any_main():
    out = []
    async with anyio.create_task_group() as tg:
        h = tg.start_soon(ok_child, anyio.sleep)      # anyio>=4.14 returns TaskHandle
        out.append(f"start_soon returned {type(h).__name__}")
        out.append(f"join ok -> await handle = {await h!r}")
    try:
        async with anyio.create_task_group() as tg:
            h = tg.start_soon(bad_child, anyio.sleep)
            try: await h
            except BaseException as e: out.append(f"await handle of failing child -> {e!r} cause={e.__cause__!r}")
    except BaseException as e:
        out.append(f"... and task group then raises {type(e).__name__}: {e!r}")
    seen = {}
    async with anyio.create_task_group() as tg:
        h = tg.start_soon(watched_sleep, anyio.sleep, seen); await anyio.sleep(0)
        h.cancel()
        seen["status right after cancel()"] = h.status.name
        try: await h
        except BaseException as e: seen["joiner (await handle)"] = f"{e!r} cause={e.__cause__!r}"
        seen["status"] = h.status.name
    seen["task group exit"] = "normal"
    out.append(f"cancel: {seen}")
    # classic (pre-4.14) pattern still works: per-child CancelScope via tg.start
    async def victim2(task_status=anyio.TASK_STATUS_IGNORED):
        with anyio.CancelScope() as cs:
            task_status.started(cs); await anyio.sleep(10)
    async with anyio.create_task_group() as tg:
        cs = await tg.start(victim2); cs.cancel()
    out.append("classic CancelScope+tg.start pattern: ok")
    return out

for name, fn in [("asyncio", a_main), ("uvloop", a_main), ("trio", t_main), ("curio", c_main),
                 ("anyio-asyncio", any_main), ("anyio-trio", any_main)]:
    hdr(name)
    for line in RUNNERS[name](fn): print("  ", line)

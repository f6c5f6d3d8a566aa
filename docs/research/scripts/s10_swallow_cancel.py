"""Item 10: child catches its cancellation (does not re-raise) and then awaits again
(twice). What happens? What does the joiner see?"""
import asyncio, time, logging
import uvloop, trio, curio, anyio
from common import RUNNERS, hdr
logging.basicConfig(level=logging.CRITICAL)

def n(e): return type(e).__name__

def mkchild(sleep, cancelled_exc, rec, extra=None):
    async def child():
        try: await sleep(10)
        except cancelled_exc as e: rec["1st"] = f"caught {n(e)} (swallowed)"
        if extra: rec["state after catch"] = extra()
        for k in ("2nd await", "3rd await"):
            try: await sleep(0.01); rec[k] = "completed normally"
            except cancelled_exc as e: rec[k] = f"raised {n(e)} again"
        return "child-finished"
    return child

# ---------------- asyncio ----------------
async def a_main():
    rec = {}
    ct = lambda: f"cancelling()={asyncio.current_task().cancelling()}"
    t = asyncio.create_task(mkchild(asyncio.sleep, asyncio.CancelledError, rec, ct)())
    await asyncio.sleep(0); t.cancel()
    try: rec["joiner"] = f"got result {await t!r}; t.cancelled()={t.cancelled()}"
    except BaseException as e: rec["joiner"] = f"raised {n(e)}"
    return rec

async def a_uncancel_demo():
    """Correct asyncio idiom to swallow: call uncancel(); shows effect on a later asyncio.timeout."""
    rec = {}
    async def child(do_uncancel):
        try: await asyncio.sleep(10)
        except asyncio.CancelledError:
            if do_uncancel: asyncio.current_task().uncancel()
        try:
            async with asyncio.timeout(0.01): await asyncio.sleep(1)
            return "timeout block finished??"
        except TimeoutError: return f"TimeoutError ok (cancelling={asyncio.current_task().cancelling()})"
        except asyncio.CancelledError: return "CancelledError leaked from asyncio.timeout"
    for u in (False, True):
        t = asyncio.create_task(child(u)); await asyncio.sleep(0); t.cancel()
        try: rec[f"uncancel={u}"] = await t
        except BaseException as e: rec[f"uncancel={u}"] = f"joiner raised {n(e)}"
    # second cancel on a task that swallowed the first:
    async def stubborn():
        try: await asyncio.sleep(10)
        except asyncio.CancelledError: pass
        try: await asyncio.sleep(10); return "2nd sleep finished"
        except asyncio.CancelledError: return "2nd cancel() delivered"
    t = asyncio.create_task(stubborn()); await asyncio.sleep(0); t.cancel(); await asyncio.sleep(0.01)
    t.cancel(); rec["second task.cancel()"] = await t
    return rec

# ---------------- trio ----------------
async def t_main():
    rec = {}
    async with trio.open_nursery() as nur:
        cs = trio.CancelScope()
        async def wrapper():
            with cs:
                rec["child returned"] = await mkchild(trio.sleep, trio.Cancelled, rec)()
        nur.start_soon(wrapper); await trio.sleep(0.001); t0 = time.perf_counter(); cs.cancel()
    rec["joiner"] = f"nursery exited normally after {time.perf_counter()-t0:.3f}s; cs.cancelled_caught={cs.cancelled_caught}"
    async def shielded():
        with trio.CancelScope() as s:
            s.cancel()
            try: await trio.sleep(1)
            except trio.Cancelled:
                with trio.CancelScope(shield=True): await trio.sleep(0.005)
                return "cleanup await inside shield=True scope completed"
    rec["shield idiom"] = await shielded()
    return rec

# ---------------- curio ----------------
async def c_main():
    rec = {}
    t = await curio.spawn(mkchild(curio.sleep, curio.CancelledError, rec))
    await curio.sleep(0.001); t0 = time.perf_counter()
    await t.cancel()   # blocking: waits until task terminates
    rec["joiner"] = f"t.cancel() returned after {time.perf_counter()-t0:.3f}s; t.cancelled={t.cancelled}; t.result={t.result!r}"
    # second cancel request on a task that swallowed the first:
    async def stubborn():
        try: await curio.sleep(10)
        except curio.CancelledError: pass
        await curio.sleep(0.2); return "ran to completion"
    t = await curio.spawn(stubborn); await curio.sleep(0.001)
    await t.cancel(blocking=False); await curio.sleep(0.01)
    t0 = time.perf_counter(); await t.cancel()   # 2nd cancel: no-op because t.cancelled already True
    rec["second cancel()"] = f"returned after {time.perf_counter()-t0:.3f}s (waited for natural end); result={t.result!r}"
    return rec

# ---------------- anyio ----------------
async def any_main():
    rec = {}; exc = anyio.get_cancelled_exc_class()
    async with anyio.create_task_group() as tg:
        h = tg.start_soon(mkchild(anyio.sleep, exc, rec)); await anyio.sleep(0.001); h.cancel()
        try: rec["joiner"] = f"await handle -> {await h!r}, status={h.status.name}"
        except BaseException as e: rec["joiner"] = f"await handle raised {n(e)}, status={h.status.name}"
    return rec

for lib, fn in [("asyncio", a_main), ("uvloop", a_main), ("trio", t_main), ("curio", c_main),
                ("anyio-asyncio", any_main), ("anyio-trio", any_main)]:
    hdr(lib)
    for k, v in RUNNERS[lib](fn).items(): print(f"   {k}: {v}")
hdr("asyncio uncancel demo")
for k, v in RUNNERS["asyncio"](a_uncancel_demo).items(): print(f"   {k}: {v}")

"""Item 8: contextvars. Parent sets var='before', spawns child, then sets 'after'
(before the child has run). Child records what it sees at start, then sets
'child' ; parent records what it sees after joining. Also a variant where the
parent changes the var while the child is already running (child re-reads after sleep)."""
import asyncio, contextvars
import uvloop, trio, curio, anyio
from curio.task import ContextTask
from common import RUNNERS, task_group

var = contextvars.ContextVar("var", default="unset")

def mkchild(sleep, rec):
    async def child():
        rec["child sees at start"] = var.get()
        await sleep(0.02)
        rec["child sees after parent changed it mid-run"] = var.get()
        var.set("child")
    return child

async def parent_changes_var(sleep):
    """What the parent does once the child is spawned: 'after' at once, 'mid' 10 ms later."""
    var.set("after")
    await sleep(0.01); var.set("mid")

def after_join(rec):
    rec["parent sees after join"] = var.get(); return rec

async def a_main():
    rec = {}; var.set("before")
    t = asyncio.create_task(mkchild(asyncio.sleep, rec)())
    await parent_changes_var(asyncio.sleep)
    await t
    return after_join(rec)

async def scoped_main(lib):        # trio's nursery, anyio's task group
    rec = {}; var.set("before")
    async with task_group(lib) as n:
        n.start_soon(mkchild(lib.sleep, rec))
        await parent_changes_var(lib.sleep)
    return after_join(rec)

async def t_main(): return await scoped_main(trio)
async def any_main(): return await scoped_main(anyio)

async def c_main():
    rec = {}; var.set("before")
    t = await curio.spawn(mkchild(curio.sleep, rec))
    await parent_changes_var(curio.sleep)
    await t.join()
    return after_join(rec)

def run_curio_ctx(fn):
    with curio.Kernel(taskcls=ContextTask) as k:
        return k.run(fn)

for lib, fn in [("asyncio", a_main), ("uvloop", a_main), ("trio", t_main), ("curio", c_main),
                ("anyio-asyncio", any_main), ("anyio-trio", any_main)]:
    var.set("unset")
    print(f"{lib:22s}", RUNNERS[lib](fn))
var.set("unset")
print(f"{'curio (ContextTask)':22s}", run_curio_ctx(c_main))
print("value in the *calling thread* after curio.run (default Task):", end=" ")
var.set("unset"); curio.run(c_main); print(var.get())
print("value in the calling thread after asyncio.run:", end=" ")
var.set("unset"); asyncio.run(a_main()); print(var.get())

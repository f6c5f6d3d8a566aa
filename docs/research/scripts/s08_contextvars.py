"""Item 8: contextvars. Parent sets var='before', spawns child, then sets 'after'
(before the child has run). Child records what it sees at start, then sets
'child' ; parent records what it sees after joining. Also a variant where the
parent changes the var while the child is already running (child re-reads after sleep)."""
import asyncio, contextvars
import uvloop, trio, curio, anyio
from curio.task import ContextTask
from common import RUNNERS

var = contextvars.ContextVar("var", default="unset")

def mkchild(sleep, rec):
    async def child():
        rec["child sees at start"] = var.get()
        await sleep(0.02)
        rec["child sees after parent changed it mid-run"] = var.get()
        var.set("child")
    return child

async def a_main():
    rec = {}; var.set("before")
    t = asyncio.create_task(mkchild(asyncio.sleep, rec)())
    var.set("after")
    await asyncio.sleep(0.01); var.set("mid")
    await t
    rec["parent sees after join"] = var.get(); return rec

async def t_main():
    rec = {}; var.set("before")
    async with trio.open_nursery() as n:
        n.start_soon(mkchild(trio.sleep, rec))
        var.set("after")
        await trio.sleep(0.01); var.set("mid")
    rec["parent sees after join"] = var.get(); return rec

async def c_main():
    rec = {}; var.set("before")
    t = await curio.spawn(mkchild(curio.sleep, rec))
    var.set("after")
    await curio.sleep(0.01); var.set("mid")
    await t.join()
    rec["parent sees after join"] = var.get(); return rec

async def any_main():
    rec = {}; var.set("before")
    async with anyio.create_task_group() as tg:
        tg.start_soon(mkchild(anyio.sleep, rec))
        var.set("after")
        await anyio.sleep(0.01); var.set("mid")
    rec["parent sees after join"] = var.get(); return rec

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

"""Item 11: ways to run a top-level coroutine on each library; verify loop type."""
import asyncio, sys, warnings
import uvloop, trio, trio.testing, curio, anyio, sniffio
warnings.simplefilter("always")

async def which():
    lib = sniffio.current_async_library()
    if lib == "asyncio": return f"asyncio loop={type(asyncio.get_running_loop()).__module__}.{type(asyncio.get_running_loop()).__name__}"
    return lib

async def which_trio_time(): 
    t0 = trio.current_time(); await trio.sleep(3600); return f"trio MockClock: slept 3600s virtual, elapsed {trio.current_time()-t0}"

def show(label, f):
    try: print(f"{label:70s} -> {f()}")
    except BaseException as e: print(f"{label:70s} -> raised {type(e).__name__}: {e}")

show("asyncio.run(main())", lambda: asyncio.run(which()))
show("asyncio.run(main(), loop_factory=uvloop.new_event_loop)  [3.12+ only]",
     lambda: asyncio.run(which(), loop_factory=uvloop.new_event_loop))
def runner():
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as r: return r.run(which())
show("asyncio.Runner(loop_factory=uvloop.new_event_loop).run(main())", runner)
show("uvloop.run(main())", lambda: uvloop.run(which()))
def install():
    uvloop.install(); r = asyncio.run(which()); asyncio.set_event_loop_policy(None); return r
show("uvloop.install(); asyncio.run(main())  [deprecated path]", install)
show("trio.run(main)", lambda: trio.run(which))
show("trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))",
     lambda: trio.run(which_trio_time, clock=trio.testing.MockClock(autojump_threshold=0)))
show("curio.run(main)", lambda: curio.run(which))
def kern():
    with curio.Kernel() as k:      # reusable kernel; shuts down on __exit__
        return [k.run(which), k.run(which)]
show("with curio.Kernel() as k: k.run(main) x2", kern)
show("anyio.run(main)  (default backend)", lambda: anyio.run(which))
show("anyio.run(main, backend='trio')", lambda: anyio.run(which, backend="trio"))
show("anyio.run(main, backend='asyncio', backend_options={'use_uvloop': True})",
     lambda: anyio.run(which, backend="asyncio", backend_options={"use_uvloop": True}))
show("anyio.run(main, backend_options={'loop_factory': uvloop.new_event_loop})",
     lambda: anyio.run(which, backend_options={"loop_factory": uvloop.new_event_loop}))

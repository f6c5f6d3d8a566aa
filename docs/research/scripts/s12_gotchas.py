"""Item 12: deprecation warnings / gotchas probes (run with warnings=always)."""
import asyncio, gc, logging, time, warnings, io
import uvloop, trio, curio, anyio
warnings.simplefilter("always")
logging.basicConfig(level=logging.WARNING, format="LOG %(levelname)s %(name)s: %(message)s")

def probe(label, f):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try: r = f()
        except BaseException as e: r = f"raised {type(e).__name__}: {e}"
        gc.collect()
    ws = [f"{x.category.__name__}: {str(x.message)[:110]}" for x in w]
    print(f"* {label}\n    result: {r}\n    warnings: {ws or 'none'}")

# trio: strict_exception_groups=False is deprecated
async def t_one_err():
    async with trio.open_nursery() as n:
        async def boom(): raise ValueError("x")
        n.start_soon(boom)
probe("trio.run(..., strict_exception_groups=False)", lambda: trio.run(t_one_err, strict_exception_groups=False))
probe("hasattr(trio, 'MultiError')", lambda: hasattr(trio, "MultiError"))

# anyio: unclosed memory object streams -> ResourceWarning at GC
async def any_unclosed():
    s, r = anyio.create_memory_object_stream(1); s.send_nowait(1); return await r.receive()
probe("anyio memory stream never closed", lambda: anyio.run(any_unclosed))
async def _mk_stream_item_type():
    s, r = anyio.create_memory_object_stream(1, item_type=int); s.close(); r.close(); return "ok"
probe("anyio.create_memory_object_stream(item_type=int) (deprecated arg)",
      lambda: anyio.run(_mk_stream_item_type))

# anyio: move_on_after timer starts at call time, not at 'with' entry (documented, changes in 5.0)
async def any_move_on_timing():
    scope = anyio.move_on_after(0.1)
    await anyio.sleep(0.08)
    t0 = time.perf_counter()
    with scope: await anyio.sleep(1)
    return f"body ran {time.perf_counter()-t0:.3f}s under a 0.1s move_on_after created 80ms earlier"
probe("anyio.move_on_after created before entering", lambda: anyio.run(any_move_on_timing))
async def any_fail_after_timing():
    cm = anyio.fail_after(0.1)
    await anyio.sleep(0.08); t0 = time.perf_counter()
    try:
        with cm: await anyio.sleep(1)
    except TimeoutError: pass
    return f"body ran {time.perf_counter()-t0:.3f}s under a 0.1s fail_after created 80ms earlier"
probe("anyio.fail_after created before entering", lambda: anyio.run(any_fail_after_timing))

# curio: logging noise: 'Task Crash' (ERROR) even if joined, 'never joined' (WARNING)
async def c_crash():
    async def bad(): raise ValueError("x")
    t = await curio.spawn(bad)
    try: await t.join()
    except curio.TaskError: pass
    async def fine(): return 1
    await curio.spawn(fine); await curio.sleep(0.01)   # never joined
probe("curio crash joined + task never joined (see LOG lines above/below)", lambda: curio.run(c_crash))

# curio: ignore_after(..., timeout_result=) in the *function* form
async def c_timeout_result():
    a = await curio.ignore_after(0.01, curio.sleep, 1, timeout_result="TO")
    async with curio.ignore_after(0.01, timeout_result="TO") as cm: await curio.sleep(1)
    return f"function form -> {a!r}; context-manager form cm.result -> {cm.result!r}"
probe("curio.ignore_after timeout_result", lambda: curio.run(c_timeout_result))

# curio: Event.set() is a coroutine; calling it without await does nothing
async def c_event_set_noawait():
    ev = curio.Event(); coro = ev.set(); flag = ev.is_set(); coro.close(); return f"after ev.set() w/o await: is_set={flag}"
probe("curio Event.set() without await", lambda: curio.run(c_event_set_noawait))

# curio: TaskTimeout / TaskCancelled are BaseException (CancelledError base) -> 'except Exception' doesn't catch
probe("curio.TaskTimeout MRO", lambda: [c.__name__ for c in curio.TaskTimeout.__mro__])

# curio: timeout_after inner expiry not caught between inner and outer -> UncaughtTimeoutError at outer
async def c_uncaught():
    async with curio.timeout_after(1):
        async with curio.timeout_after(0.01): await curio.sleep(1)
probe("curio nested: inner TaskTimeout escaping to outer", lambda: curio.run(c_uncaught))

# asyncio 3.11: get_event_loop() outside a running loop
import subprocess, sys
def gel():
    p = subprocess.run([sys.executable, "-W", "always", "-c", "import asyncio; print(asyncio.get_event_loop())"], capture_output=True, text=True)
    return (p.stdout.strip(), p.stderr.strip()[-160:])
probe("fresh process: asyncio.get_event_loop() with no running loop (3.11.7)", gel)
probe("uvloop.install() on 3.11 (warns only on >=3.12 per source)", lambda: (uvloop.install(), asyncio.set_event_loop_policy(None)))

# trio clock has random offset -> not comparable with time.monotonic
async def _tdiff(): return trio.current_time() - time.monotonic()
probe("trio.current_time() - time.monotonic() in two runs",
      lambda: [round(trio.run(_tdiff), 1) for _ in range(2)])

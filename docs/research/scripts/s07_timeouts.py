"""Item 7: nested timeouts. Scenario 'inner fires' (inner=10ms, outer=1s) and
'outer fires' (inner=1s, outer=10ms). Body sleeps 10s. Records what the body sees,
what escapes the inner block (observed inside the outer block) and what escapes
the outer block (observed in the caller)."""
import asyncio, logging
import uvloop, trio, curio, anyio
from common import RUNNERS, hdr
logging.basicConfig(level=logging.CRITICAL)

def n(e): return "-" if e is None else f"{type(e).__module__}.{type(e).__name__}"

# ---------------- asyncio ----------------
async def a_nested(ti, to):
    seen = {}
    try:
        async with asyncio.timeout(to) as outer:
            try:
                async with asyncio.timeout(ti) as inner:
                    try: await asyncio.sleep(10)
                    except BaseException as e: seen["body"] = n(e); raise
            except BaseException as e: seen["escaped inner"] = n(e); raise
    except BaseException as e: seen["escaped outer"] = n(e)
    seen["inner.expired()"] = inner.expired(); seen["outer.expired()"] = outer.expired()
    seen["task.cancelling() after"] = asyncio.current_task().cancelling()
    return seen

async def a_waitfor():
    try: await asyncio.wait_for(asyncio.sleep(10), 0.01)
    except BaseException as e: return {"wait_for": n(e), "is builtins.TimeoutError": isinstance(e, TimeoutError), "asyncio.TimeoutError is TimeoutError": asyncio.TimeoutError is TimeoutError}

# ---------------- trio and anyio ----------------
async def scoped_nested(lib, ti, to, fail):
    seen = {}; mk = lib.fail_after if fail else lib.move_on_after
    try:
        with mk(to) as outer:
            try:
                with mk(ti) as inner:
                    try: await lib.sleep(10)
                    except BaseException as e: seen["body"] = n(e); raise
            except BaseException as e: seen["escaped inner"] = n(e); raise
    except BaseException as e: seen["escaped outer"] = n(e)
    seen["inner.cancelled_caught"] = inner.cancelled_caught; seen["outer.cancelled_caught"] = outer.cancelled_caught
    return seen

async def t_nested(ti, to, fail): return await scoped_nested(trio, ti, to, fail)
async def any_nested(ti, to, fail): return await scoped_nested(anyio, ti, to, fail)

# ---------------- curio ----------------
async def c_nested(ti, to, ignore):
    seen = {}; mk = curio.ignore_after if ignore else curio.timeout_after
    try:
        async with mk(to) as outer:
            try:
                async with mk(ti) as inner:
                    try: await curio.sleep(10)
                    except BaseException as e: seen["body"] = n(e); raise
            except BaseException as e: seen["escaped inner"] = n(e); raise
    except BaseException as e: seen["escaped outer"] = n(e)
    seen["inner.expired"] = inner.expired; seen["outer.expired"] = outer.expired
    if ignore: seen["inner.result/outer.result"] = (inner.result, outer.result)
    return seen

async def c_func_form():
    r1 = await curio.ignore_after(0.01, curio.sleep(10))
    r2 = await curio.ignore_after(0.01, curio.sleep, 10, timeout_result="TO")
    try: await curio.timeout_after(0.01, curio.sleep, 10); r3 = None
    except BaseException as e: r3 = n(e) + f" isinstance Exception={isinstance(e, Exception)}"
    return {"ignore_after(coro) ->": r1, "ignore_after(..., timeout_result='TO') ->": r2, "timeout_after raises": r3}

IN, OUT = (0.01, 1), (1, 0.01)
for lib, label, fn, args in [
    ("asyncio", "timeout() inner fires", a_nested, IN), ("asyncio", "timeout() outer fires", a_nested, OUT),
    ("asyncio", "wait_for", a_waitfor, ()),
    ("uvloop", "timeout() inner fires", a_nested, IN), ("uvloop", "timeout() outer fires", a_nested, OUT),
    ("trio", "fail_after inner fires", t_nested, IN + (True,)), ("trio", "fail_after outer fires", t_nested, OUT + (True,)),
    ("trio", "move_on_after inner fires", t_nested, IN + (False,)), ("trio", "move_on_after outer fires", t_nested, OUT + (False,)),
    ("curio", "timeout_after inner fires", c_nested, IN + (False,)), ("curio", "timeout_after outer fires", c_nested, OUT + (False,)),
    ("curio", "ignore_after inner fires", c_nested, IN + (True,)), ("curio", "ignore_after outer fires", c_nested, OUT + (True,)),
    ("curio", "function forms", c_func_form, ()),
    ("anyio-asyncio", "fail_after inner fires", any_nested, IN + (True,)), ("anyio-asyncio", "fail_after outer fires", any_nested, OUT + (True,)),
    ("anyio-asyncio", "move_on_after inner fires", any_nested, IN + (False,)), ("anyio-asyncio", "move_on_after outer fires", any_nested, OUT + (False,)),
    ("anyio-trio", "fail_after inner fires", any_nested, IN + (True,)), ("anyio-trio", "fail_after outer fires", any_nested, OUT + (True,)),
    ("anyio-trio", "move_on_after inner fires", any_nested, IN + (False,)), ("anyio-trio", "move_on_after outer fires", any_nested, OUT + (False,)),
]:
    print(f"{lib:14s} {label:28s} {RUNNERS[lib](fn, *args)}")

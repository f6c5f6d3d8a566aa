"""Shared runner helpers for loopbench peer research scripts."""
import asyncio, sys, warnings
import uvloop, trio, curio, anyio

LIBS = ["asyncio", "uvloop", "trio", "curio", "anyio-asyncio", "anyio-trio"]

def run_asyncio(fn, *a):
    return asyncio.run(fn(*a))

def run_uvloop(fn, *a):
    # Python 3.11: asyncio.run() has no loop_factory (3.12+); use Runner or uvloop.run
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as r:
        return r.run(fn(*a))

def run_trio(fn, *a):
    return trio.run(fn, *a)

def run_curio(fn, *a):
    return curio.run(fn, *a)

def run_anyio_asyncio(fn, *a):
    return anyio.run(fn, *a, backend="asyncio")

def run_anyio_trio(fn, *a):
    return anyio.run(fn, *a, backend="trio")

RUNNERS = {
    "asyncio": run_asyncio,
    "uvloop": run_uvloop,
    "trio": run_trio,
    "curio": run_curio,
    "anyio-asyncio": run_anyio_asyncio,
    "anyio-trio": run_anyio_trio,
}

def versions():
    import importlib.metadata as md
    out = {"python": sys.version.split()[0]}
    for p in ["uvloop", "trio", "curio", "anyio", "outcome", "sniffio"]:
        out[p] = md.version(p)
    return out

def task_group(lib):
    """trio's nursery or anyio's task group (lib is the trio or the anyio module).
    Both start children with start_soon and join them on exit, and the two libraries
    spell the rest alike (sleep, sleep_until, current_time, Event, move_on_after, ...),
    so a case written once against `lib` runs on either."""
    return trio.open_nursery() if lib is trio else anyio.create_task_group()

def hdr(s):
    print(f"\n=== {s} ===", flush=True)

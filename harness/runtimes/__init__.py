"""Every runtime the harness knows: ours (from ``impls.names()``) and the peers.

``factories()`` maps a runtime name to a zero-argument factory. Peers are imported
lazily, so a missing optional library (uvloop on Windows), or one that fails to
import on this interpreter (curio 1.6 on Python 3.12+), makes that one runtime
``Unavailable``, not the harness. Controls (``CONTROLS``, ``Runtime.control``) are
runtimes too, but no library is compared on them: they show what the harness's own
emulations cost on a loop whose real operations are known.
"""

from __future__ import annotations

import platform
from collections.abc import Callable

import impls

from .interface import Runtime, Unavailable

#: Peer runtimes: name -> "module:Class" inside harness.runtimes.
PEERS = {
    "asyncio": "asyncio_rt:AsyncioRuntime",
    "asyncio-eager": "asyncio_rt:AsyncioEagerRuntime",
    "uvloop": "asyncio_rt:UvloopRuntime",
    "trio": "trio_rt:TrioRuntime",
    "curio": "curio_rt:CurioRuntime",
    "anyio-asyncio": "anyio_rt:AnyioAsyncioRuntime",
    "anyio-trio": "anyio_rt:AnyioTrioRuntime",
    "tinyio": "tinyio_rt:TinyioRuntime",
    "rloop": "asyncio_rt:RloopRuntime",
}

#: More asyncio event loops to run as runtimes, with no adapter code: "NAME=module:factory"
#: entries separated by ";" (``loopbench run --asyncio-loop`` sets it, so every cell's
#: process sees it), and installed packages' ``loopbench.asyncio_loops`` entry points.
ASYNCIO_LOOPS_VAR = "LOOPBENCH_ASYNCIO_LOOPS"
ASYNCIO_LOOPS_GROUP = "loopbench.asyncio_loops"

#: Our loops hosting asyncio's Future and Task (``impls.asyncio_loop``) in the default
#: matrix; ``create("NAME+asyncio")`` makes one for any registered loop.
HOSTED = ("heap",)
HOSTED_SUFFIX = "+asyncio"

#: Controls: not libraries under comparison, but the harness's own emulations run on a
#: loop with the real operations (``Runtime.control``), so their cost shows apart.
CONTROLS = {
    "asyncio-emulated": "asyncio_emulated:AsyncioEmulatedRuntime",
}


def _peer_factory(spec: str) -> Callable[[], Runtime]:
    def make() -> Runtime:
        import importlib

        module_name, cls_name = spec.split(":")
        try:
            module = importlib.import_module(f"{__name__}.{module_name}")
        except ImportError as exc:
            raise Unavailable(f"cannot import the adapter {module_name}: {exc}") from exc
        except Exception as exc:        # a library that fails on this interpreter (curio 1.6 on 3.12+)
            raise Unavailable(f"cannot import the adapter {module_name} on Python {platform.python_version()}: "
                              f"{type(exc).__name__}: {exc}") from exc
        return getattr(module, cls_name)()
    return make


def _ours_factory(name: str) -> Callable[[], Runtime]:
    def make() -> Runtime:
        from .ours import OursRuntime
        return OursRuntime(name)
    return make


def _hosted_factory(impl: str) -> Callable[[], Runtime]:
    def make() -> Runtime:
        from .asyncio_rt import HostedRuntime
        return HostedRuntime(impl)
    return make


def _asyncio_loop_factory(name: str, spec: str) -> Callable[[], Runtime]:
    def make() -> Runtime:
        from .asyncio_rt import AsyncioLoopRuntime
        try:
            return AsyncioLoopRuntime(name, spec)
        except ValueError as exc:
            raise Unavailable(str(exc)) from exc
    return make


def asyncio_loops() -> dict[str, str]:
    """NAME -> "module:factory" for every asyncio loop named by entry point or ``ASYNCIO_LOOPS_VAR``."""
    import importlib.metadata
    import os

    found = {ep.name: ep.value for ep in importlib.metadata.entry_points(group=ASYNCIO_LOOPS_GROUP)}
    for item in filter(None, (part.strip() for part in os.environ.get(ASYNCIO_LOOPS_VAR, "").split(";"))):
        name, sep, spec = item.partition("=")
        if not sep or not name.strip() or ":" not in spec:
            raise ValueError(f"an asyncio loop is given as NAME=module:factory, not {item!r}")
        found[name.strip()] = spec.strip()
    return found


def parse_asyncio_loop(text: str) -> tuple[str, str]:
    """``"rl=rloop:new_event_loop"`` -> ``("rl", "rloop:new_event_loop")``, or ValueError."""
    name, sep, spec = text.partition("=")
    module, colon, attr = spec.partition(":")
    if not sep or not name.strip() or not colon or not module.strip() or not attr.strip():
        raise ValueError(f"--asyncio-loop takes NAME=module:factory (e.g. rl=rloop:new_event_loop), not {text!r}")
    return name.strip(), spec.strip()


def factories() -> dict[str, Callable[[], Runtime]]:
    """Our implementations first (registry order), then the peers, the asyncio loops named
    on the command line or by entry point, then the controls."""
    found: dict[str, Callable[[], Runtime]] = {name: _ours_factory(name) for name in impls.names()}
    for impl in HOSTED:
        if impl in found:
            found[impl + HOSTED_SUFFIX] = _hosted_factory(impl)
    for name, spec in PEERS.items():
        found.setdefault(name, _peer_factory(spec))
    for name, spec in asyncio_loops().items():
        found.setdefault(name, _asyncio_loop_factory(name, spec))
    for name, spec in CONTROLS.items():
        found.setdefault(name, _peer_factory(spec))
    return found


def names() -> list[str]:
    return list(factories())


def create(name: str) -> Runtime:
    """A runtime by name; raises ``Unavailable`` if its library cannot be used here."""
    known = factories()
    impl = name[:-len(HOSTED_SUFFIX)] if name.endswith(HOSTED_SUFFIX) else None
    if name not in known and impl in impls.names():
        return _hosted_factory(impl)()
    try:
        factory = known[name]
    except KeyError:
        raise KeyError(f"unknown runtime {name!r}; known: {', '.join(names())}") from None
    return factory()

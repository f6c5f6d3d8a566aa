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

from ..runtime import Runtime, Unavailable

#: Peer runtimes: name -> "module:Class" inside harness.runtimes.
PEERS = {
    "asyncio": "asyncio_rt:AsyncioRuntime",
    "asyncio-eager": "asyncio_rt:AsyncioEagerRuntime",
    "uvloop": "asyncio_rt:UvloopRuntime",
    "trio": "trio_rt:TrioRuntime",
    "curio": "curio_rt:CurioRuntime",
    "anyio-asyncio": "anyio_rt:AnyioAsyncioRuntime",
    "anyio-trio": "anyio_rt:AnyioTrioRuntime",
}

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


def factories() -> dict[str, Callable[[], Runtime]]:
    """Our implementations first (registry order), then the peers, then the controls."""
    found: dict[str, Callable[[], Runtime]] = {name: _ours_factory(name) for name in impls.names()}
    for name, spec in {**PEERS, **CONTROLS}.items():
        found.setdefault(name, _peer_factory(spec))
    return found


def names() -> list[str]:
    return list(factories())


def create(name: str) -> Runtime:
    """A runtime by name; raises ``Unavailable`` if its library cannot be used here."""
    try:
        factory = factories()[name]
    except KeyError:
        raise KeyError(f"unknown runtime {name!r}; known: {', '.join(names())}") from None
    return factory()

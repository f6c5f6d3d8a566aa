"""The registry: implementation names -> factories that make loops.

``names()`` lists them, ``create(name, clock=...)`` makes one. A factory is any
callable accepting ``clock=`` (a ``Clock`` or ``None``) and returning an object that
satisfies ``impls.protocol.EventLoop``: usually the loop class itself.

Three ways in, in this order:

1. the built-ins (list, heap, thread, trampoline), registered below;
2. installed packages, through the entry-point group ``loopbench.impls``::

       [project.entry-points."loopbench.impls"]
       mine = "my_package.my_module:MyLoop"

   discovered the first time the registry is read, so ``pip install`` is all it
   takes for a loop to appear in ``impls.names()``, the conformance kit and every
   harness run (``docs/extending.md``);
3. at run time, ``impls.register(name, factory)``.

A plugin that fails to load is reported with a warning naming it, and skipped: one
broken third-party package must not take the registry down with it. So is one named
like a built-in (``heap``) or like an implementation registered already: it is never
silently ignored, and never silently replaces the loop of that name.
"""

from __future__ import annotations

import importlib.metadata
import warnings
from typing import Any, Callable

from .clock import Clock, check_clock

Factory = Callable[..., Any]

ENTRY_POINT_GROUP = "loopbench.impls"

_factories: dict[str, Factory] = {}
_entry_points_loaded = False
#: The names ``_register_builtins`` gives: an entry point may not take them.
BUILTINS: tuple[str, ...] = ()


def register(name: str, factory: Factory, *, replace: bool = False) -> None:
    """Make ``factory`` available as ``name`` to ``create`` and to every harness run."""
    if not isinstance(name, str) or not name or not name.replace("-", "_").isidentifier():
        raise ValueError(f"implementation name must be a simple identifier, got {name!r}")
    if not callable(factory):
        raise TypeError(f"factory for {name!r} must be callable, got {factory!r}")
    if name in _factories and not replace and _factories[name] is not factory:
        raise ValueError(f"an implementation named {name!r} is already registered")
    _factories[name] = factory


def unregister(name: str) -> None:
    """Remove ``name`` from the registry (``KeyError`` if unknown)."""
    del _factories[name]


def load_entry_points() -> list[str]:
    """Register every implementation installed under ``loopbench.impls``; return their names."""
    global _entry_points_loaded
    _entry_points_loaded = True
    loaded = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        source = f"{ep.value!r}" + (f" (distribution {ep.dist.name})" if ep.dist is not None else "")
        if ep.name in BUILTINS:
            warnings.warn(f"loopbench: implementation {ep.name!r} from {source} is named like a built-in "
                          "loop; not loaded: give its entry point another name", RuntimeWarning, stacklevel=2)
            continue
        try:
            factory = ep.load()
        except Exception as exc:                   # a broken plugin must not break the registry
            warnings.warn(f"loopbench: cannot load implementation {ep.name!r} from {source}: "
                          f"{type(exc).__name__}: {exc}", RuntimeWarning, stacklevel=2)
            continue
        if ep.name in _factories:
            if _factories[ep.name] is not factory:  # the same entry point seen again is no news
                warnings.warn(f"loopbench: implementation {ep.name!r} from {source} is registered already; "
                              "not replaced: give its entry point another name", RuntimeWarning, stacklevel=2)
            continue
        try:
            register(ep.name, factory)
        except Exception as exc:
            warnings.warn(f"loopbench: cannot register implementation {ep.name!r} from {source}: "
                          f"{type(exc).__name__}: {exc}", RuntimeWarning, stacklevel=2)
            continue
        loaded.append(ep.name)
    return loaded


def _ensure_loaded() -> None:
    if not _entry_points_loaded:
        load_entry_points()


def names() -> list[str]:
    """Registered implementation names: built-ins first, then installed and registered ones."""
    _ensure_loaded()
    return list(_factories)


def create(name: str, *, clock: Clock | None = None) -> Any:
    """A new loop of implementation ``name``; ``clock=None`` means the real monotonic clock."""
    if clock is not None:
        check_clock(clock)                        # before any factory sees it
    _ensure_loaded()
    try:
        factory = _factories[name]
    except KeyError:
        raise ValueError(f"unknown implementation {name!r}; registered: {', '.join(names())}") from None
    return factory(clock=clock)


def _register_builtins() -> None:
    from .heap_loop import HeapLoop
    from .list_loop import ListLoop
    from .thread_loop import ThreadLoop
    from .trampoline_loop import TrampolineLoop

    global BUILTINS
    for cls in (ListLoop, HeapLoop, ThreadLoop, TrampolineLoop):
        register(cls.name, cls)
    BUILTINS = tuple(_factories)


_register_builtins()

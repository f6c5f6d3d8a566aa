"""The registry: implementation names -> factories that make loops.

``names()`` lists them, ``create(name, clock=...)`` makes one. The built-ins are
registered here; others register with ``register(name, factory)``. A factory is any
callable accepting ``clock=`` (a ``Clock`` or ``None``) and returning an object
that satisfies ``impls.protocol.EventLoop``: usually the loop class itself.
"""

from __future__ import annotations

from typing import Any, Callable

from .clock import Clock

Factory = Callable[..., Any]

_factories: dict[str, Factory] = {}


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


def names() -> list[str]:
    """Registered implementation names, built-ins first, in registration order."""
    return list(_factories)


def create(name: str, *, clock: Clock | None = None) -> Any:
    """A new loop of implementation ``name``; ``clock=None`` means the real monotonic clock."""
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

    for cls in (ListLoop, HeapLoop, ThreadLoop, TrampolineLoop):
        register(cls.name, cls)


_register_builtins()

"""Every runtime the harness knows: ours (from ``impls.names()``) and the peers.

``factories()`` maps a runtime name to a zero-argument factory. Peers are imported
lazily, so a missing optional library (uvloop on Windows), or one that fails to
import on this interpreter (curio 1.6 on Python 3.12+), makes that one runtime
``Unavailable``, not the harness. Controls (``CONTROLS``, ``Runtime.control``) are
runtimes too, but no library is compared on them: they show what the harness's own
emulations cost on a loop whose real operations are known.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import platform
import pkgutil
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import impls

from .interface import Runtime, Unavailable

#: The families a report groups runtimes by (one table each): our loops, the asyncio family,
#: and structured concurrency with the generator loops. A peer names its own.
FAMILIES = {"ours": "our loops", "asyncio": "the asyncio family",
            "structured": "structured concurrency and generators"}


@dataclass(frozen=True)
class Description:
    """A peer as its adapter module describes it (the module's ``PEERS`` literal)."""
    name: str
    adapter: str                      #: "module:Class" inside harness.runtimes
    family: str                       #: a key of ``FAMILIES``
    distribution: str | None          #: whose version is recorded (None: the standard library)
    about: tuple[str, ...] = ()       #: what it is known for, from its own documentation (the report's card)
    control: bool = False             #: not a library under comparison (``Runtime.control``)
    native_calls: dict = field(default_factory=dict, compare=False)   #: op -> the library call it must go through
    variants: dict = field(default_factory=dict, compare=False)       #: "NAME -O" -> about: measured again another way


def _literal_peers(path: str) -> dict:
    """The ``PEERS = {...}`` literal at the top level of a module's source, or {}."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=path)
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "PEERS"):
            return ast.literal_eval(node.value)
    return {}


@functools.lru_cache(maxsize=None)
def described() -> dict[str, Description]:
    """Every peer and control described by a module of this package, by name: the asyncio
    family first (asyncio, the reference, leading), then the others; modules in name order.

    Read from source, not imported: importing every library costs a quarter of a second
    per process, and one that fails to import (curio on 3.12+) must cost only its runtimes.
    """
    found: list[Description] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        spec = importlib.util.find_spec(f"{__name__}.{info.name}")
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            continue
        for name, entry in _literal_peers(spec.origin).items():
            if entry.get("family") not in FAMILIES:
                raise ValueError(f"{info.name}.py describes {name!r} with family {entry.get('family')!r}, "
                                 f"not one of {', '.join(FAMILIES)}")
            found.append(Description(name, f"{info.name}:{entry['adapter']}", entry["family"],
                                     entry.get("distribution"), tuple(entry.get("about") or ()),
                                     bool(entry.get("control")), dict(entry.get("native_calls") or {}),
                                     dict(entry.get("variants") or {})))
    order = list(FAMILIES)
    found.sort(key=lambda d: (d.control, order.index(d.family), d.name != REFERENCE))
    return {d.name: d for d in found}


REFERENCE = "asyncio"

#: Peer runtimes under comparison: name -> "module:Class" inside harness.runtimes.
PEERS = {name: d.adapter for name, d in described().items() if not d.control}
#: Controls: not libraries under comparison, but the harness's own emulations run on a
#: loop with the real operations (``Runtime.control``), so their cost shows apart.
CONTROLS = {name: d.adapter for name, d in described().items() if d.control}

#: More asyncio event loops to run as runtimes, with no adapter code: "NAME=module:factory"
#: entries separated by ";" (``loopbench run --asyncio-loop`` sets it, so every cell's
#: process sees it), and installed packages' ``loopbench.asyncio_loops`` entry points.
ASYNCIO_LOOPS_VAR = "LOOPBENCH_ASYNCIO_LOOPS"
ASYNCIO_LOOPS_GROUP = "loopbench.asyncio_loops"

#: Our loops hosting asyncio's Future and Task (``impls.asyncio_loop``) in the default
#: matrix; ``create("NAME+asyncio")`` makes one for any registered loop.
HOSTED = ("heap",)
HOSTED_SUFFIX = "+asyncio"

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


class AsyncioLoopError(ValueError):
    """An asyncio loop named in a way that cannot work: malformed, unsafe, taken, or given twice."""


#: An asyncio loop's name: it becomes a runtime name, a file name in reports and a table cell,
#: so letters, digits and ``_ . -`` only (no ``+``: "NAME+asyncio" names our hosted loops).
_LOOP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
#: A dotted Python name: the module and the factory of "module:factory".
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def parse_asyncio_loop(text: str, source: str = "--asyncio-loop") -> tuple[str, str]:
    """``"rl=rloop:new_event_loop"`` -> ``("rl", "rloop:new_event_loop")``, or ``AsyncioLoopError``
    (a ValueError) saying what is wrong: the form, a name outside the safe characters, or a
    module or factory that is not a dotted Python name."""
    name, sep, spec = text.partition("=")
    module, colon, attr = spec.partition(":")
    name, module, attr = name.strip(), module.strip(), attr.strip()
    if not sep or not name or not colon or not module or not attr:
        raise AsyncioLoopError(f"{source} takes NAME=module:factory (e.g. rl=rloop:new_event_loop), not {text!r}")
    if not _LOOP_NAME.fullmatch(name):
        raise AsyncioLoopError(f"{source}: the name {name!r} may hold only letters, digits, '_', '.' and '-' "
                               "(starting with a letter or digit)")
    for part, what in ((module, "module"), (attr, "factory")):
        if not _DOTTED.fullmatch(part):
            raise AsyncioLoopError(f"{source} {name}: the {what} {part!r} is not a dotted Python name")
    return name, f"{module}:{attr}"


def builtin_names() -> set[str]:
    """The runtime names an asyncio loop may not take: ours, ours hosting asyncio, peers, controls."""
    ours = impls.names()
    return {*ours, *(impl + HOSTED_SUFFIX for impl in ours), *PEERS, *CONTROLS}


def asyncio_loops() -> dict[str, str]:
    """NAME -> "module:factory" for every asyncio loop named by entry point or ``ASYNCIO_LOOPS_VAR``.

    ``AsyncioLoopError`` for a malformed entry of the variable, a name it gives twice, or a name
    that is already a runtime (it would silently measure the built-in). An entry point named
    like a runtime is skipped with a warning naming it (one installed package must not break
    every run).
    """
    import os

    taken = builtin_names()
    found: dict[str, str] = {}
    for name, value in _asyncio_loop_entry_points():
        if name in taken:
            warnings.warn(f"loopbench: the asyncio loop {name!r} (entry point {value!r} in "
                          f"{ASYNCIO_LOOPS_GROUP}) is named like a built-in runtime; ignored", RuntimeWarning,
                          stacklevel=2)
            continue
        found[name] = value
    given: set[str] = set()
    for item in filter(None, (part.strip() for part in os.environ.get(ASYNCIO_LOOPS_VAR, "").split(";"))):
        name, spec = parse_asyncio_loop(item, ASYNCIO_LOOPS_VAR)
        if name in taken:
            raise AsyncioLoopError(f"{ASYNCIO_LOOPS_VAR}: {name!r} is already a runtime; give the loop another name")
        if name in given:
            raise AsyncioLoopError(f"{ASYNCIO_LOOPS_VAR}: {name!r} is given twice")
        given.add(name)
        found[name] = spec
    return found


@functools.cache
def _asyncio_loop_entry_points() -> tuple[tuple[str, str], ...]:
    """(name, "module:factory") of the installed ``ASYNCIO_LOOPS_GROUP`` entry points, read once
    per process: the read scans every installed distribution's metadata (14 ms, twice per cell
    before), and a cell forked from a prefork server inherits the server's."""
    import importlib.metadata

    return tuple((ep.name, ep.value) for ep in importlib.metadata.entry_points(group=ASYNCIO_LOOPS_GROUP))


def check_asyncio_loop_importable(name: str, spec: str, source: str = "--asyncio-loop") -> None:
    """Import ``spec``'s module and find its factory; ``AsyncioLoopError`` naming what is missing."""
    import importlib

    module_name, _, attr = spec.partition(":")
    try:
        target = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise AsyncioLoopError(f"{source} {name}={spec}: no module named {exc.name or module_name!r} "
                               "(is it installed in this interpreter?)") from None
    except Exception as exc:
        raise AsyncioLoopError(f"{source} {name}={spec}: importing {module_name} failed: "
                               f"{type(exc).__name__}: {exc}") from None
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise AsyncioLoopError(f"{source} {name}={spec}: {module_name} has no attribute {attr!r}") from None
    if not callable(target):
        raise AsyncioLoopError(f"{source} {name}={spec}: {module_name}.{attr} is not callable")


def factories() -> dict[str, Callable[[], Runtime]]:
    """Our implementations first (registry order), then the peers, the asyncio loops named
    on the command line or by entry point, then the controls."""
    found: dict[str, Callable[[], Runtime]] = {}
    for name in impls.names():
        if name in PEERS or name in CONTROLS:      # it would measure the plugin under a peer's name
            warnings.warn(f"loopbench: implementation {name!r} is named like the runtime {name!r}; "
                          "not run: give its entry point another name", RuntimeWarning, stacklevel=2)
            continue
        found[name] = _ours_factory(name)
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

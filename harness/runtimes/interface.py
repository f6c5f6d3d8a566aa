"""The neutral runtime interface: what a scenario may ask of any event loop.

A *runtime* is something the harness can run a scenario on: one of our loops
(through the ``impls`` protocol) or a peer library (asyncio, uvloop, trio, curio,
anyio). Scenarios are ``async def`` functions that speak only to this interface, so
the *same* scenario code runs everywhere and differences in the traces are
differences between the loops, not between scenario versions.

Each operation maps to the library's own primitive where one exists ("native").
Where a library has no public equivalent, the adapter builds it from the library's
own primitives and says so ("emulated"): trio, curio and anyio have no ``call_at``, so
their adapters run one callback-service task. Where nothing honest maps, the adapter
raises :class:`Unsupported` and the cell's status is "unsupported", never a faked result.
``operations()`` gives, per operation, how it maps and a short label in the library's
terms (``notes``): the call behind a native op, what the harness built for an emulated
one, why one is unsupported. A *control* runtime (``control = True``) is not a library
under comparison: it runs the harness's emulations on a loop whose real operations are
known, so their cost can be told apart from a library's.

Contract of each operation (what an adapter must provide):

``run(main)``
    Create a fresh loop, run ``await main()`` to completion on it, close it, and
    return the result (or raise the exception ``main`` raised). Everything below
    is only valid inside ``run``.
``now()``
    The runtime's own clock, in seconds (only differences are meaningful: trio's
    clock has a random offset).
``sleep(seconds)``
    An awaitable: suspend the current task for ``seconds`` (0: yield to others).
``spawn(fn, *args) -> TaskRef``
    Start ``fn(*args)`` (an async function) as a concurrent task. Does not wait.
``join(ref)``
    Await the task: return its result, or raise its exception. If it was cancelled,
    raise :class:`Cancelled`.
``cancel(ref)``
    Ask the task to stop at its current await (does not wait for it).
``is_cancellation(exc)``
    True if ``exc`` is this runtime's "you were cancelled" exception, as seen inside
    the cancelled task.
``call_soon(cb, *args)`` / ``call_at(when, cb, *args)`` / ``call_later(delay, cb, *args)``
    Plain callbacks, by deadline in ``now()`` terms. ``call_at``/``call_later``
    return an object with ``cancel()``.
``call_soon_threadsafe(cb, *args)``
    ``call_soon`` that may be called from *any* thread, including a plain
    ``threading.Thread`` the runtime knows nothing about, while ``run`` is running.
    It must not block the caller (fire and forget: it does not wait for ``cb`` to
    run), and it must wake the loop if the loop is idle, so that ``cb(*args)`` runs
    soon on the loop's own thread. Calls from one thread run in the order they were
    made. Returns nothing the interface defines (no ``cancel()``). Optional: a
    runtime whose loop cannot be woken from another thread, or whose library offers
    only a blocking call, does not have it.
``run_forever(setup)``
    Create a fresh loop, call ``setup()`` (which schedules callbacks with
    ``call_soon``/``call_at``), and run the loop until a callback calls ``stop()``.
    Only runtimes with a callback loop have it.
``stop()``
    Inside ``run_forever``: stop after the current iteration.
``event()`` / ``lock()`` / ``queue(maxsize)``
    Synchronisation: an event with ``set()`` (plain call), ``is_set()`` and
    ``await wait()``; a lock used as ``async with``; a queue with ``await put(x)``
    and ``await get()``.
``timeout(seconds)``
    An async context manager that cancels its body after ``seconds`` and raises
    ``TimeoutError`` out of the ``async with`` (asyncio.timeout / trio.fail_after).
``task_group()``
    An async context manager: the library's own construct for many children, with
    no harness wrapper around any child. Inside ``async with rt.task_group() as group:``,
    ``await group.spawn(fn, *args)`` starts a child and ``await group.cancel()``
    cancels every child; leaving the block waits for all of them. asyncio and uvloop:
    ``asyncio.TaskGroup``; trio: a nursery; anyio: a task group; curio:
    ``curio.TaskGroup``; our loops: ``loop.create_task`` per child, each awaited at
    the exit. ``spawn`` and ``cancel`` are awaited on every runtime because curio's
    are coroutines. Workloads that count tasks (spawn+join, memory) use this, so
    their numbers are the library's own.
``sleep_until(deadline)``
    Suspend the current task until ``now() >= deadline``, through the library's own
    absolute-deadline idiom: asyncio ``loop.call_at`` with a future (what
    ``asyncio.sleep`` does underneath); ``trio.sleep_until``; ``anyio.sleep_until``;
    curio ``sleep(deadline - clock)``, its only way; our loops ``call_at`` with a
    future. The ``deadlines.*`` scenarios use it, so tie order is the library's.
``group_errors(fns)``
    Run the async functions as children of the runtime's *native* structured
    construct (TaskGroup, nursery, curio TaskGroup, anyio task group) and return a
    description of what the parent saw. Runtimes without one raise Unsupported.

I/O (optional; ``harness/scenarios/io.py`` uses them, on ``socket.socketpair()`` ends
and TCP connections on 127.0.0.1 only):

``open_stream(sock)``
    Awaitable: the library's own byte stream over a connected socket, which the stream
    owns from then on (the adapter makes it non-blocking if its library needs that).
    The stream has ``await send(data)`` (all of it), ``await recv(max) -> bytes``
    (``b""`` at end of stream, however the library says it), ``await send_eof()``
    (half-close: the peer sees end of stream, receiving goes on) and ``await close()``.
    Whatever else happens (a reset peer, a cancelled receive) is the library's own
    behaviour: the stream neither catches nor translates it. asyncio:
    ``asyncio.open_connection(sock=...)``; trio: ``trio.SocketStream``; anyio:
    ``SocketStream.from_socket``; curio: ``curio.io.Socket``; our loops: ``loop.sock_*``.
``serve_echo(listener, connections)``
    Serve an echo on ``listener`` (a bound, listening TCP socket) in the library's own
    server idiom, each connection by its own task, until ``connections`` connections
    have been accepted and each has reached end of stream; then stop serving and return
    the number of bytes echoed. asyncio: ``asyncio.start_server(sock=...)``; trio:
    ``trio.serve_listeners``; anyio: ``SocketListener.serve``; curio:
    ``curio.network.run_server``; our loops: ``sock_accept``, ``create_task``, ``sock_recv``
    and ``sock_sendall``.
``serve_echo_protocol(listener, connections)``
    The same with asyncio's Protocol API (``loop.create_server(sock=...)`` and a
    ``Protocol`` that writes back what it receives): asyncio event loops only.
"""

from __future__ import annotations

import functools
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

NATIVE, EMULATED, UNSUPPORTED = "native", "emulated", "unsupported"

#: Every operation of the interface, in the order of the contract above.
OPERATIONS = ("run", "now", "sleep", "spawn", "join", "cancel", "is_cancellation", "call_soon", "call_at",
              "call_later", "call_soon_threadsafe", "run_forever", "stop", "event", "lock", "queue", "timeout",
              "task_group", "sleep_until", "group_errors", "gather_errors",
              "open_stream", "serve_echo", "serve_echo_protocol")



@functools.cache
def distribution_version(distribution: str | None) -> str:
    """The installed version of ``distribution`` (None: Python's own), read once per process
    (a metadata read is 5 ms, once per cell; a cell forked from a prefork server inherits
    the server's reads)."""
    import importlib.metadata
    import platform

    if distribution is None:
        return platform.python_version()
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"

class Unsupported(Exception):
    """Raised by an adapter for an operation with no honest mapping on its library."""


class Cancelled(Exception):
    """What ``join`` raises for a task that ended by cancellation (on every runtime)."""


class Unavailable(Exception):
    """The runtime cannot be used here (e.g. uvloop is not installed on this platform)."""


class Runtime(ABC):
    """One loop the harness can run scenarios on. See the module docstring for the contract."""

    #: Name in reports and on the command line, e.g. "heap", "asyncio", "anyio-trio".
    name: str
    #: The library whose documentation this runtime's behaviour answers to ("asyncio" for
    #: asyncio, uvloop, rloop and any asyncio loop; "trio", "curio", "anyio", "tinyio"):
    #: a scenario's stated trace is a pass/fail verdict only where that documentation
    #: promises it (``Scenario.documented_by``). None for our loops (their contract is loopbench's).
    api: ClassVar[str | None] = None
    #: "loopbench" for our implementations, "peer" for the libraries we compare against.
    family: ClassVar[str] = "peer"
    #: Distribution whose version is recorded ("loopbench", "uvloop", ...), None for stdlib.
    distribution: ClassVar[str | None] = None
    #: How each operation maps: op -> NATIVE | EMULATED | UNSUPPORTED. Missing ops are
    #: native, except the optional ones below, which only some runtimes have: an
    #: adapter that provides one overrides its method (native) or lists it as
    #: NATIVE/EMULATED/UNSUPPORTED in its own ``support``.
    support: ClassVar[dict[str, str]] = {}
    #: A short label per operation, in the library's own terms: which call a native op is
    #: ("TrioToken.run_sync_soon (thread-safe entry queue)"), what the harness built for an
    #: emulated one, or why one is unsupported. Every emulated op has one.
    notes: ClassVar[dict[str, str]] = {}
    #: True for a runtime that is not a library under comparison but a control: the
    #: harness's own emulations run on a loop that has the real operations, so that
    #: the emulation's cost can be told apart from the library's.
    control: ClassVar[bool] = False
    OPTIONAL_OPS: ClassVar[tuple[str, ...]] = ("run_forever", "stop", "group_errors", "gather_errors",
                                               "call_soon_threadsafe", "task_group", "sleep_until",
                                               "open_stream", "serve_echo", "serve_echo_protocol")

    # ----------------------------------------------------------- lifecycle
    @abstractmethod
    def run(self, main: Callable[[], Awaitable[Any]]) -> Any: ...

    # --------------------------------------------------------- inside run
    @abstractmethod
    def now(self) -> float: ...

    @abstractmethod
    def sleep(self, seconds: float) -> Awaitable[Any]: ...

    @abstractmethod
    def spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> Any: ...

    @abstractmethod
    async def join(self, ref: Any) -> Any: ...

    @abstractmethod
    def cancel(self, ref: Any) -> None: ...

    @abstractmethod
    def is_cancellation(self, exc: BaseException) -> bool: ...

    @abstractmethod
    def call_soon(self, cb: Callable[..., Any], *args: Any) -> Any: ...

    @abstractmethod
    def call_at(self, when: float, cb: Callable[..., Any], *args: Any) -> Any: ...

    def call_later(self, delay: float, cb: Callable[..., Any], *args: Any) -> Any:
        return self.call_at(self.now() + delay, cb, *args)

    def call_soon_threadsafe(self, cb: Callable[..., Any], *args: Any) -> Any:
        raise Unsupported(f"{self.name} cannot be handed a callback from another thread")

    def run_forever(self, setup: Callable[[], Any]) -> None:
        raise Unsupported(f"{self.name} has no run_forever/stop callback loop")

    def stop(self) -> None:
        raise Unsupported(f"{self.name} has no run_forever/stop callback loop")

    @abstractmethod
    def event(self) -> Any: ...

    @abstractmethod
    def lock(self) -> Any: ...

    @abstractmethod
    def queue(self, maxsize: int = 0) -> Any: ...

    @abstractmethod
    def timeout(self, seconds: float) -> Any: ...

    def task_group(self) -> Any:
        raise Unsupported(f"{self.name} has no construct for spawning and joining many tasks")

    def sleep_until(self, deadline: float) -> Awaitable[Any]:
        raise Unsupported(f"{self.name} has no absolute-deadline sleep")

    async def group_errors(self, fns: list[Callable[[], Awaitable[Any]]]) -> dict[str, Any]:
        raise Unsupported(f"{self.name} has no structured task group")

    async def gather_errors(self, fns: list[Callable[[], Awaitable[Any]]]) -> dict[str, Any]:
        raise Unsupported(f"{self.name} has no gather")

    async def open_stream(self, sock: Any) -> Any:
        raise Unsupported(f"{self.name} has no way to wait on a socket")

    async def serve_echo(self, listener: Any, connections: int) -> int:
        raise Unsupported(f"{self.name} has no way to wait on a socket")

    async def serve_echo_protocol(self, listener: Any, connections: int) -> int:
        raise Unsupported(f"{self.name} has no asyncio Protocol API (loop.create_server)")

    # -------------------------------------------------------------- helpers
    def how(self, op: str) -> str:
        """NATIVE, EMULATED or UNSUPPORTED for operation ``op``."""
        if op in self.support:
            return self.support[op]
        if op in self.OPTIONAL_OPS:
            return NATIVE if _overrides(type(self), op) else UNSUPPORTED
        return NATIVE

    def operations(self) -> dict[str, dict[str, str]]:
        """Per operation of the interface: ``{"how": NATIVE|EMULATED|UNSUPPORTED, "note": label}``."""
        return {op: {"how": self.how(op), "note": self.notes.get(op, "")} for op in OPERATIONS}

    @staticmethod
    def perf() -> float:
        """The harness's own clock (``time.perf_counter``), comparable across runtimes."""
        return time.perf_counter()

    def version(self) -> str:
        """The version of the library behind this runtime."""
        return distribution_version(self.distribution)

    def __repr__(self) -> str:
        return f"<Runtime {self.name}>"


def _overrides(cls: type, method: str) -> bool:
    """True if ``cls`` provides ``method`` itself rather than inheriting Runtime's Unsupported stub."""
    return getattr(cls, method) is not getattr(Runtime, method)


class StartSoonGroup:
    """``task_group()``'s object for libraries that start children with ``start_soon``
    (trio's nursery, anyio's task group): their own calls, nothing around the child."""

    __slots__ = ("_start_soon", "_scope")

    def __init__(self, group: Any) -> None:
        self._start_soon, self._scope = group.start_soon, group.cancel_scope

    async def spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        self._start_soon(fn, *args)

    async def cancel(self) -> None:
        self._scope.cancel()


class EchoTally:
    """What ``serve_echo`` counts: bytes echoed, and connections that reached end of stream;
    ``finished`` is true once ``connections`` of them have."""

    __slots__ = ("connections", "closed", "echoed")

    def __init__(self, connections: int) -> None:
        if connections < 1:
            raise ValueError(f"serve_echo needs at least one connection to wait for, not {connections}")
        self.connections, self.closed, self.echoed = connections, 0, 0

    def close_one(self) -> bool:
        """One connection reached end of stream; True if that was the last awaited."""
        self.closed += 1
        return self.finished

    @property
    def finished(self) -> bool:
        return self.closed >= self.connections


#: The size of one ``recv`` by an echo server (uvloop's vmbench reads up to 100 KiB too).
ECHO_READ = 102_400


def require(module: str) -> Any:
    """Import ``module``, or raise ``Unavailable`` if it is not installed here."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise Unavailable(f"{module} is not installed: {exc}") from exc


def describe_exception(exc: BaseException) -> dict[str, Any]:
    """A JSON-friendly description of an exception, ExceptionGroups unfolded."""
    out: dict[str, Any] = {"type": type(exc).__name__}
    if isinstance(exc, BaseExceptionGroup):
        out["exceptions"] = [describe_exception(e) for e in exc.exceptions]
    else:
        out["message"] = str(exc)
    return out


def group_outcome(exc: BaseException, tasks: list) -> dict[str, Any]:
    """What a parent saw when a group of task objects (``cancelled()``/``done()``) failed."""
    return {"raised": describe_exception(exc),
            "siblings_cancelled": sum(t.cancelled() for t in tasks),
            "siblings_still_running": sum(not t.done() for t in tasks)}

"""asyncio (the default loop), asyncio with eager tasks, and uvloop: every operation is asyncio's own.

The loop's methods come through ``LoopApiRuntime`` (``loopapi.py``). A run is an
``asyncio.Runner`` on a fresh loop; groups are ``asyncio.TaskGroup``; ``gather`` is
``asyncio.gather``. ``call_soon_threadsafe`` is the ready queue plus a byte written to
the loop's self-pipe (asyncio) or a libuv async handle (uvloop). uvloop's
``loop.time()`` counts whole milliseconds. ``asyncio-eager`` is the default loop with
``asyncio.eager_task_factory`` (Python 3.12+): a new task runs inside ``create_task``
until its first suspension, and one that finishes there never visits the ready queue.
Evidence: docs/research/NOTES.md.

I/O is asyncio's streams: ``open_stream`` is ``asyncio.open_connection(sock=...)``
(a ``StreamReader``/``StreamWriter`` pair, ``drain`` after every write) and
``serve_echo`` is ``asyncio.start_server(sock=...)``; ``serve_echo_protocol`` is the
lower layer, ``loop.create_server`` with a ``Protocol`` that writes back in
``data_received``, as uvloop's vmbench does. Every asyncio loop shares them.
"""

from __future__ import annotations

import asyncio
import functools
from contextlib import asynccontextmanager

from impls import DISTRIBUTION

from .interface import ECHO_READ, NATIVE, UNSUPPORTED, EchoTally, Unavailable, group_outcome, require
from .loopapi import CreateTaskGroup, LoopApiRuntime


#: The runtimes this module adapts, described once: ``harness.runtimes`` reads this literal
#: without importing the module (a library missing here costs only its own runtimes), and
#: everything else (the registry, the environment's library versions, the report's cards and
#: its families, the tests of native paths) derives from it. See docs/extending.md.
PEERS = {
    "asyncio": {
        "adapter": "AsyncioRuntime", "family": "asyncio", "distribution": None,
        "about": ["The reference: every other runtime's ratio is against it, from the same run.",
                  "gather() lets siblings run on after a failure; TaskGroup cancels them (coroutines.* scenarios)."],
        "native_calls": {"task_group": "asyncio.TaskGroup", "sleep_until": "asyncio.base_events.BaseEventLoop.call_at",
                         "open_stream": "asyncio.open_connection", "serve_echo": "asyncio.start_server",
                         "serve_echo_protocol": "asyncio.base_events.BaseEventLoop.create_server"},
    },
    "asyncio-eager": {
        "adapter": "AsyncioEagerRuntime", "family": "asyncio", "distribution": None,
        "about": ["asyncio's loop with eager_task_factory (Python 3.12+): a new task runs inside "
                  "create_task until it first suspends."],
    },
    "uvloop": {
        "adapter": "UvloopRuntime", "family": "asyncio", "distribution": "uvloop",
        "about": ["asyncio's API on libuv, in C.",
                  "Its clock counts whole milliseconds: timers can fire up to ~1 ms early by the wall clock."],
        "native_calls": {"open_stream": "asyncio.open_connection", "serve_echo": "asyncio.start_server",
                         "serve_echo_protocol": "uvloop.Loop.create_server"},
    },
    "rloop": {
        "adapter": "RloopRuntime", "family": "asyncio", "distribution": "rloop",
        "about": ["An asyncio event loop written in Rust, run with no adapter code."],
        "native_calls": {"open_stream": "asyncio.open_connection", "serve_echo": "asyncio.start_server"},
    },
}


class AsyncioRuntime(LoopApiRuntime):
    name = "asyncio"
    api = "asyncio"
    distribution = None          # stdlib: the Python version is its version
    cancelled_error = asyncio.CancelledError
    notes = {"call_soon": "loop.call_soon", "call_at": "loop.call_at", "call_later": "loop.call_later",
             "call_soon_threadsafe": "loop.call_soon_threadsafe (ready queue and a self-pipe write)",
             "spawn": "loop.create_task", "task_group": "asyncio.TaskGroup",
             "sleep_until": "loop.call_at with a future, as asyncio.sleep does",
             "group_errors": "asyncio.TaskGroup", "gather_errors": "asyncio.gather",
             "timeout": "asyncio.timeout",
             "open_stream": "asyncio.open_connection(sock=...): StreamReader.read, StreamWriter.write + drain",
             "serve_echo": "asyncio.start_server(sock=...), a StreamReader/StreamWriter per connection",
             "serve_echo_protocol": "loop.create_server(sock=...) and a Protocol writing back in data_received"}

    def new_loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.new_event_loop()

    def run(self, main):
        with asyncio.Runner(loop_factory=self.new_loop) as runner:
            self.loop = runner.get_loop()
            return runner.run(main())

    def sleep(self, seconds):
        return asyncio.sleep(seconds)

    def event(self):
        return asyncio.Event()

    def lock(self):
        return asyncio.Lock()

    def queue(self, maxsize: int = 0):
        return asyncio.Queue(maxsize)

    def timeout(self, seconds):
        return asyncio.timeout(seconds)

    @asynccontextmanager
    async def task_group(self):
        async with asyncio.TaskGroup() as group:
            yield CreateTaskGroup(group.create_task)

    async def group_errors(self, fns):
        tasks = []
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(fn()) for fn in fns]
            return {"raised": None}
        except BaseException as exc:
            return group_outcome(exc, tasks)

    async def gather_errors(self, fns):
        tasks = [self.loop.create_task(fn()) for fn in fns]
        try:
            await asyncio.gather(*tasks)
            return {"raised": None}
        except BaseException as exc:
            return group_outcome(exc, tasks)

    async def open_stream(self, sock):
        return StreamPair(*await asyncio.open_connection(sock=sock))

    async def serve_echo(self, listener, connections):
        tally, done = EchoTally(connections), asyncio.Event()

        async def echo(reader, writer):
            try:
                while data := await reader.read(ECHO_READ):
                    writer.write(data)
                    await writer.drain()
                    tally.echoed += len(data)
            finally:
                writer.close()
                if tally.close_one():
                    done.set()

        async with await asyncio.start_server(echo, sock=listener):
            await done.wait()
        return tally.echoed

    async def serve_echo_protocol(self, listener, connections):
        tally, done = EchoTally(connections), asyncio.Event()
        async with await self.loop.create_server(lambda: EchoProtocol(tally, done), sock=listener):
            await done.wait()
        return tally.echoed


class StreamPair:
    """asyncio's ``(StreamReader, StreamWriter)`` as the interface's stream."""

    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def recv(self, max_bytes: int) -> bytes:
        return await self.reader.read(max_bytes)

    async def send_eof(self) -> None:
        self.writer.write_eof()

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


class EchoProtocol(asyncio.Protocol):
    """vmbench's echo protocol: write back whatever arrives; the transport closes at end of stream."""

    def __init__(self, tally: EchoTally, done: asyncio.Event) -> None:
        self.tally, self.done, self.transport = tally, done, None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)
        self.tally.echoed += len(data)

    def connection_lost(self, exc) -> None:
        if self.tally.close_one():
            self.done.set()


class UvloopRuntime(AsyncioRuntime):
    name = "uvloop"
    distribution = "uvloop"
    notes = {**AsyncioRuntime.notes,
             "call_soon_threadsafe": "loop.call_soon_threadsafe (ready queue and a libuv async handle)"}

    def __init__(self) -> None:
        super().__init__()
        self._uvloop = require("uvloop")     # not built on Windows

    def new_loop(self):
        return self._uvloop.new_event_loop()


class AsyncioLoopRuntime(AsyncioRuntime):
    """Any asyncio event loop, from its factory ("module:callable"): the scenarios and
    workloads run on it through asyncio's API, with no adapter code. Whatever the loop
    lacks shows up as the exception it raised, in the cell that needed it."""

    notes = {**AsyncioRuntime.notes, "call_soon_threadsafe": "loop.call_soon_threadsafe"}

    def __init__(self, name: str, spec: str) -> None:
        super().__init__()
        self.name, self.spec = name, spec
        module_name, _, attr = spec.partition(":")
        if not module_name or not attr:
            raise ValueError(f"an asyncio loop is given as module:factory, not {spec!r}")
        module = require(module_name)
        try:
            self._factory = functools.reduce(getattr, attr.split("."), module)
        except AttributeError:
            raise ValueError(f"{module_name} has no {attr!r} (from {spec!r})") from None
        self.distribution = _distribution_of(module_name)

    def new_loop(self):
        loop = self._factory()
        if not isinstance(loop, asyncio.AbstractEventLoop):
            raise TypeError(f"{self.spec} returned {type(loop).__name__}, not an asyncio event loop")
        return loop


class RloopRuntime(AsyncioLoopRuntime):
    """rloop: an asyncio event loop written in Rust (on PyPI), beside uvloop's C."""

    def __init__(self) -> None:
        super().__init__("rloop", "rloop:new_event_loop")


def _distribution_of(module_name: str) -> str | None:
    import importlib.metadata

    names = importlib.metadata.packages_distributions().get(module_name.split(".")[0])
    return names[0] if names else None


class HostedRuntime(AsyncioRuntime):
    """One of our loops hosting asyncio's own Future and Task (``impls.asyncio_loop``):
    asyncio's C Task stepping coroutines on our scheduling. Named "NAME+asyncio"; beside
    "NAME", it shows what asyncio's C Task buys on our loop."""

    family = "loopbench"
    distribution = DISTRIBUTION

    def __init__(self, impl: str) -> None:
        super().__init__()
        self.impl, self.name = impl, f"{impl}+asyncio"
        self.notes = {**AsyncioRuntime.notes, "spawn": f"asyncio's Task on the {impl} loop",
                      "task_group": f"asyncio.TaskGroup on the {impl} loop"}

    @property
    def capabilities(self) -> frozenset[str]:
        """The hosted loop's own (``impls.protocol.CAPABILITIES``)."""
        import impls

        loop = impls.create(self.impl)
        try:
            return frozenset(loop.capabilities)
        finally:
            loop.close()

    @property
    def support(self) -> dict[str, str]:
        # Another thread can wake the host only through a loop that can be woken.
        return {"call_soon_threadsafe": NATIVE if "threadsafe" in self.capabilities else UNSUPPORTED}

    def new_loop(self):
        import impls

        return impls.asyncio_loop(self.impl)


class AsyncioEagerRuntime(AsyncioRuntime):
    """The default loop with eager tasks: ``loop.set_task_factory(asyncio.eager_task_factory)``."""

    name = "asyncio-eager"
    notes = {**AsyncioRuntime.notes,
             "spawn": "loop.create_task with asyncio.eager_task_factory (runs the task until its first suspension)",
             "task_group": "asyncio.TaskGroup, its tasks eager"}

    def __init__(self) -> None:
        if not hasattr(asyncio, "eager_task_factory"):
            raise Unavailable("asyncio.eager_task_factory is new in Python 3.12")
        super().__init__()

    def new_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.new_event_loop()
        loop.set_task_factory(asyncio.eager_task_factory)
        return loop

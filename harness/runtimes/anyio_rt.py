"""anyio on its two backends, asyncio and trio, through anyio's public API only.

What the structured base (``structured.py``) builds, anyio's own way: the root group
is ``anyio.create_task_group()``, cancellation is the backend's
``anyio.get_cancelled_exc_class()``, a queue is ``anyio.create_memory_object_stream``
(closed at the end of the run, or anyio warns), and ``anyio.fail_after`` already
raises ``TimeoutError``. ``gather_errors`` is ``anyio.gather`` where the installed
anyio has it: it runs the coroutines in a task group, so unlike ``asyncio.gather`` it
cancels siblings and raises an ExceptionGroup.

anyio has no plain callbacks, so ``call_soon`` joins ``call_at`` on the harness's
callback service. ``start_soon`` returns a ``TaskHandle`` since anyio 4.14, but a child
that fails through it still fails its group, so ``spawn`` keeps the base's wrapper.

No ``call_soon_threadsafe``: from a foreign thread anyio offers only blocking calls
(``from_thread.run_sync``, ``BlockingPortal.start_task_soon`` wait for the loop thread),
which would measure another thing under this name. Evidence: docs/research/NOTES.md.

I/O is anyio's streams: ``open_stream`` is ``SocketStream.from_socket`` (a
``UNIXSocketStream`` for a Unix socket pair), whose ``receive`` raises ``EndOfStream``
at the end (``recv`` returns ``b""`` then, the interface's end of stream);
``serve_echo`` is ``SocketListener.from_socket(...).serve`` in a task group,
cancelled once the awaited connections have ended.
"""

from __future__ import annotations

from typing import Any, ClassVar

import socket

import anyio
from anyio.abc import SocketListener, SocketStream, UNIXSocketStream

from .interface import ECHO_READ, EMULATED, NATIVE, UNSUPPORTED, EchoTally, Unsupported, require
from .structured import ChildTally, StructuredRuntime

NO_THREADSAFE = ("anyio has no fire-and-forget call from another thread: from_thread.run_sync and "
                 "BlockingPortal.start_task_soon block the caller until the event loop thread answers")


#: The runtimes this module adapts, described once: ``harness.runtimes`` reads this literal
#: without importing the module (a library missing here costs only its own runtimes), and
#: everything else (the registry, the environment's library versions, the report's cards and
#: its families, the tests of native paths) derives from it. See docs/extending.md.
PEERS = {
    "anyio-asyncio": {
        "adapter": "AnyioAsyncioRuntime", "family": "structured", "distribution": "anyio",
        "about": ["anyio's structured API on asyncio: every primitive is a checkpoint; "
                  "cancellation is level-triggered, as in trio."],
        "native_calls": {"task_group": "anyio.create_task_group", "sleep_until": "anyio.sleep_until",
                         "open_stream": "anyio.abc.SocketStream.from_socket",
                         "serve_echo": "anyio.abc.SocketListener.from_socket"},
    },
    "anyio-trio": {
        "adapter": "AnyioTrioRuntime", "family": "structured", "distribution": "anyio",
        "about": ["anyio's structured API on trio: trio's scheduling randomness shows through."],
        "native_calls": {"task_group": "anyio.create_task_group", "sleep_until": "anyio.sleep_until",
                         "open_stream": "anyio.abc.SocketStream.from_socket",
                         "serve_echo": "anyio.abc.SocketListener.from_socket"},
    },
}


class _AnyioRuntime(StructuredRuntime):
    api = "anyio"
    distribution = "anyio"
    lib = anyio
    backend: ClassVar[str]
    support = {**StructuredRuntime.support, "call_soon": EMULATED,
               "gather_errors": NATIVE if hasattr(anyio, "gather") else UNSUPPORTED,
               "call_soon_threadsafe": UNSUPPORTED}
    notes = {**StructuredRuntime.notes,
             "call_soon": "the harness's callback service: one task per run, a FIFO, an Event",
             "call_soon_threadsafe": NO_THREADSAFE,
             "task_group": "anyio.create_task_group",
             "sleep_until": "anyio.sleep_until",
             "group_errors": "anyio.create_task_group",
             "gather_errors": "anyio.gather" if hasattr(anyio, "gather") else "this anyio has no gather",
             "open_stream": "anyio.abc.SocketStream.from_socket (UNIXSocketStream for a Unix socket)",
             "serve_echo": "anyio.abc.SocketListener.from_socket(...).serve, one handler task per connection",
             "serve_echo_protocol": "asyncio's Protocol API: asyncio event loops only"}

    def _start(self, root, main):
        return anyio.run(root, main, backend=self.backend)

    def _open_group(self):
        return anyio.create_task_group()

    def _cancelled_class(self):
        return anyio.get_cancelled_exc_class()

    def _channel(self, size):
        return anyio.create_memory_object_stream[Any](size)

    def call_soon(self, cb, *args):
        return self._service().call_soon(cb, *args)

    def call_soon_threadsafe(self, cb, *args):
        raise Unsupported(NO_THREADSAFE)

    async def gather_errors(self, fns):
        if not hasattr(anyio, "gather"):
            raise Unsupported(f"anyio {self.version()} has no gather()")
        children = ChildTally(len(fns), self.is_cancellation)
        try:
            await anyio.gather(*(children.watch(fn) for fn in fns))
            return {"raised": None}
        except BaseException as exc:
            return children.outcome(exc)

    async def open_stream(self, sock):
        wrap = UNIXSocketStream if sock.family == socket.AF_UNIX else SocketStream
        return AnyioStream(await wrap.from_socket(sock))

    async def serve_echo(self, listener, connections):
        tally = EchoTally(connections)
        async with anyio.create_task_group() as group:
            async def echo(stream):
                try:
                    async with stream:
                        while True:
                            data = await stream.receive(ECHO_READ)
                            await stream.send(data)
                            tally.echoed += len(data)
                except anyio.EndOfStream:
                    pass
                finally:
                    if tally.close_one():
                        group.cancel_scope.cancel()

            group.start_soon((await SocketListener.from_socket(listener)).serve, echo)
        return tally.echoed


class AnyioStream:
    """An anyio byte stream as the interface's stream; ``EndOfStream`` reads as ``b""``."""

    __slots__ = ("stream",)

    def __init__(self, stream) -> None:
        self.stream = stream

    async def send(self, data: bytes) -> None:
        await self.stream.send(data)

    async def recv(self, max_bytes: int) -> bytes:
        try:
            return await self.stream.receive(max_bytes)
        except anyio.EndOfStream:
            return b""

    async def send_eof(self) -> None:
        await self.stream.send_eof()

    async def close(self) -> None:
        await self.stream.aclose()


class AnyioAsyncioRuntime(_AnyioRuntime):
    name = "anyio-asyncio"
    backend = "asyncio"


class AnyioTrioRuntime(_AnyioRuntime):
    name = "anyio-trio"
    backend = "trio"

    def __init__(self) -> None:
        super().__init__()
        require("trio")                    # anyio's trio backend needs it

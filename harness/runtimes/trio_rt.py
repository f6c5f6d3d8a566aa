"""trio: nurseries, with no task handles and no loop of plain callbacks.

What the structured base (``structured.py``) builds, trio's own way: the root group
is a nursery (``trio.open_nursery``), cancellation is ``trio.Cancelled``, a queue is
``trio.open_memory_channel``, ``timeout`` is ``trio.fail_after`` with its
``TooSlowError`` turned into the builtin ``TimeoutError``.

``call_soon`` and ``call_soon_threadsafe`` are ``TrioToken.run_sync_soon``: trio's
entry queue into a run, made for other threads. Each call takes a lock and writes to
the run's wakeup socket; a callback that raises becomes ``TrioInternalError`` and ends
the run. The token is taken on the trio thread when the run starts.

``trio.current_time()`` has a random offset per run: only differences mean anything.
trio has no gather. Evidence: docs/research/NOTES.md.

I/O is trio's streams: ``open_stream`` is a ``trio.SocketStream`` over
``trio.socket.from_stdlib_socket`` (``send_all``, ``receive_some``, ``send_eof``,
``aclose``); ``serve_echo`` is ``trio.serve_listeners`` on a ``trio.SocketListener``
in a nursery, cancelled once the awaited connections have ended.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import trio

from .interface import ECHO_READ, UNSUPPORTED, EchoTally
from .structured import StructuredRuntime

RUN_SYNC_SOON = "TrioToken.run_sync_soon (thread-safe entry queue: a lock and a wakeup-socket write per call)"


#: The runtimes this module adapts, described once: ``harness.runtimes`` reads this literal
#: without importing the module (a library missing here costs only its own runtimes), and
#: everything else (the registry, the environment's library versions, the report's cards and
#: its families, the tests of native paths) derives from it. See docs/extending.md.
PEERS = {
    "trio": {
        "adapter": "TrioRuntime", "family": "structured", "distribution": "trio",
        "about": ["Structured concurrency: nurseries, level-triggered cancellation (a task that swallows "
                  "Cancelled gets it again at its next checkpoint).",
                  "Randomises the order of each scheduling batch: wake orders differ from run to run.",
                  "No plain timer callbacks: call_at here is built by the harness."],
        "native_calls": {"task_group": "trio.open_nursery", "sleep_until": "trio.sleep_until",
                         "open_stream": "trio.SocketStream", "serve_echo": "trio.serve_listeners"},
    },
}


class TrioRuntime(StructuredRuntime):
    name = "trio"
    api = "trio"
    distribution = "trio"
    lib = trio
    support = {**StructuredRuntime.support, "gather_errors": UNSUPPORTED}
    notes = {**StructuredRuntime.notes,
             "call_soon": RUN_SYNC_SOON,
             "call_soon_threadsafe": RUN_SYNC_SOON,
             "task_group": "trio.open_nursery",
             "sleep_until": "trio.sleep_until",
             "group_errors": "trio.open_nursery",
             "gather_errors": "trio has no gather",
             "open_stream": "trio.SocketStream(trio.socket.from_stdlib_socket(sock))",
             "serve_echo": "trio.serve_listeners on a trio.SocketListener, one handler task per connection",
             "serve_echo_protocol": "asyncio's Protocol API: asyncio event loops only"}
    _token: trio.lowlevel.TrioToken | None = None      # the run's, taken on its thread

    def _start(self, root, main):
        return trio.run(root, main)

    async def _root(self, main):
        self._token = trio.lowlevel.current_trio_token()
        return await super()._root(main)

    def _open_group(self):
        return trio.open_nursery()

    def _cancelled_class(self):
        return trio.Cancelled

    def _channel(self, size):
        return trio.open_memory_channel(size)

    def call_soon(self, cb, *args):
        self._token.run_sync_soon(cb, *args)

    def call_soon_threadsafe(self, cb, *args):
        self._token.run_sync_soon(cb, *args)

    @asynccontextmanager
    async def timeout(self, seconds):
        try:
            with trio.fail_after(seconds):
                yield
        except trio.TooSlowError as exc:
            raise TimeoutError() from exc

    async def open_stream(self, sock):
        return TrioStream(trio.SocketStream(trio.socket.from_stdlib_socket(sock)))

    async def serve_echo(self, listener, connections):
        tally = EchoTally(connections)
        async with trio.open_nursery() as nursery:
            async def echo(stream):          # serve_listeners closes the stream afterwards
                try:
                    while data := await stream.receive_some(ECHO_READ):
                        await stream.send_all(data)
                        tally.echoed += len(data)
                finally:
                    if tally.close_one():
                        nursery.cancel_scope.cancel()

            listeners = [trio.SocketListener(trio.socket.from_stdlib_socket(listener))]
            nursery.start_soon(trio.serve_listeners, echo, listeners)
        return tally.echoed


class TrioStream:
    """A ``trio.SocketStream`` as the interface's stream: trio's own calls, renamed."""

    __slots__ = ("stream",)

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream

    async def send(self, data: bytes) -> None:
        await self.stream.send_all(data)

    async def recv(self, max_bytes: int) -> bytes:
        return await self.stream.receive_some(max_bytes)

    async def send_eof(self) -> None:
        await self.stream.send_eof()

    async def close(self) -> None:
        await self.stream.aclose()

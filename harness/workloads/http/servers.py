"""Three small HTTP/1.1 keep-alive servers, each runnable on any asyncio event loop.

``python -m harness.workloads.http.servers KIND RUNTIME``: serve on 127.0.0.1 (a port the
system picks), on the loop of the harness runtime RUNTIME (``harness.runtimes``: asyncio,
uvloop, rloop, "NAME+asyncio", any ``--asyncio-loop``), until stdin closes.

- ``protocol``: a raw ``asyncio.Protocol``: ``data_received`` counts the requests that
  arrived whole (each ends in a blank line; GET only, no body) and writes one canned
  response per request. The lowest layer a server can use.
- ``streams``: ``asyncio.start_server``: per connection, ``readuntil(b"\\r\\n\\r\\n")``,
  ``write``, ``drain``. What most hand-written asyncio servers look like.
- ``aiohttp``: an ``aiohttp.web`` application: ``GET /`` answers "Hello, World!" as
  text, ``GET /json`` a small JSON document (TechEmpower's ``{"message": ...}``).

Every response is the same 13-byte "Hello, World!" body (the JSON endpoint's is its own).

The driver talks to the server on its standard streams: the server prints
``port N`` once it listens; a line ``cpu`` on stdin is answered with the process's own CPU
time (``time.process_time()``, user + system, all threads), so the driver can read the
server's CPU time before and after each load run; end of stdin ends the process. The
control thread waits on a blocking read, costing no CPU while it waits.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import threading
import time

KINDS = ("protocol", "streams", "aiohttp")
BODY = b"Hello, World!"
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(BODY)) + BODY
JSON_MESSAGE = {"message": "Hello, World!"}
END = b"\r\n\r\n"


class HelloProtocol(asyncio.Protocol):
    """One response per request that has arrived whole; pipelined requests are answered in order."""

    def __init__(self) -> None:
        self.transport = None
        self.pending = b""

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        data = self.pending + data if self.pending else data
        whole = data.count(END)
        if whole:
            self.transport.write(RESPONSE * whole)
            data = data[data.rfind(END) + len(END):]
        self.pending = data

    def connection_lost(self, exc) -> None:
        self.transport = None


async def _stream_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            await reader.readuntil(END)
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _listener() -> socket.socket:
    sock = socket.create_server(("127.0.0.1", 0), backlog=1024)      # with SO_REUSEADDR on POSIX
    sock.setblocking(False)
    return sock


async def serve(kind: str, sock: socket.socket, stop: asyncio.Future) -> None:
    """Serve ``kind`` on the listening ``sock`` until ``stop`` is done."""
    loop = asyncio.get_running_loop()
    if kind == "protocol":
        server = await loop.create_server(HelloProtocol, sock=sock)
        async with server:
            await stop
    elif kind == "streams":
        server = await asyncio.start_server(_stream_handler, sock=sock)
        async with server:
            await stop
    elif kind == "aiohttp":
        from aiohttp import web

        async def hello(request):
            return web.Response(body=BODY, content_type="text/plain")

        async def json_endpoint(request):
            return web.json_response(JSON_MESSAGE)

        app = web.Application()
        app.router.add_get("/", hello)
        app.router.add_get("/json", json_endpoint)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            await stop
        finally:
            await runner.cleanup()
    else:
        raise ValueError(f"unknown server kind {kind!r}; known: {', '.join(KINDS)}")


def _control(stop_soon) -> None:
    """Answer ``cpu`` lines with this process's CPU time; at end of stdin, stop the server."""
    for line in sys.stdin:
        if line.strip() == "cpu":
            print(f"cpu {time.process_time():.9f}", flush=True)
    stop_soon()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in KINDS:
        print(f"usage: python -m harness.workloads.http.servers {{{','.join(KINDS)}}} RUNTIME", file=sys.stderr)
        return 2
    kind, runtime_name = argv
    from harness.runtimes import create

    runtime = create(runtime_name)
    if runtime.api != "asyncio" or not hasattr(runtime, "new_loop"):
        print(f"{runtime_name} is not an asyncio event loop", file=sys.stderr)
        return 2
    loop = runtime.new_loop()
    asyncio.set_event_loop(loop)
    sock = _listener()
    stop = loop.create_future()

    def stop_soon() -> None:
        try:
            loop.call_soon_threadsafe(lambda: stop.done() or stop.set_result(None))
        except RuntimeError:
            pass
        # A loop that another thread cannot wake would wait forever: leave anyway.
        threading.Timer(2.0, lambda: os._exit(0)).start()

    threading.Thread(target=_control, args=(stop_soon,), daemon=True).start()
    print(f"port {sock.getsockname()[1]}", flush=True)
    try:
        loop.run_until_complete(serve(kind, sock, stop))
    finally:
        loop.close()
    os._exit(0)           # the timer thread above must not keep the process alive


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

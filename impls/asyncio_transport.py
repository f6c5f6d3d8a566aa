"""A socket transport and server of our own, for asyncio code on our loops.

asyncio's streams (``asyncio.open_connection``, ``asyncio.start_server``) and every
protocol-based library sit on ``loop.create_connection`` and ``loop.create_server``,
which hand a *transport* to a *protocol*. Ours is built on four loop methods only,
with asyncio's names and meaning: ``add_reader``/``remove_reader`` and
``add_writer``/``remove_writer`` (call back when a socket can be read or written),
plus ``sock_connect`` and ``getaddrinfo``. So it runs on any loop that has them:
``AsyncioLoop`` on a loop with the ``"io"`` capability, and asyncio's own selector
loop (which is how it is tested against a reference).

What a transport does, in three callbacks:

* **reading**: while reading is on, the socket's reader callback receives what is
  there and passes it to ``protocol.data_received``; an empty read is the peer's
  EOF (``protocol.eof_received``; unless it returns True, the transport closes).
  An ``asyncio.BufferedProtocol`` (asyncpg's kind) is read into its own buffer, as
  asyncio's selector transport does: ``recv_into(protocol.get_buffer(-1))``, then
  ``protocol.buffer_updated(nbytes)``; a failing ``get_buffer``/``buffer_updated``
  (or an empty buffer) is a fatal error, reported, and the connection is lost;
* **writing**: ``write`` sends at once if nothing is queued; what the socket does
  not take is buffered and sent by the writer callback when the socket is writable.
  Above the high-water mark the protocol is told ``pause_writing``, below the low
  one ``resume_writing`` (that is what ``StreamWriter.drain`` waits on);
* **closing**: ``close`` stops reading, lets the buffer drain, then calls
  ``protocol.connection_lost(None)`` and closes the socket; ``abort`` drops the
  buffer. ``write_eof`` shuts down the sending side once the buffer is empty.

Not here: TLS (``ssl=``), happy eyeballs, UDP, Unix sockets. Asking for them raises
``NotImplementedError`` naming what was asked.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any, Callable

#: Bytes asked of the socket per read.
READ_SIZE = 256 * 1024
#: Default write-buffer high-water mark (asyncio's); the low one is a quarter of it.
HIGH_WATER = 64 * 1024


class SocketTransport(asyncio.Transport):
    """A connected stream socket, driven by the loop's reader and writer callbacks."""

    def __init__(self, loop: Any, sock: socket.socket, protocol: asyncio.BaseProtocol,
                 waiter: asyncio.Future | None = None, server: Server | None = None) -> None:
        super().__init__({"socket": sock, "sockname": sock.getsockname(), "peername": _peername(sock)})
        sock.setblocking(False)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)     # as asyncio does
        self._loop, self._sock, self._fd, self._protocol = loop, sock, sock.fileno(), protocol
        self._buffered = isinstance(protocol, asyncio.BufferedProtocol)   # read into its buffer
        self._server = server
        self._buffer = bytearray()
        self._reading = True                      # reading wanted (paused: False)
        self._closing = False                     # close() or abort() called: no more reading
        self._eof = False                         # write_eof() called: no more writing
        self._connection_lost = False             # connection_lost scheduled
        self._writing_paused = False
        self.set_write_buffer_limits()
        if server is not None:
            server._transports.add(self)
        loop.call_soon(protocol.connection_made, self)
        loop.call_soon(self._start_reading)
        if waiter is not None:
            loop.call_soon(_set_result_unless_done, waiter, None)

    # ---------------------------------------------------------- reading
    def _start_reading(self) -> None:
        if self._reading and not self._closing:
            self._loop.add_reader(self._fd, self._read_ready)

    def _read_ready(self) -> None:
        """Read what is there. A plain protocol gets it in ``data_received``; a
        ``BufferedProtocol`` is read into its own buffer, as asyncio's
        ``_read_ready__get_buffer`` does, step for step: ``get_buffer(-1)``, ``recv_into``,
        ``buffer_updated(nbytes)``. An empty read is the peer's EOF."""
        buffered = self._buffered
        if buffered:
            try:
                buffer = self._protocol.get_buffer(-1)
                if not len(buffer):
                    raise RuntimeError("get_buffer() returned an empty buffer")
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._fatal_error(exc, "Fatal error: protocol.get_buffer() call failed.")
                return
        try:
            got = self._sock.recv_into(buffer) if buffered else self._sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._fatal_error(exc, "Fatal read error on socket transport")
            return
        if not got:
            self._eof_from_peer()
        elif not buffered:
            self._protocol.data_received(got)
        else:
            try:
                self._protocol.buffer_updated(got)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._fatal_error(exc, "Fatal error: protocol.buffer_updated() call failed.")

    def _eof_from_peer(self) -> None:
        self.pause_reading()                      # EOF: the peer will send nothing more
        if not self._protocol.eof_received():
            self.close()

    def is_reading(self) -> bool:
        return self._reading and not self._closing

    def pause_reading(self) -> None:
        if self._reading:
            self._reading = False
            self._loop.remove_reader(self._fd)

    def resume_reading(self) -> None:
        if not self._reading and not self._closing:
            self._reading = True
            self._loop.add_reader(self._fd, self._read_ready)

    # ---------------------------------------------------------- writing
    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be a bytes-like object, not {type(data).__name__!r}")
        if self._eof:
            raise RuntimeError("Cannot call write() after write_eof()")
        if not data or self._connection_lost:
            return
        if not self._buffer:                      # nothing queued: try to send at once
            try:
                sent = self._sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError as exc:
                self._fatal_error(exc, "Fatal write error on socket transport")
                return
            data = memoryview(data)[sent:]
            if not data:
                return
            self._loop.add_writer(self._fd, self._write_ready)
        self._buffer += data
        self._maybe_pause_protocol()

    def _write_ready(self) -> None:
        try:
            sent = self._sock.send(self._buffer)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._fatal_error(exc, "Fatal write error on socket transport")
            return
        del self._buffer[:sent]
        self._maybe_resume_protocol()
        if self._buffer:
            return
        self._loop.remove_writer(self._fd)
        if self._closing:
            self._lose_connection(None)
        elif self._eof:
            self._sock.shutdown(socket.SHUT_WR)

    def write_eof(self) -> None:
        if self._closing or self._eof:
            return
        self._eof = True
        if not self._buffer:
            self._sock.shutdown(socket.SHUT_WR)

    def can_write_eof(self) -> bool:
        return True

    def get_write_buffer_size(self) -> int:
        return len(self._buffer)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._low_water, self._high_water

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        if high is None:
            high = HIGH_WATER if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
        self._high_water, self._low_water = high, low
        self._maybe_pause_protocol()

    def _maybe_pause_protocol(self) -> None:
        if len(self._buffer) > self._high_water and not self._writing_paused:
            self._writing_paused = True
            self._protocol.pause_writing()

    def _maybe_resume_protocol(self) -> None:
        if self._writing_paused and len(self._buffer) <= self._low_water:
            self._writing_paused = False
            self._protocol.resume_writing()

    # ---------------------------------------------------------- closing
    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Stop reading; once the buffer is sent, tell the protocol and close the socket."""
        if self._closing:
            return
        self._closing = True
        self.pause_reading()
        if not self._buffer:
            self._lose_connection(None)

    def abort(self) -> None:
        """Close now: the buffer is dropped."""
        self._force_close(None)

    def _fatal_error(self, exc: BaseException, message: str) -> None:
        if not isinstance(exc, ConnectionError):          # a peer hanging up is not news
            self._loop.call_exception_handler({"message": message, "exception": exc,
                                               "transport": self, "protocol": self._protocol})
        self._force_close(exc)

    def _force_close(self, exc: BaseException | None) -> None:
        if self._connection_lost:
            return
        if self._buffer:
            self._buffer.clear()
            self._loop.remove_writer(self._fd)
        self._closing = True
        self.pause_reading()
        self._lose_connection(exc)

    def _lose_connection(self, exc: BaseException | None) -> None:
        if not self._connection_lost:
            self._connection_lost = True
            self._loop.call_soon(self._call_connection_lost, exc)

    def _call_connection_lost(self, exc: BaseException | None) -> None:
        try:
            self._protocol.connection_lost(exc)
        finally:
            self._sock.close()
            if self._server is not None:
                self._server._transport_closed(self)
                self._server = None

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._protocol

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._protocol = protocol
        self._buffered = isinstance(protocol, asyncio.BufferedProtocol)

    def __repr__(self) -> str:
        state = "closing" if self._closing else "open"
        return f"<SocketTransport fd={self._fd} {state} buffered={len(self._buffer)}>"


class Server(asyncio.AbstractServer):
    """Listening sockets; each accepted connection gets a ``SocketTransport`` and a new protocol."""

    def __init__(self, loop: Any, sockets: list[socket.socket], protocol_factory: Callable, backlog: int) -> None:
        self._loop, self._sockets, self._protocol_factory, self._backlog = loop, sockets, protocol_factory, backlog
        self._serving = False
        self._transports: set[SocketTransport] = set()
        self._closed_waiters: list[asyncio.Future] = []
        self._serving_forever: asyncio.Future | None = None

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return tuple(self._sockets or ())

    def get_loop(self) -> Any:
        return self._loop

    def is_serving(self) -> bool:
        return self._serving

    def _start(self) -> None:
        if self._serving or self._sockets is None:
            return
        self._serving = True
        for sock in self._sockets:
            sock.listen(self._backlog)
            sock.setblocking(False)
            self._loop.add_reader(sock.fileno(), self._accept, sock)

    def _accept(self, listener: socket.socket) -> None:
        for _ in range(self._backlog):            # take what is waiting, up to a backlog's worth
            try:
                sock, _address = listener.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as exc:                # out of file descriptors, say: report, keep serving
                self._loop.call_exception_handler({"message": "socket.accept() failed", "exception": exc,
                                                   "socket": listener})
                return
            SocketTransport(self._loop, sock, self._protocol_factory(), server=self)

    async def start_serving(self) -> None:
        self._start()

    async def serve_forever(self) -> None:
        if self._serving_forever is not None:
            raise RuntimeError(f"server {self!r} is already being awaited on serve_forever()")
        if self._sockets is None:
            raise RuntimeError(f"server {self!r} is closed")
        self._start()
        self._serving_forever = self._loop.create_future()
        try:
            await self._serving_forever
        except asyncio.CancelledError:
            try:
                self.close()
                await self.wait_closed()
            finally:
                raise
        finally:
            self._serving_forever = None

    def close(self) -> None:
        """Stop listening. Connections already accepted stay open (``close_clients`` closes them)."""
        if self._sockets is None:
            return
        for sock in self._sockets:
            if self._serving:
                self._loop.remove_reader(sock.fileno())
            sock.close()
        self._sockets, self._serving = None, False
        if self._serving_forever is not None and not self._serving_forever.done():
            self._serving_forever.cancel()
        self._wake_closed_waiters()

    def close_clients(self) -> None:
        for transport in list(self._transports):
            transport.close()

    def abort_clients(self) -> None:
        for transport in list(self._transports):
            transport.abort()

    async def wait_closed(self) -> None:
        """Return once the server is closed and every connection it accepted is closed."""
        if self._sockets is None and not self._transports:
            return
        waiter = self._loop.create_future()
        self._closed_waiters.append(waiter)
        await waiter

    def _transport_closed(self, transport: SocketTransport) -> None:
        self._transports.discard(transport)
        self._wake_closed_waiters()

    def _wake_closed_waiters(self) -> None:
        if self._sockets is None and not self._transports:
            waiters, self._closed_waiters = self._closed_waiters, []
            for waiter in waiters:
                _set_result_unless_done(waiter, None)

    def __repr__(self) -> str:
        return f"<Server sockets={self.sockets!r}>"


async def create_connection(loop: Any, protocol_factory: Callable, host: str | None = None,
                            port: int | None = None, *, sock: socket.socket | None = None, family: int = 0,
                            proto: int = 0, flags: int = 0, local_addr: tuple | None = None,
                            **options: Any) -> tuple[SocketTransport, asyncio.BaseProtocol]:
    """``loop.create_connection``: connect to each address of (host, port) in turn; the first wins."""
    _refuse_options("create_connection", options)
    if sock is not None:
        if host is not None or port is not None:
            raise ValueError("host/port and sock can not be specified at the same time")
        return await _connected(loop, sock, protocol_factory)
    if host is None and port is None:
        raise ValueError("host and port was not specified and no sock specified")
    infos = await loop.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM, proto=proto, flags=flags)
    if not infos:
        raise OSError("getaddrinfo() returned empty list")
    errors: list[OSError] = []
    for af, socktype, sock_proto, _, address in infos:
        sock = socket.socket(af, socktype, sock_proto)
        try:
            sock.setblocking(False)
            if local_addr is not None:
                sock.bind(local_addr)
            await loop.sock_connect(sock, address)
        except OSError as exc:
            errors.append(exc)
            sock.close()
            continue
        except BaseException:
            sock.close()
            raise
        return await _connected(loop, sock, protocol_factory)
    try:
        if len(errors) == 1:
            raise errors[0]
        raise OSError(f"Multiple exceptions: {', '.join(map(str, errors))}")
    finally:
        # The error's traceback holds this frame, whose list holds the error: a cycle
        # only the cyclic GC frees. asyncio clears its list the same way (CPython gh-124859).
        errors = None


async def connect_accepted_socket(loop: Any, protocol_factory: Callable, sock: socket.socket,
                                  **options: Any) -> tuple[SocketTransport, asyncio.BaseProtocol]:
    """``loop.connect_accepted_socket``: a transport for a socket connected elsewhere."""
    _refuse_options("connect_accepted_socket", options)
    return await _connected(loop, sock, protocol_factory)


async def create_server(loop: Any, protocol_factory: Callable, host: Any = None, port: int | None = None, *,
                        family: int = socket.AF_UNSPEC, flags: int = socket.AI_PASSIVE,
                        sock: socket.socket | None = None, backlog: int = 100, reuse_address: bool | None = None,
                        reuse_port: bool | None = None, start_serving: bool = True, **options: Any) -> Server:
    """``loop.create_server``: listen on every address of (host, port); host None or "" means
    all interfaces, as in asyncio (``getaddrinfo`` itself refuses "")."""
    _refuse_options("create_server", options)
    if sock is not None:
        if host is not None or port is not None:
            raise ValueError("host/port and sock can not be specified at the same time")
        sockets = [sock]
    else:
        hosts = [None if host == "" else host] if host is None or isinstance(host, str) else list(host)
        infos = []
        for one_host in hosts:
            infos += await loop.getaddrinfo(one_host, port, family=family, type=socket.SOCK_STREAM, flags=flags)
        sockets = []
        try:
            for af, socktype, proto, _, address in dict.fromkeys(infos):
                listener = socket.socket(af, socktype, proto)
                sockets.append(listener)
                if reuse_address is not False:
                    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if reuse_port:
                    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                if af == socket.AF_INET6:
                    listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                listener.bind(address)
        except BaseException:
            for listener in sockets:
                listener.close()
            raise
    server = Server(loop, sockets, protocol_factory, backlog)
    if start_serving:
        server._start()
    return server


async def _connected(loop: Any, sock: socket.socket, protocol_factory: Callable) -> tuple:
    protocol = protocol_factory()
    waiter = loop.create_future()
    transport = SocketTransport(loop, sock, protocol, waiter=waiter)
    try:
        await waiter                              # connection_made has run
    except BaseException:
        transport.close()
        raise
    return transport, protocol


def _refuse_options(method: str, options: dict) -> None:
    """Options we do not implement are refused by name, unless they ask for nothing."""
    asked = sorted(name for name, value in options.items() if value not in (None, False))
    if asked:
        raise NotImplementedError(f"{method}: {', '.join(asked)} not implemented by loopbench's socket transport")


def _peername(sock: socket.socket) -> Any:
    try:
        return sock.getpeername()
    except OSError:
        return None


def _set_result_unless_done(future: asyncio.Future, result: Any) -> None:
    if not future.done():
        future.set_result(result)


__all__ = ["Server", "SocketTransport", "connect_accepted_socket", "create_connection", "create_server"]

"""Our socket transport and server (``impls/asyncio_transport.py``), on asyncio's own I/O.

The transport needs only ``add_reader``/``add_writer`` (and ``sock_connect``,
``getaddrinfo``) from its loop, with asyncio's meaning. Here that loop is asyncio's
own selector loop, whose ``create_connection``/``create_server`` are replaced by
ours: asyncio's I/O is the reference, the transport is what is tested. The same
transport on our loops (capability ``"io"``) is ``test_asyncio_host.test_echo_server``.
All sockets are on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from impls import asyncio_transport
from impls.asyncio_transport import SocketTransport


class OurTransportLoop(asyncio.SelectorEventLoop):
    """asyncio's selector loop, with our transport and server behind its create_* methods."""

    create_connection = asyncio_transport.create_connection
    create_server = asyncio_transport.create_server
    connect_accepted_socket = asyncio_transport.connect_accepted_socket


def run(coro):
    with asyncio.Runner(loop_factory=OurTransportLoop) as runner:
        return runner.run(asyncio.wait_for(coro, 10))


class Recorder(asyncio.Protocol):
    """Records what a protocol is told, and wakes ``lost`` at connection_lost."""

    def __init__(self) -> None:
        self.events: list = []
        self.received = bytearray()
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport
        self.events.append("made")

    def data_received(self, data):
        self.received += data

    def eof_received(self):
        self.events.append("eof")

    def pause_writing(self):
        self.events.append("pause")

    def resume_writing(self):
        self.events.append("resume")

    def connection_lost(self, exc):
        self.events.append(("lost", exc))
        self.lost.set_result(None)


def test_streams_echo_through_our_transport():
    async def upper(reader, writer):
        while data := await reader.read(4096):
            writer.write(data.upper())
            await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def main():
        server = await asyncio.start_server(upper, "127.0.0.1", 0)
        assert isinstance(server, asyncio_transport.Server)
        port = server.sockets[0].getsockname()[1]
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert isinstance(writer.transport, SocketTransport)
            assert writer.get_extra_info("peername")[1] == port
            payload = b"abc" * 200_000                # well past the high-water mark: drain waits
            writer.write(payload)
            writer.write_eof()
            reply = await reader.read()
            writer.close()
            await writer.wait_closed()
        return reply == payload.upper(), server.is_serving()

    assert run(main()) == (True, False)


def test_flow_control_pauses_and_resumes_the_protocol():
    async def main():
        left, right = socket.socketpair()
        with right:
            transport, protocol = await asyncio.get_running_loop().connect_accepted_socket(Recorder, left)
            transport.set_write_buffer_limits(high=1024)
            assert transport.get_write_buffer_limits() == (256, 1024)
            chunk = b"x" * 65536
            while "pause" not in protocol.events:     # the peer does not read: the buffer grows
                transport.write(chunk)
            buffered = transport.get_write_buffer_size()
            assert buffered > 1024
            right.setblocking(False)
            drained = 0
            while "resume" not in protocol.events:    # the peer reads: the buffer drains
                try:
                    drained += len(right.recv(1 << 20))
                except BlockingIOError:
                    pass
                await asyncio.sleep(0.001)
            transport.abort()
            await protocol.lost
        return protocol.events

    events = run(main())
    assert events[:3] == ["made", "pause", "resume"]
    assert events[-1] == ("lost", None)


def test_close_sends_the_buffer_first_and_abort_drops_it():
    async def main():
        results = {}
        for how in ("close", "abort"):
            left, right = socket.socketpair()
            with right:
                transport, protocol = await asyncio.get_running_loop().connect_accepted_socket(Recorder, left)
                transport.write(b"y" * (4 << 20))             # more than the socket buffer takes
                getattr(transport, how)()
                assert transport.is_closing()
                right.setblocking(False)
                received = 0
                while True:
                    try:
                        data = right.recv(1 << 20)
                    except BlockingIOError:
                        await asyncio.sleep(0.001)
                        continue
                    except ConnectionResetError:
                        break
                    if not data:
                        break
                    received += len(data)
                await protocol.lost
                results[how] = received
        return results

    results = run(main())
    assert results["close"] == 4 << 20
    assert results["abort"] < 4 << 20


def test_eof_from_the_peer_closes_unless_the_protocol_keeps_it_open():
    async def main():
        left, right = socket.socketpair()
        transport, protocol = await asyncio.get_running_loop().connect_accepted_socket(Recorder, left)
        right.sendall(b"last words")
        right.shutdown(socket.SHUT_WR)
        await protocol.lost
        right.close()
        return protocol.events, bytes(protocol.received)

    events, received = run(main())
    assert events == ["made", "eof", ("lost", None)]
    assert received == b"last words"


def test_wait_closed_waits_for_the_connections():
    async def main():
        server = await asyncio.get_running_loop().create_server(Recorder, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        transport, _ = await asyncio.get_running_loop().create_connection(Recorder, "127.0.0.1", port)
        await asyncio.sleep(0.05)
        server.close()
        waiting = asyncio.create_task(server.wait_closed())
        await asyncio.sleep(0.05)
        still_waiting = not waiting.done()
        server.close_clients()
        await waiting
        transport.close()
        return still_waiting

    assert run(main()) is True


def test_refused_connection_and_options_we_lack():
    async def main():
        loop = asyncio.get_running_loop()
        with socket.socket() as unused:
            unused.bind(("127.0.0.1", 0))
            port = unused.getsockname()[1]                 # bound, not listening: refused
            with pytest.raises(ConnectionRefusedError):
                await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
        with pytest.raises(NotImplementedError, match="ssl"):
            await loop.create_connection(asyncio.Protocol, "127.0.0.1", port, ssl=True)
        with pytest.raises(NotImplementedError, match="ssl"):
            await loop.create_server(asyncio.Protocol, "127.0.0.1", 0, ssl=True)
        with pytest.raises(TypeError):
            SocketTransport.write(None, "text")            # type checked before anything is touched
        return "ok"

    assert run(main()) == "ok"


class BufferedRecorder(asyncio.BufferedProtocol):
    """A buffered protocol (asyncpg's kind): the transport reads into its buffer."""

    def __init__(self) -> None:
        self.buffer = bytearray(7)                     # small: many reads for one message
        self.received = bytearray()
        self.events: list = []
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.events.append("made")

    def get_buffer(self, sizehint):
        return self.buffer

    def buffer_updated(self, nbytes):
        self.received += self.buffer[:nbytes]

    def eof_received(self):
        self.events.append("eof")

    def connection_lost(self, exc):
        self.events.append(("lost", exc))
        self.lost.set_result(None)


def buffered_protocol_scenario():
    async def main():
        left, right = socket.socketpair()
        with right:
            transport, protocol = await asyncio.get_running_loop().connect_accepted_socket(BufferedRecorder, left)
            right.sendall(b"read into the protocol's own buffer")
            right.shutdown(socket.SHUT_WR)
            await protocol.lost
        return protocol.events, bytes(protocol.received)

    return main()


def test_a_buffered_protocol_gets_its_data_through_get_buffer_and_buffer_updated():
    """asyncio.BufferedProtocol, as asyncio's selector transport serves it
    (_SelectorSocketTransport._read_ready__get_buffer): recv_into the buffer from
    get_buffer(), then buffer_updated(nbytes); data_received is never called."""
    with asyncio.Runner() as runner:                  # asyncio's own transport: the reference
        reference = runner.run(asyncio.wait_for(buffered_protocol_scenario(), 10))
    assert reference == (["made", "eof", ("lost", None)], b"read into the protocol's own buffer")
    assert run(buffered_protocol_scenario()) == reference


def test_a_buffered_protocol_whose_get_buffer_fails_loses_the_connection_with_the_error():
    """asyncio reports a failing get_buffer() (or an empty buffer) as a fatal error: the
    exception handler hears of it, and connection_lost gets the exception."""
    class Failing(BufferedRecorder):
        def get_buffer(self, sizehint):
            return bytearray()                         # empty: asyncio's RuntimeError

    async def main():
        loop = asyncio.get_running_loop()
        reported = []
        loop.set_exception_handler(lambda _, context: reported.append(context["message"]))
        left, right = socket.socketpair()
        with right:
            transport, protocol = await loop.connect_accepted_socket(Failing, left)
            right.sendall(b"data")
            await protocol.lost
        return reported, type(protocol.events[-1][1])

    reported, error = run(main())
    assert error is RuntimeError and len(reported) == 1 and "get_buffer" in reported[0]


def test_a_refused_create_connection_leaves_its_error_in_no_reference_cycle():
    """asyncio's create_connection lets go of its list of errors before the error leaves
    it (CPython gh-124859; anyio's test_happy_eyeballs_refcycles checks it): nothing
    but the catcher refers to the error, so no reference cycle keeps it."""
    import gc

    async def main():
        with socket.socket() as unused:
            unused.bind(("127.0.0.1", 0))
            port = unused.getsockname()[1]             # bound, not listening: refused
            try:
                await asyncio.get_running_loop().create_connection(asyncio.Protocol, "127.0.0.1", port)
            except ConnectionRefusedError as error:
                return error
        return None

    error = run(main())
    assert isinstance(error, ConnectionRefusedError)
    assert gc.get_referrers(error) == []

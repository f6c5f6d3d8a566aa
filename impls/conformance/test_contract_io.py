"""Contract clauses 10 to 13 (and clause 6 for I/O): I/O readiness and the ``sock_*`` coroutines.

Run on every loop that declares ``"io"``; a loop that does not is skipped with the
reason. Real sockets: ``socket.socketpair()`` and TCP on 127.0.0.1 only. The loops run
on the virtual clock with no timer armed, so an idle loop blocks in its real wait for
the sockets; every test is bounded (``timeout``) and none asserts a duration.
"""

from __future__ import annotations

import gc
import os
import random
import socket
import threading
import weakref

import pytest

import impls
from impls import CancelledError

pytestmark = pytest.mark.timeout(30)

MiB = 1 << 20


@pytest.fixture
def io_loop(loop):
    if "io" not in loop.capabilities:
        pytest.skip(f"the {loop.name} loop does not declare 'io'")
    return loop


@pytest.fixture
def sockets():
    """Make non-blocking socket pairs; every socket made is closed after the test."""
    made: list[socket.socket] = []

    def pair():
        a, b = socket.socketpair()
        for s in (a, b):
            s.setblocking(False)
            made.append(s)
        return a, b

    pair.made = made
    yield pair
    for s in made:
        s.close()


def payload(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def readable_pairs(sockets, n: int) -> list[tuple[socket.socket, socket.socket]]:
    """``n`` socket pairs ``(reader, writer)`` with data waiting: ``n`` fds readable at once."""
    pairs = [sockets() for _ in range(n)]
    for _, writer in pairs:
        writer.send(b"ready")
    return pairs


def callbacks_run_when_the_first_removes_the_rest(loop, watches) -> list:
    """Register every ``(add, remove, fd, tag)`` of ``watches`` (``loop.add_reader``,
    ``loop.remove_reader``, ...) at once, every fd ready: the first callback to run
    removes every registration and stops the loop. The tags of the callbacks that ran."""
    ran = []

    def first_removes_the_rest(me):
        ran.append(me)
        for _, remove, fd, _ in watches:
            remove(fd)
        loop.call_soon(loop.stop)

    for add, _, fd, tag in watches:
        add(fd, first_removes_the_rest, tag)
    loop.run_forever()
    return ran


def fill(sock: socket.socket) -> int:
    """Write into a non-blocking socket until its buffers are full; how many bytes."""
    total = 0
    while True:
        try:
            total += sock.send(b"x" * 65536)
        except BlockingIOError:
            return total


# ------------------------------------------------------------------ clause 0
@pytest.mark.contract(0)
def test_a_loop_that_declares_io_has_the_io_protocol(io_loop):
    assert isinstance(io_loop, impls.IOEventLoop)


# ------------------------------------------------------------------ clause 10
@pytest.mark.contract(10)
def test_a_reader_runs_on_the_loop_thread_once_its_fd_is_readable(io_loop, sockets):
    loop = io_loop
    a, b = sockets()
    seen = []

    def on_readable():
        seen.append((a.recv(100), threading.get_ident()))
        loop.remove_reader(a)
        loop.stop()

    def tick(n):                      # a few busy iterations with nothing to read
        seen.append(n)
        if n < 3:
            loop.call_soon(tick, n + 1)
        else:
            b.send(b"ping")

    loop.add_reader(a, on_readable)
    loop.call_soon(tick, 1)
    loop.run_forever()
    assert seen == [1, 2, 3, (b"ping", threading.get_ident())]


@pytest.mark.contract(10)
def test_a_busy_loop_still_runs_ready_readers(io_loop, sockets):
    """A callback that reschedules itself keeps the loop busy: it never idles (bounded: 10k turns)."""
    loop = io_loop
    a, b = sockets()
    spins = []
    got = []

    def spin():
        spins.append(1)
        if len(spins) == 3:
            b.send(b"while busy")
        if len(spins) < 10_000:
            loop.call_soon(spin)
        else:
            loop.stop()                               # the reader never ran: fail below

    def on_readable():
        got.append(a.recv(100))
        loop.remove_reader(a)
        loop.stop()

    loop.add_reader(a, on_readable)
    loop.call_soon(spin)
    loop.run_forever()
    assert got == [b"while busy"] and 3 <= len(spins) < 10_000


@pytest.mark.contract(10)
def test_readiness_is_level_triggered_a_reader_that_does_not_read_runs_again(io_loop, sockets):
    loop = io_loop
    a, b = sockets()
    b.send(b"unread")
    runs = []

    def on_readable(tag):
        runs.append(tag)
        if len(runs) == 3:
            loop.remove_reader(a)
            loop.stop()

    loop.add_reader(a, on_readable, "a")
    loop.run_forever()
    assert runs == ["a", "a", "a"]
    assert a.recv(100) == b"unread"                   # the loop itself never reads


@pytest.mark.contract(10)
def test_a_writer_runs_once_its_fd_is_writable(io_loop, sockets):
    loop = io_loop
    a, b = sockets()
    sent = fill(a)
    ran = []

    def on_writable():
        ran.append(a.send(b"more"))
        loop.remove_writer(a)
        loop.stop()

    def drain():
        left = sent
        while left:
            left -= len(b.recv(min(left, 1 << 16)))

    loop.add_writer(a, on_writable)
    loop.call_soon(drain)             # the peer reads: room again, so a becomes writable
    loop.run_forever()
    assert ran == [4]


@pytest.mark.contract(10)
def test_registering_again_replaces_the_callback(io_loop, sockets):
    loop = io_loop
    a, b = sockets()
    ran = []

    def first():
        ran.append("first")

    def second(tag):
        ran.append(tag)
        loop.remove_reader(a)
        loop.stop()

    loop.add_reader(a, first)
    loop.add_reader(a.fileno(), second, "second")     # an int fd and its socket are the same fd
    b.send(b"x")
    loop.run_forever()
    assert ran == ["second"]


@pytest.mark.contract(10)
def test_remove_reader_and_writer_say_whether_the_fd_was_watched(io_loop, sockets):
    loop = io_loop
    a, _ = sockets()
    assert loop.remove_reader(a) is False
    assert loop.remove_writer(a) is False
    loop.add_reader(a, print)
    loop.add_writer(a.fileno(), print)
    assert loop.remove_writer(a) is True              # the reader stays
    assert loop.remove_writer(a) is False
    assert loop.remove_reader(a.fileno()) is True
    assert loop.remove_reader(a) is False


def round_trip(loop, send_sock, recv_sock, data: bytes, *, into: bool) -> bytes:
    """Send ``data`` from one task while another receives it, in chunks of changing sizes."""
    sizes = random.Random(len(data))

    async def sender():
        view, offset = memoryview(data), 0
        while offset < len(data):               # several sendall calls, each of any size
            size = sizes.randrange(1, 256 * 1024)
            await loop.sock_sendall(send_sock, view[offset:offset + size])
            offset += size
        send_sock.shutdown(socket.SHUT_WR)

    async def receiver():
        got = bytearray()
        buf = bytearray(100_000)
        while True:
            if into:
                n = await loop.sock_recv_into(recv_sock, memoryview(buf)[:sizes.randrange(1, len(buf))])
                chunk = bytes(buf[:n])
            else:
                chunk = await loop.sock_recv(recv_sock, sizes.randrange(1, 100_000))
            if not chunk:
                return bytes(got)                 # end of stream
            got += chunk

    async def main():
        sending = loop.create_task(sender())
        got = await receiver()
        await sending
        return got

    return loop.run_until_complete(main())


@pytest.mark.contract(10)
@pytest.mark.parametrize("into", [False, True], ids=["sock_recv", "sock_recv_into"])
def test_data_through_a_socket_pair_is_never_lost_or_reordered(io_loop, sockets, into):
    a, b = sockets()
    data = payload(4 * MiB, seed=9)                   # far more than the socket buffers hold
    assert round_trip(io_loop, a, b, data, into=into) == data


@pytest.mark.contract(10)
def test_sock_recv_returns_empty_bytes_at_end_of_stream(io_loop, sockets):
    loop = io_loop
    a, b = sockets()

    async def main():
        await loop.sock_sendall(b, b"last words")
        b.close()
        first = await loop.sock_recv(a, 100)
        return first, await loop.sock_recv(a, 100), await loop.sock_recv(a, 100)

    assert loop.run_until_complete(main()) == (b"last words", b"", b"")


@pytest.fixture
def listener():
    server = socket.create_server(("127.0.0.1", 0), backlog=16)
    server.setblocking(False)
    yield server
    server.close()


def tcp_client() -> socket.socket:
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client.setblocking(False)
    return client


@pytest.mark.contract(10)
def test_tcp_echo_over_loopback_with_accept_and_connect_keeps_every_byte_in_order(io_loop, listener):
    """Ten clients at once, each with its own data, through an echo server on 127.0.0.1."""
    loop = io_loop
    clients = 10
    messages = {c: [payload(size, seed=c * 100 + size) for size in (1, 1024, 10 * 1024, 100 * 1024)]
                for c in range(clients)}
    opened: list[socket.socket] = []

    async def echo(conn):
        try:
            while True:
                data = await loop.sock_recv(conn, 65536)
                if not data:
                    return
                await loop.sock_sendall(conn, data)
        finally:
            conn.close()

    async def server():
        handlers = []
        for _ in range(clients):
            conn, address = await loop.sock_accept(listener)
            assert conn.gettimeout() == 0 and address[0] == "127.0.0.1"
            handlers.append(loop.create_task(echo(conn)))
        for handler in handlers:
            await handler

    async def client(c):
        sock = tcp_client()
        opened.append(sock)
        await loop.sock_connect(sock, listener.getsockname())
        replies = []
        for message in messages[c]:
            await loop.sock_sendall(sock, message)
            reply = bytearray()
            while len(reply) < len(message):
                chunk = await loop.sock_recv(sock, 65536)
                assert chunk, "the server closed early"
                reply += chunk
            replies.append(bytes(reply))
        sock.shutdown(socket.SHUT_WR)
        assert await loop.sock_recv(sock, 100) == b""     # the server saw end of stream and closed
        return replies

    async def main():
        serving = loop.create_task(server())
        tasks = [loop.create_task(client(c)) for c in range(clients)]
        replies = [await t for t in tasks]
        await serving
        return replies

    try:
        assert loop.run_until_complete(main()) == [messages[c] for c in range(clients)]
    finally:
        for sock in opened:
            sock.close()


@pytest.mark.contract(10)
def test_sock_connect_to_a_closed_port_raises_the_connection_error(io_loop):
    loop = io_loop
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    address = probe.getsockname()
    probe.close()                                     # nobody listens there now
    sock = tcp_client()
    try:
        with pytest.raises(ConnectionRefusedError):
            loop.run_until_complete(loop.sock_connect(sock, address))
        assert loop.remove_writer(sock) is False
    finally:
        sock.close()


# ----------------------------------------------------------------- clause 11
def cancel_while_waiting(loop, coroutine_function):
    """Start a task, let it block in its first wait, cancel it; return what awaiting it raised."""
    async def main():
        task = loop.create_task(coroutine_function())
        await loop.sleep(0)                           # the task runs up to its wait
        await loop.sleep(0)
        assert not task.done()
        task.cancel()
        try:
            await task
        except CancelledError:
            return "cancelled"
        return "not cancelled"

    return loop.run_until_complete(main())


@pytest.mark.contract(11)
def test_a_task_cancelled_in_sock_recv_leaves_no_registration(io_loop, sockets):
    loop = io_loop
    a, b = sockets()
    assert cancel_while_waiting(loop, lambda: loop.sock_recv(a, 100)) == "cancelled"
    assert loop.remove_reader(a) is False             # nothing left watching a
    b.send(b"for the next reader")                    # and a new receive gets the data

    async def again():
        return await loop.sock_recv(a, 100)

    assert loop.run_until_complete(again()) == b"for the next reader"


@pytest.mark.contract(11)
def test_a_task_cancelled_in_sock_sendall_or_sock_accept_leaves_no_registration(io_loop, sockets, listener):
    loop = io_loop
    a, b = sockets()
    fill(a)
    assert cancel_while_waiting(loop, lambda: loop.sock_sendall(a, b"y" * MiB)) == "cancelled"
    assert loop.remove_writer(a) is False
    assert cancel_while_waiting(loop, lambda: loop.sock_accept(listener)) == "cancelled"
    assert loop.remove_reader(listener) is False


@pytest.mark.contract(11)
def test_a_task_cancelled_in_sock_recv_runs_its_finally_and_the_loop_keeps_serving(io_loop, sockets):
    loop = io_loop
    a, b = sockets()
    c, d = sockets()
    unwound = []

    async def reader():
        try:
            await loop.sock_recv(a, 100)
        finally:
            unwound.append("finally")

    assert cancel_while_waiting(loop, reader) == "cancelled"
    assert unwound == ["finally"]

    async def other():
        await loop.sock_sendall(d, b"still serving")
        return await loop.sock_recv(c, 100)

    assert loop.run_until_complete(other()) == b"still serving"



@pytest.mark.contract(11)
def test_when_one_of_two_tasks_waiting_on_a_socket_is_cancelled_the_other_still_gets_the_data(io_loop, sockets):
    """Two readers of one socket: the second registration replaces the first (one
    reader per fd, as asyncio's). Cancelling the first task must not remove the
    second task's registration: asyncio's sock_recv removes the reader only if its
    own handle is still the registered one (selector_events._sock_read_done)."""
    loop = io_loop
    a, b = sockets()

    async def main():
        first = loop.create_task(loop.sock_recv(a, 100))
        second = loop.create_task(loop.sock_recv(a, 100))
        await loop.sleep(0)
        await loop.sleep(0)                           # both wait in sock_recv
        first.cancel()
        await loop.sleep(0)
        await loop.sleep(0)
        assert first.cancelled() and not second.done()
        b.send(b"for the second")
        return await second

    assert loop.run_until_complete(main()) == b"for the second"
    assert loop.remove_reader(a) is False             # and nothing is left behind


# ----------------------------------------------------------------- clause 12
@pytest.mark.contract(12)
def test_a_writer_removed_by_the_reader_of_the_same_ready_fd_does_not_run(io_loop, sockets):
    """One fd both readable and writable: whichever callback runs first removes the other."""
    loop = io_loop
    a, b = sockets()
    b.send(b"readable")                               # a is readable, and writable (empty buffer)
    watches = [(loop.add_reader, loop.remove_reader, a, "reader"), (loop.add_writer, loop.remove_writer, a, "writer")]
    assert len(callbacks_run_when_the_first_removes_the_rest(loop, watches)) == 1


@pytest.mark.contract(12)
def test_a_reader_removed_while_its_callback_is_ready_does_not_run(io_loop, sockets):
    """Three fds ready at once: whichever reader runs first removes the other two."""
    loop = io_loop
    pairs = readable_pairs(sockets, 3)
    watches = [(loop.add_reader, loop.remove_reader, reader, i) for i, (reader, _) in enumerate(pairs)]
    assert len(callbacks_run_when_the_first_removes_the_rest(loop, watches)) == 1


@pytest.mark.contract(12)
def test_a_reader_replaced_while_its_callback_is_ready_runs_only_as_the_new_one(io_loop, sockets):
    loop = io_loop
    pairs = readable_pairs(sockets, 2)
    ran = []

    def replace_the_others(me):
        ran.append(me)
        for i, (reader, _) in enumerate(pairs):
            loop.remove_reader(reader)
            loop.add_reader(reader, replaced, i)      # a new callback for the same fd

    def replaced(i):
        ran.append(("new", i))
        loop.remove_reader(pairs[i][0])
        if len(ran) == 3:
            loop.stop()

    for i, (reader, _) in enumerate(pairs):
        loop.add_reader(reader, replace_the_others, i)
    loop.run_forever()
    assert ran[0] in (0, 1)                           # one old callback ran, the other never did
    assert sorted(ran[1:]) == [("new", 0), ("new", 1)]



@pytest.mark.contract(12)
@pytest.mark.parametrize("kind", ["reader", "writer"])
def test_removing_a_closed_socket_unregisters_it_and_its_fd_number_serves_again(io_loop, kind):
    """Close first, remove after (cleanup code does this): as asyncio's selector loop,
    which finds the registration of an object whose fileno() is now -1, removal
    returns True and forgets it. The loop keeps running, and a new socket that
    reuses the fd number is watched like any other."""
    loop = io_loop
    add, remove = getattr(loop, f"add_{kind}"), getattr(loop, f"remove_{kind}")
    a, b = socket.socketpair()
    fd = a.fileno()
    add(a, print)
    a.close()
    b.close()
    assert remove(a) is True
    with pytest.raises(ValueError):                   # forgotten: a closed socket is no fd (asyncio too)
        remove(a)
    c, d = socket.socketpair()                        # the lowest free numbers: fd again
    try:
        for s in (c, d):
            s.setblocking(False)
        reused = c if c.fileno() == fd else d
        peer = d if reused is c else c
        assert reused.fileno() == fd
        peer.send(b"to the new socket")
        seen = []

        def ready():
            seen.append(kind)
            remove(reused)
            loop.stop()

        add(reused, ready)
        loop.run_forever()
        assert seen == [kind]
    finally:
        c.close()
        d.close()


# ----------------------------------------------------------------- clause 13
@pytest.mark.contract(13)
def test_closing_the_loop_unregisters_every_fd_and_closes_no_socket(io_loop, impl, sockets, listener):
    loop = io_loop
    a, b = sockets()
    c, d = sockets()
    loop.add_reader(a, print)
    loop.add_writer(b, print)
    waiting = loop.create_task(loop.sock_recv(c, 100))
    loop.call_soon(lambda: loop.call_soon(loop.stop))
    loop.run_forever()                                # the task now waits in sock_recv(c)
    assert not waiting.done()
    loop.close()

    assert loop.remove_reader(a) is False and loop.remove_writer(b) is False
    for sock in (a, b, c, d, listener):
        assert sock.fileno() >= 0, f"{sock!r} was closed by the loop"
    d.send(b"to c")
    b.send(b"to a")

    fresh = impls.create(impl, clock=impls.VirtualClock())   # the sockets serve another loop
    try:
        async def main():
            return await fresh.sock_recv(a, 100), await fresh.sock_recv(c, 100)

        assert fresh.run_until_complete(main()) == (b"to a", b"to c")
    finally:
        fresh.close()


@pytest.mark.contract(13)
def test_a_closed_loop_keeps_no_watched_callback_and_is_freed_once_dropped(io_loop, impl, sockets):
    class Callback:
        def __call__(self):
            pass

    a, b = sockets()
    loop = impls.create(impl, clock=impls.VirtualClock())
    reader, writer = Callback(), Callback()
    loop.add_reader(a, reader)
    loop.add_writer(b, writer)
    loop.call_soon(loop.stop)
    loop.run_forever()
    callbacks = [weakref.ref(reader), weakref.ref(writer)]
    del reader, writer
    enabled = gc.isenabled()
    gc.disable()                                      # a reference cycle would keep them alive
    try:
        loop.close()
        assert [ref() for ref in callbacks] == [None, None]
        closed = weakref.ref(loop)
        del loop
        assert closed() is None
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------- clause 6, for I/O
def assert_io_healthy(loop, sockets):
    a, b = sockets()

    async def main():
        await loop.sock_sendall(a, b"healthy")
        return await loop.sock_recv(b, 100)

    assert loop.run_until_complete(main()) == b"healthy"
    ran = []
    loop.call_soon(ran.append, "soon")
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert ran == ["soon"]


def closed_fd_number() -> int:
    fd = os.open(os.devnull, os.O_RDONLY)
    os.close(fd)
    return fd                                         # not open any more


@pytest.mark.contract(6)
@pytest.mark.parametrize("method", ["add_reader", "add_writer"])
def test_add_reader_or_writer_refuses_a_bad_fd_or_callback_at_the_call(io_loop, sockets, method):
    loop = io_loop
    add = getattr(loop, method)
    a, _ = sockets()
    closed = socket.socket()
    closed.close()
    for bad in ("3", None, 1.5, object(), -1, closed):
        with pytest.raises(ValueError):
            add(bad, print)
    add(a, print)                                     # whatever the loop opens to watch fds is open now,
    getattr(loop, method.replace("add", "remove"))(a)  # so the closed number stays closed
    with pytest.raises((ValueError, OSError)):
        add(closed_fd_number(), print)
    for bad in (None, 42, "print"):
        with pytest.raises(TypeError, match="callable"):
            add(a, bad)
    # nothing was registered by a refused call
    assert loop.remove_reader(a) is False and loop.remove_writer(a) is False
    assert_io_healthy(loop, sockets)


@pytest.mark.contract(6)
def test_remove_reader_or_writer_refuses_what_is_not_an_fd(io_loop, sockets):
    for bad in ("3", None, -1):
        with pytest.raises(ValueError):
            io_loop.remove_reader(bad)
        with pytest.raises(ValueError):
            io_loop.remove_writer(bad)
    assert_io_healthy(io_loop, sockets)


def sock_calls(loop, sock, peer_address=("127.0.0.1", 9)):
    return {
        "sock_recv": lambda: loop.sock_recv(sock, 10),
        "sock_recv_into": lambda: loop.sock_recv_into(sock, bytearray(10)),
        "sock_sendall": lambda: loop.sock_sendall(sock, b"data"),
        "sock_accept": lambda: loop.sock_accept(sock),
        "sock_connect": lambda: loop.sock_connect(sock, peer_address),
    }


@pytest.mark.contract(6)
def test_a_blocking_socket_is_a_value_error_at_the_call(io_loop, sockets):
    a, _ = sockets()
    blocking = socket.socket()
    try:
        for name, call in sock_calls(io_loop, blocking).items():
            with pytest.raises(ValueError, match="non-blocking"):
                call()
    finally:
        blocking.close()
    assert_io_healthy(io_loop, sockets)


@pytest.mark.contract(6)
def test_a_closed_socket_or_a_non_socket_is_refused_at_the_call(io_loop, sockets):
    closed = socket.socket()
    closed.setblocking(False)
    closed.close()
    for name, call in sock_calls(io_loop, closed).items():
        with pytest.raises((ValueError, OSError)):
            call()
    for not_a_socket in (3, "socket", None):
        for name, call in sock_calls(io_loop, not_a_socket).items():
            with pytest.raises(TypeError, match=name):
                call()
    assert_io_healthy(io_loop, sockets)


@pytest.mark.contract(6)
def test_bad_sizes_buffers_data_and_addresses_are_refused_at_the_call(io_loop, sockets):
    loop = io_loop
    a, _ = sockets()
    with pytest.raises(TypeError):
        loop.sock_recv(a, "10")
    with pytest.raises(ValueError):
        loop.sock_recv(a, -1)
    with pytest.raises(TypeError):
        loop.sock_recv_into(a, b"read-only bytes")
    with pytest.raises(TypeError):
        loop.sock_recv_into(a, "text")
    with pytest.raises(TypeError):
        loop.sock_sendall(a, "text is not bytes")
    tcp = tcp_client()
    try:
        with pytest.raises(ValueError, match="resolved"):
            loop.sock_connect(tcp, ("localhost", 80))     # a name lookup would block the loop
        with pytest.raises(TypeError):
            loop.sock_connect(tcp, "127.0.0.1:80")
    finally:
        tcp.close()
    assert loop.remove_reader(a) is False and loop.remove_writer(a) is False
    assert_io_healthy(loop, sockets)


@pytest.mark.contract(6)
def test_io_on_a_closed_loop_is_a_runtime_error_and_removal_says_false(io_loop, sockets):
    loop = io_loop
    a, _ = sockets()
    loop.close()
    for call in (lambda: loop.add_reader(a, print), lambda: loop.add_writer(a, print),
                 *sock_calls(loop, a).values()):
        with pytest.raises(RuntimeError, match="closed"):
            call()
    assert loop.remove_reader(a) is False and loop.remove_writer(a) is False
    assert a.fileno() >= 0

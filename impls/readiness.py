"""I/O readiness: what every loop that declares ``"io"`` shares.

An event loop exists to wait on I/O. A loop with the capability ``"io"`` has
asyncio's names and semantics for it:

* ``add_reader(fd, callback, *args)`` / ``add_writer(fd, callback, *args)``: call
  ``callback(*args)`` on the loop's thread at every iteration in which ``fd`` is
  readable (writable), until ``remove_reader(fd)`` / ``remove_writer(fd)``, which
  return whether ``fd`` was watched. ``fd`` is an int or has ``fileno()``.
  Registering again replaces the callback. Readiness is *level-triggered*: a callback
  that does not read what is there runs again at the next iteration.
* the coroutines ``sock_recv``, ``sock_recv_into``, ``sock_sendall``, ``sock_accept``
  and ``sock_connect`` on non-blocking sockets, written on top of them the way
  asyncio's selector loop writes them: try the operation; if it would block, wait
  until the socket is ready and try again.

Each loop watches file descriptors its own way, which is what it teaches:

==============  =================================================================
``list``        ``select.select()`` over every watched fd, every iteration: O(n)
``heap``        the ``selectors`` selector its idle wait already blocks in
``thread``      a selector thread hands ready fds over to the loop thread
``trampoline``  a task yields ``ReadWait``/``WriteWait`` to the scheduler (pyos8)
==============  =================================================================

This module holds what they share, so each loop writes only where fds are kept:

* ``Readiness``, a mixin with the public methods. It checks its input (bad input
  gets a clear error at the call and leaves the loop healthy: an fd that is not an
  int or a file object, or is negative or closed -> ``ValueError``; an fd that is not
  open -> ``OSError``; a non-callable -> ``TypeError``; a blocking socket ->
  ``ValueError``, as in asyncio; a closed loop -> ``RuntimeError``), reports to the
  tracer (``watch``, ``unwatch``), and calls two hooks the loop provides:

  ``_watch(fd, kind, handle)``  keep ``handle`` for ``fd`` (``kind``: ``READ`` or
                                ``WRITE``); return the handle it replaces, or None
  ``_unwatch(fd, kind)``        forget it; return the handle, or None if none

  The loop's wait then puts the handle of each ready fd on its ready queue (with
  ``_trace_ready`` when traced). A handle removed while it waits in the ready queue
  is cancelled, so it does not run.
* ``SelectorWatch``: fds kept in a ``selectors`` selector as asyncio keeps them, a
  ``[reader, writer]`` pair of handles per fd (the heap, wheel and thread loops,
  and the loop ``loopbench new-impl`` scaffolds).

``remove_reader``/``remove_writer`` on a closed loop return False, as in asyncio:
closing unregistered everything, and cleanup code in ``finally`` blocks may still
run after it. Closing a loop never closes the user's sockets.

**Registrations are kept by fd number**, and the mixin remembers which object each
was made with. So removing a socket that was closed in the meantime (its
``fileno()`` is now -1) still finds and removes its registration and returns True,
as asyncio's selector does (``selectors`` looks the object up among its keys). A
new socket that reuses the number is then watched like any other.

**One reader (writer) per fd**, so two tasks in ``sock_recv`` on one socket share a
registration: the second replaces the first. A waiting coroutine removes the
registration when it is done (woken, or cancelled) only if it is still its own, as
asyncio's ``_sock_read_done`` checks ``handle.cancelled()``: cancelling the first
task leaves the second one's registration in place, and the second gets the data.
"""

from __future__ import annotations

import operator
import os
import selectors
import socket
from typing import Any, Awaitable, Callable

from .base import check_callable
from .handles import Handle
from .tasks import Future
from .trace import READY, SELECT, UNWATCH, WATCH, Event

READ, WRITE = "read", "write"


# ----------------------------------------------------------------- checks
def fd_of(fileobj: Any) -> int:
    """The file descriptor of ``fileobj``: an int, or an object with ``fileno()``."""
    if isinstance(fileobj, int) and not isinstance(fileobj, bool):
        fd = fileobj
    else:
        fileno = getattr(fileobj, "fileno", None)
        if not callable(fileno):
            raise ValueError(f"invalid file object {fileobj!r}: a file descriptor is an int "
                             "or has a fileno() method")
        try:
            fd = fileno()
        except (OSError, ValueError) as exc:            # e.g. a closed file object
            raise ValueError(f"invalid file object {fileobj!r}: {exc}") from None
        if isinstance(fd, bool) or not isinstance(fd, int):
            raise ValueError(f"invalid file object {fileobj!r}: fileno() returned {fd!r}")
    if fd < 0:
        raise ValueError(f"invalid file descriptor {fd} (a closed socket's fileno() is -1)")
    return fd


def check_socket(sock: Any, what: str) -> None:
    """A ``sock_*`` coroutine needs an open, non-blocking socket."""
    if not isinstance(sock, socket.socket):
        raise TypeError(f"{what}() needs a socket.socket, got {type(sock).__name__}: {sock!r}")
    if sock.fileno() < 0:
        raise ValueError(f"{what}(): the socket is closed")
    if sock.gettimeout() != 0:
        raise ValueError(f"{what}(): the socket must be non-blocking (call sock.setblocking(False)); "
                         "a blocking call would stop the whole loop")


def check_resolved(sock: socket.socket, address: Any) -> None:
    """``sock_connect`` does not resolve names: a DNS lookup would block the loop."""
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    if not isinstance(address, tuple) or len(address) < 2:
        raise TypeError(f"sock_connect(): an address is a (host, port) tuple, got {address!r}")
    try:
        socket.getaddrinfo(address[0], address[1], sock.family, sock.type, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        raise ValueError(f"sock_connect() needs a resolved address (an IP address), got {address[0]!r}: "
                         "resolving a name would block the loop") from None


# ------------------------------------------------------- the sock_* algorithm
class SocketCoroutines:
    """The ``sock_*`` coroutines' bodies, asyncio's way: try the call, wait only if it would block.

    As asyncio's selector loop (``selector_events.sock_recv`` and the others), each
    first makes the non-blocking call; only if it would block does it wait for the
    socket to be ready, and then it tries again. So a call that can complete at once
    completes in the caller's step, without suspending, and a task cancelled while it
    waits has read (or accepted) nothing: the wait is for *readiness*, and the data
    stays in the socket for the next reader. (asyncio reads in the reader callback and
    keeps the data in a future, which a cancel that comes just after can drop.)

    Used by ``Readiness`` (the loops' own I/O) and by ``asyncio_host.AsyncioLoop``;
    the class provides how to wait: ``_readable(sock)`` and ``_writable(sock)``,
    awaitables done once ``sock`` is readable (writable).
    """

    async def _read_when_ready(self, sock: socket.socket, read: Callable[..., Any], *args: Any) -> Any:
        """``read(*args)``, a call on ``sock``; while it would block, wait until ``sock`` is readable."""
        while True:
            try:
                return read(*args)
            except (BlockingIOError, InterruptedError):
                await self._readable(sock)

    async def _sock_sendall(self, sock: socket.socket, view: memoryview) -> None:
        while view:
            try:
                sent = sock.send(view)
            except (BlockingIOError, InterruptedError):
                await self._writable(sock)
            else:
                view = view[sent:]

    async def _sock_accept(self, sock: socket.socket) -> tuple[socket.socket, Any]:
        conn, address = await self._read_when_ready(sock, sock.accept)
        conn.setblocking(False)
        return conn, address

    async def _sock_connect(self, sock: socket.socket, address: Any) -> None:
        try:
            sock.connect(address)
            return
        except (BlockingIOError, InterruptedError):
            pass                                        # in progress: writable once it is done
        await self._writable(sock)
        error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error:
            raise OSError(error, f"connect to {address!r}: {os.strerror(error)}")

    def _readable(self, sock: socket.socket) -> Awaitable[None]:
        raise NotImplementedError

    def _writable(self, sock: socket.socket) -> Awaitable[None]:
        raise NotImplementedError


# ------------------------------------------------------------------ the mixin
class Readiness(SocketCoroutines):
    """add_reader/add_writer/remove_*, and the ``sock_*`` coroutines, for a ``BaseLoop``.

    A loop mixes this in (``class MyLoop(Readiness, BaseLoop)``), declares ``"io"``,
    and provides ``_watch``/``_unwatch`` and a wait that reports ready fds.
    """

    # ---------------------------------------------------------- readiness
    def add_reader(self, fd: Any, callback: Callable[..., Any], *args: Any) -> None:
        """Call ``callback(*args)`` at each iteration in which ``fd`` is readable. Replaces any reader."""
        self._add(fd, READ, callback, args)

    def add_writer(self, fd: Any, callback: Callable[..., Any], *args: Any) -> None:
        """Call ``callback(*args)`` at each iteration in which ``fd`` is writable. Replaces any writer."""
        self._add(fd, WRITE, callback, args)

    def remove_reader(self, fd: Any) -> bool:
        """Stop watching ``fd`` for reading; True if it was watched. Its callback will not run again."""
        return self._remove(fd, READ)

    def remove_writer(self, fd: Any) -> bool:
        """Stop watching ``fd`` for writing; True if it was watched. Its callback will not run again."""
        return self._remove(fd, WRITE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The object each (fd, kind) registration was made with, if not a plain int:
        #: how a socket closed since (fileno() -1) is found again at its removal.
        self._watched_objects: dict[tuple[int, str], Any] = {}

    def _add(self, fileobj: Any, kind: str, callback: Callable[..., Any], args: tuple) -> Handle:
        """Register; return the handle, which is cancelled once it is replaced or removed."""
        if self._closed:
            self._raise_closed()
        fd = fd_of(fileobj)
        check_callable(callback)
        handle = Handle(callback, args, self)
        replaced = self._watch(fd, kind, handle)        # OSError here for an fd that is not open
        if replaced is not None:
            replaced.cancel()
        if fileobj is not fd:
            self._watched_objects[fd, kind] = fileobj
        elif replaced is not None:
            self._watched_objects.pop((fd, kind), None)
        if self._tracer is not None:
            self._tracer.event(Event(WATCH, self._clock.time(), handle, (fd, kind)))
        return handle

    def _remove(self, fileobj: Any, kind: str) -> bool:
        if self._closed:
            return False
        try:
            fd = fd_of(fileobj)
        except ValueError:
            fd = self._registered_fd(fileobj, kind)     # closed since it was registered?
            if fd is None:
                raise
        self._watched_objects.pop((fd, kind), None)
        handle = self._unwatch(fd, kind)
        if handle is None:
            return False
        handle.cancel()                                 # ready this iteration? then it does not run
        if self._tracer is not None:
            self._tracer.event(Event(UNWATCH, self._clock.time(), None, (fd, kind)))
        return True

    def close(self) -> None:
        super().close()                                 # unregisters every fd (the loop's _close)
        self._watched_objects.clear()

    def _registered_fd(self, fileobj: Any, kind: str) -> int | None:
        """The fd ``fileobj`` was registered (for ``kind``) with, found by identity; None if none.
        Only for an object that has no fd any more (a closed socket): O(watched fds)."""
        for (fd, watched_kind), watched in self._watched_objects.items():
            if watched is fileobj and watched_kind == kind:
                return fd
        return None

    def _trace_ready(self, watched: int, ready: list[tuple[Handle, int, str]]) -> None:
        """Report a look at ``watched`` fds, and each ``(handle, fd, kind)`` found ready."""
        tracer, now = self._tracer, self._clock.time()
        tracer.event(Event(SELECT, now, None, watched))
        for handle, fd, kind in ready:
            tracer.event(Event(READY, now, handle, (fd, kind)))

    # hooks, provided by the loop
    def _watch(self, fd: int, kind: str, handle: Handle) -> Handle | None:
        raise NotImplementedError

    def _unwatch(self, fd: int, kind: str) -> Handle | None:
        raise NotImplementedError

    # ----------------------------------------------------------- sockets
    # Each public method checks its input at the call, then returns the coroutine.
    def sock_recv(self, sock: socket.socket, nbytes: int) -> Awaitable[bytes]:
        """Receive up to ``nbytes`` bytes; ``b""`` at end of stream."""
        self._check_sock(sock, "sock_recv")
        nbytes = operator.index(nbytes)
        if nbytes < 0:
            raise ValueError(f"sock_recv(): nbytes must be >= 0, got {nbytes}")
        return self._read_when_ready(sock, sock.recv, nbytes)

    def sock_recv_into(self, sock: socket.socket, buf: Any) -> Awaitable[int]:
        """Receive into the writable buffer ``buf``; return the number of bytes (0 at end of stream)."""
        self._check_sock(sock, "sock_recv_into")
        view = memoryview(buf)                          # TypeError if not a buffer
        if view.readonly:
            raise TypeError(f"sock_recv_into() needs a writable buffer, got {type(buf).__name__}")
        return self._read_when_ready(sock, sock.recv_into, view)

    def sock_sendall(self, sock: socket.socket, data: Any) -> Awaitable[None]:
        """Send all of ``data`` (bytes-like), waiting for room as often as it takes."""
        self._check_sock(sock, "sock_sendall")
        view = memoryview(data)                         # TypeError if not bytes-like
        if view.ndim != 1 or view.format != "B":
            view = view.cast("B")
        return self._sock_sendall(sock, view)

    def sock_accept(self, sock: socket.socket) -> Awaitable[tuple[socket.socket, Any]]:
        """Accept a connection on the listening ``sock``: ``(conn, address)``, ``conn`` non-blocking."""
        self._check_sock(sock, "sock_accept")
        return self._sock_accept(sock)

    def sock_connect(self, sock: socket.socket, address: Any) -> Awaitable[None]:
        """Connect ``sock`` to ``address``, which must be resolved (an IP address, not a name)."""
        self._check_sock(sock, "sock_connect")
        check_resolved(sock, address)
        return self._sock_connect(sock, address)

    def _check_sock(self, sock: Any, what: str) -> None:
        if self._closed:
            self._raise_closed()
        check_socket(sock, what)

    # How a coroutine waits for a socket: on a future that a one-off reader (writer)
    # completes. The trampoline loop replaces these two with pyos8's requests.
    def _readable(self, sock: socket.socket) -> Awaitable[None]:
        return self._wait_ready(sock.fileno(), READ)

    def _writable(self, sock: socket.socket) -> Awaitable[None]:
        return self._wait_ready(sock.fileno(), WRITE)

    async def _wait_ready(self, fd: int, kind: str) -> None:
        future = Future(self)
        handle = self._add(fd, kind, self._io_done, (future, fd, kind))
        try:
            await future
        finally:                                        # cancelled: no registration left either,
            if not handle.cancelled():                  # unless another waiter's replaced ours
                self._remove(fd, kind)

    def _io_done(self, future: Future, fd: int, kind: str) -> None:
        # One wake-up per wait: stop watching now, or the fd, still readable until the
        # task has read, would be reported (and its callback queued) again meanwhile.
        self._remove(fd, kind)
        if not future.done():
            future.set_result(None)


# ------------------------------------------------------- fds in a selector
EVENTS = {READ: selectors.EVENT_READ, WRITE: selectors.EVENT_WRITE}
SLOT = {READ: 0, WRITE: 1}


class SelectorWatch:
    """Watched fds in a ``selectors`` selector: per fd, a ``[reader, writer]`` pair of handles.

    The pairs live in ``handles`` (a plain dict: looking an fd up costs no exception,
    unlike ``selector.get_key``); the selector only learns which events to wait for.
    Other registrations of the same selector, such as a wake-up socket, are the
    loop's own business and not counted.
    """

    __slots__ = ("selector", "handles")

    def __init__(self, selector: selectors.BaseSelector) -> None:
        self.selector = selector
        self.handles: dict[int, list[Handle | None]] = {}

    @property
    def count(self) -> int:
        """How many fds are watched."""
        return len(self.handles)

    def watch(self, fd: int, kind: str, handle: Handle) -> Handle | None:
        slot = SLOT[kind]
        handles = self.handles.get(fd)
        if handles is None:
            self.selector.register(fd, EVENTS[kind])          # OSError: not an open fd
            handles = self.handles[fd] = [None, None]
        elif handles[slot] is None:                           # now both reading and writing
            try:
                self.selector.modify(fd, selectors.EVENT_READ | selectors.EVENT_WRITE)
            except KeyError:                                  # the selector dropped it (see unwatch)
                self.selector.register(fd, selectors.EVENT_READ | selectors.EVENT_WRITE)
        replaced, handles[slot] = handles[slot], handle
        return replaced

    def unwatch(self, fd: int, kind: str) -> Handle | None:
        slot = SLOT[kind]
        handles = self.handles.get(fd)
        if handles is None or handles[slot] is None:
            return None
        handle, handles[slot] = handles[slot], None
        # A closed fd may be unwatched too (its socket closed first): epoll has dropped
        # it already, and a failed modify makes the selector forget it; either way the
        # pair here is what counts, and a new fd with the same number starts afresh.
        if handles[1 - slot] is None:                         # nothing left to wait for
            del self.handles[fd]
            try:
                self.selector.unregister(fd)
            except KeyError:
                pass
        else:
            try:
                self.selector.modify(fd, EVENTS[WRITE if kind == READ else READ])
            except (OSError, KeyError):
                pass
        return handle

    def ready(self, fd: int, mask: int) -> list[tuple[Handle, int, str]]:
        """The handles to run for ``fd`` reported ready with ``mask``: ``(handle, fd, kind)``."""
        handles = self.handles.get(fd)
        if handles is None:                                   # unwatched since the selector looked
            return []
        reader, writer = handles
        found = []
        if mask & selectors.EVENT_READ and reader is not None:
            found.append((reader, fd, READ))
        if mask & selectors.EVENT_WRITE and writer is not None:
            found.append((writer, fd, WRITE))
        return found

    def close(self) -> None:
        """Close the selector and forget every watched fd: the loop is closing. The
        handles go with it (a callback may refer to whoever watches: kept, they would
        keep a closed loop alive in a reference cycle). The sockets are the user's."""
        self.selector.close()
        self.handles.clear()


__all__ = ["READ", "WRITE", "Readiness", "SelectorWatch", "SocketCoroutines", "check_resolved", "check_socket", "fd_of"]

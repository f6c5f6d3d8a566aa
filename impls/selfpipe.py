"""The self-pipe trick: how another thread wakes a loop that waits in ``select()``.

A loop blocked in ``select()`` (or a selector) waits for file descriptors, not for
Python calls: another thread that hands it work has no way in. So the loop also
watches one end of a socket pair, and the other thread writes a byte to the other
end (``poke``). That end becomes readable, the wait returns, and the loop reads
what was written (``drain``) so that its next wait blocks again.

Both ends are non-blocking. A poke into a full buffer is dropped: the loop has
bytes to read, so it is awake already. A poke after ``close()`` is dropped too:
there is nobody left to wake.

The list and heap loops wake their idle wait this way (``call_soon_threadsafe``);
the thread loop pokes its selector thread when the watched fds change.
"""

from __future__ import annotations

import socket


class SelfPipe:
    """A socket pair: watch ``fileno()`` for reading, ``poke()`` from any thread to wake the watcher.

    A selector can register the ``SelfPipe`` itself (it has ``fileno()``); its keys
    then carry it as their ``fileobj``.
    """

    __slots__ = ("_recv", "_send")

    def __init__(self) -> None:
        self._recv, self._send = socket.socketpair()
        self._recv.setblocking(False)
        self._send.setblocking(False)

    def fileno(self) -> int:
        """The end to watch for reading."""
        return self._recv.fileno()

    def poke(self) -> None:
        """Make ``fileno()`` readable, so a wait on it returns. Safe from any thread."""
        try:
            self._send.send(b"\0")
        except OSError:          # buffer full (the watcher is awake already) or closed
            pass

    def drain(self) -> None:
        """Read every byte poked so far, so that the next wait blocks again."""
        try:
            while self._recv.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    @property
    def closed(self) -> bool:
        return self._recv.fileno() == -1 and self._send.fileno() == -1

    def close(self) -> None:
        self._recv.close()
        self._send.close()


__all__ = ["SelfPipe"]

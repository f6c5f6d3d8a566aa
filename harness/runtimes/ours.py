"""Runtimes for our own loops: one per name in ``impls.names()``, built through the protocol.

Nothing here knows which implementations exist: a loop registered with
``impls.register`` (or through the ``loopbench.impls`` entry point) gets a runtime,
and so joins every comparison, with no harness code. The loop's own methods
(``create_task``, ``call_soon``, ``call_at``, ...) come through ``loopapi.py``.

The protocol has no Event, Lock or Queue; they are emulated here from the loop's
futures (``create_future``), the way asyncio builds its own. A loop without
``create_future`` cannot express them and reports them unsupported. ``timeout``
needs "the current task", which the protocol does not expose: unsupported.

``call_soon_threadsafe`` is the loop's own, and native, on a loop that declares the
``"threadsafe"`` capability (``impls.protocol.CAPABILITIES``): it can be woken by
another thread while it waits. Every loop has the method, but on one without the
capability (the slides' list loop) a callback posted to an idle loop waits until
something else wakes it (its next timer, or never), so there it is unsupported,
not measured as a hang. The support table therefore differs per loop: ``support``
is computed per runtime, from the capabilities the loop declares.

I/O likewise: on a loop that declares ``"io"``, ``open_stream`` is the loop's own
``sock_recv``/``sock_sendall`` on the non-blocking socket (``send_eof`` is the socket's
``shutdown(SHUT_WR)``, a call that never waits), and ``serve_echo`` accepts with
``sock_accept`` and echoes each connection in a task of its own (``create_task``). A
loop without ``"io"`` cannot wait on a socket: unsupported.
"""

from __future__ import annotations

import collections
import socket
from contextlib import asynccontextmanager

import impls

from .interface import ECHO_READ, EMULATED, NATIVE, UNSUPPORTED, EchoTally, Unsupported, group_outcome
from .loopapi import CreateTaskGroup, LoopApiRuntime

FROM_FUTURES = "built from the loop's futures, as asyncio builds its own"

#: What each built-in loop is known for (the report's card); a loop registered from elsewhere
#: is described by the first paragraph of its class's docstring (``about``).
ABOUT = {
    "list": "The slides' loop: timers in a plain list, scanned every iteration (O(n) per tick).",
    "heap": "asyncio's design in pure Python: a ready deque, a timer heap with lazy cancellation.",
    "thread": "Waiting done by a timer thread: every hand-off pays a queue and the GIL.",
    "trampoline": "Tasks as stacks of generators (Beazley's pyos8): also runs plain generators.",
    "wheel": "A hierarchical timing wheel added through the public extension path.",
}
HOSTED_ABOUT = "loopbench's {impl} loop hosting asyncio's own Future and C Task (impls.asyncio_loop)."


def about(name: str) -> str:
    """One line on one of our loops (``"heap"``) or a hosted one (``"heap+asyncio"``). A loop
    registered from elsewhere is read from its factory's docstring, never built here: it is
    user code, run only inside its cells' processes."""
    import inspect

    from impls import registry

    if name.endswith("+asyncio"):
        return HOSTED_ABOUT.format(impl=name[: -len("+asyncio")])
    if name in ABOUT:
        return ABOUT[name]
    registry.names()                       # loads the entry points
    factory = registry._factories.get(name)
    return inspect.cleandoc(getattr(factory, "__doc__", None) or "").split("\n\n")[0].replace("\n", " ")
NO_IO = "the loop does not declare 'io': it cannot wait on a socket"


class OursRuntime(LoopApiRuntime):
    family = "loopbench"
    distribution = impls.DISTRIBUTION
    cancelled_error = impls.CancelledError
    #: The part of the support table that is the same for every loop (see ``support``).
    COMMON_SUPPORT = {"event": EMULATED, "lock": EMULATED, "queue": EMULATED,
                      "timeout": UNSUPPORTED, "group_errors": UNSUPPORTED, "gather_errors": EMULATED}
    #: The labels that are the same for every loop (see ``notes``).
    COMMON_NOTES = {"event": FROM_FUTURES, "lock": FROM_FUTURES, "queue": FROM_FUTURES,
                    "timeout": "the protocol has no current task, so a timeout cannot cancel its body",
                    "group_errors": "the protocol has no task group",
                    "gather_errors": "asyncio.gather's rule over the loop's tasks: the first error propagates",
                    "task_group": "loop.create_task per child, each awaited at the exit",
                    "sleep_until": "loop.call_at with a future",
                    "serve_echo_protocol": "asyncio's Protocol API: asyncio event loops only"}

    def __init__(self, impl: str, clock_factory=None) -> None:
        super().__init__()
        self.name = impl
        self.impl = impl
        self._clock_factory = clock_factory
        self._capabilities: frozenset[str] | None = None

    @property
    def capabilities(self) -> frozenset[str]:
        """What the loop declares (``impls.protocol.CAPABILITIES``), read once from a throwaway loop."""
        if self._capabilities is None:
            loop = self.new_loop()
            try:
                self._capabilities = frozenset(getattr(loop, "capabilities", ()))
            finally:
                loop.close()
        return self._capabilities

    @property
    def support(self) -> dict[str, str]:  # per runtime, where Runtime has one table per class
        threadsafe = NATIVE if "threadsafe" in self.capabilities else UNSUPPORTED
        io = NATIVE if "io" in self.capabilities else UNSUPPORTED
        return {**self.COMMON_SUPPORT, "call_soon_threadsafe": threadsafe, "open_stream": io, "serve_echo": io}

    @property
    def notes(self) -> dict[str, str]:
        threadsafe = ("the loop's own: it declares 'threadsafe'" if "threadsafe" in self.capabilities
                      else "the loop does not declare 'threadsafe': another thread cannot wake it")
        io = "io" in self.capabilities
        return {**self.COMMON_NOTES, "call_soon_threadsafe": threadsafe,
                "open_stream": "loop.sock_recv / loop.sock_sendall on the non-blocking socket" if io else NO_IO,
                "serve_echo": "loop.sock_accept, then loop.create_task per connection: sock_recv, sock_sendall"
                              if io else NO_IO}

    def new_loop(self):
        clock = self._clock_factory() if self._clock_factory else None
        return impls.create(self.impl, clock=clock)

    def run(self, main):
        self.loop = loop = self.new_loop()
        try:
            return loop.run_until_complete(main())
        finally:
            loop.close()

    def sleep(self, seconds):
        return self.loop.sleep(seconds)

    def call_soon_threadsafe(self, cb, *args):
        if "threadsafe" not in self.capabilities:
            raise Unsupported(f"the {self.name} loop does not declare the 'threadsafe' capability: "
                              "another thread cannot wake it while it waits, so a posted callback "
                              "would wait until the loop's next timer fires")
        return super().call_soon_threadsafe(cb, *args)

    # -- I/O, the loop's own sock_* coroutines ------------------------------------
    def _require_io(self) -> None:
        if "io" not in self.capabilities:
            raise Unsupported(f"the {self.name} loop does not declare the 'io' capability: it cannot wait on a socket")

    async def open_stream(self, sock):
        self._require_io()
        sock.setblocking(False)
        return LoopStream(self.loop, sock)

    async def serve_echo(self, listener, connections):
        self._require_io()
        loop, tally = self.loop, EchoTally(connections)

        async def echo(conn):
            try:
                while data := await loop.sock_recv(conn, ECHO_READ):
                    await loop.sock_sendall(conn, data)
                    tally.echoed += len(data)
            finally:
                conn.close()
                tally.close_one()

        listener.setblocking(False)
        tasks = []
        while len(tasks) < connections:
            conn, _ = await loop.sock_accept(listener)
            tasks.append(loop.create_task(echo(conn)))
        listener.close()
        for task in tasks:
            await task
        return tally.echoed

    # -- emulated synchronisation, from futures -------------------------------
    def _future(self):
        create = getattr(self.loop, "create_future", None)
        if create is None:
            raise Unsupported(f"{self.name} has no create_future(); cannot build events/locks/queues")
        return create()

    def event(self):
        return _Event(self._future)

    def lock(self):
        return _Lock(self._future)

    def queue(self, maxsize: int = 0):
        return _Queue(self._future, maxsize)

    def timeout(self, seconds):
        raise Unsupported("the impls protocol has no current_task(), so a timeout cannot cancel its body")

    @asynccontextmanager
    async def task_group(self):
        group = _TaskGroup(self.loop.create_task)
        try:
            yield group
        except BaseException:
            await group.cancel()
            raise
        finally:
            await group.join()

    async def gather_errors(self, fns):
        """gather() as asyncio does it: the first error propagates; siblings keep running."""
        tasks = [self.loop.create_task(fn()) for fn in fns]
        try:
            for t in tasks:
                await t
            return {"raised": None}
        except BaseException as exc:
            return group_outcome(exc, tasks)


class LoopStream:
    """A non-blocking socket driven by the loop's ``sock_*`` coroutines, as the interface's stream."""

    __slots__ = ("loop", "sock")

    def __init__(self, loop, sock: socket.socket) -> None:
        self.loop, self.sock = loop, sock

    async def send(self, data: bytes) -> None:
        await self.loop.sock_sendall(self.sock, data)

    async def recv(self, max_bytes: int) -> bytes:
        return await self.loop.sock_recv(self.sock, max_bytes)

    async def send_eof(self) -> None:
        self.sock.shutdown(socket.SHUT_WR)

    async def close(self) -> None:
        self.sock.close()


class _TaskGroup(CreateTaskGroup):
    """What a user of the protocol writes for many children: ``create_task`` each, await each."""

    __slots__ = ()

    async def join(self) -> None:
        """Await every child; the first failure (not a cancellation) is raised once all are done."""
        failure = None
        for task in self.tasks:
            try:
                await task
            except impls.CancelledError:
                pass
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise failure


class _Event:
    def __init__(self, future) -> None:
        self._future, self._set, self._waiters = future, False, []

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if not self._set:
            self._set = True
            for fut in self._waiters:
                if not fut.done():
                    fut.set_result(True)
            self._waiters.clear()

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True                      # like asyncio: no yield on the fast path
        fut = self._future()
        self._waiters.append(fut)
        return await fut


class _Lock:
    def __init__(self, future) -> None:
        self._future, self._locked, self._waiters = future, False, collections.deque()

    async def __aenter__(self):
        if not self._locked and not self._waiters:
            self._locked = True              # like asyncio: a free lock does not yield
            return self
        fut = self._future()
        self._waiters.append(fut)
        await fut                            # ownership is handed over by __aexit__
        return self

    async def __aexit__(self, *exc):
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(True)         # hand the lock to the next waiter
                return False
        self._locked = False
        return False


class _Queue:
    def __init__(self, future, maxsize: int) -> None:
        self._future, self._maxsize = future, maxsize
        self._items: collections.deque = collections.deque()
        self._getters: collections.deque = collections.deque()
        self._putters: collections.deque = collections.deque()

    async def put(self, item) -> None:
        while self._maxsize > 0 and len(self._items) >= self._maxsize:
            fut = self._future()
            self._putters.append(fut)
            await fut
        self._items.append(item)
        self._wake(self._getters)

    async def get(self):
        while not self._items:
            fut = self._future()
            self._getters.append(fut)
            await fut
        item = self._items.popleft()
        self._wake(self._putters)
        return item

    @staticmethod
    def _wake(waiters) -> None:
        while waiters:
            fut = waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return


def runtimes() -> list[OursRuntime]:
    return [OursRuntime(name) for name in impls.names()]

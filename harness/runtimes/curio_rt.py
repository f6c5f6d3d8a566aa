"""curio, on its default kernel (``curio.run``): task handles, no callback loop, a coroutine-only kernel API.

``notes`` names the curio call behind each operation. On the default kernel every task
shares one contextvars context (per-task contexts need ``Kernel(taskcls=ContextTask)``).

Plain calls. The kernel takes requests only from coroutines (``curio.spawn``,
``Task.cancel``, ``Event.set`` are traps), while the interface's ``spawn``, ``cancel``,
``Event.set`` and ``call_soon``/``call_at`` are plain calls. So the adapter queues each
request and issues it, in order, at the calling task's next await through the adapter
or when that task ends (``_issue_requests``, which every adapter awaitable calls
first). Those traps never suspend the caller, so no other task can tell: the task, the
cancellation and the event are curio's own.

``join`` unwraps curio's ``TaskError`` (``TaskCancelled`` becomes ``Cancelled``);
``is_cancellation`` is ``curio.CancelledError``, which covers timeouts too; a
``curio.TaskGroup`` does not raise child errors, so ``group_errors`` adds its
``exceptions``. curio logs a crashed task at ERROR and an unjoined one at WARNING.

Emulated: ``call_soon``/``call_at`` on the harness's callback service, and
``call_soon_threadsafe`` through a ``curio.UniversalQueue`` (its ``put`` is a plain call
from any thread) drained by a daemon task started with every run. A callback that
raises in either crashes that task (curio logs a Task Crash); the adapter then cancels
``main`` and ``run`` raises the callback's exception, since curio would otherwise drop
the dead service and no later callback would run. Evidence: docs/research/NOTES.md.

I/O is curio's sockets: ``open_stream`` wraps the socket in ``curio.io.Socket``
(``recv``, ``sendall``, ``shutdown``, ``close``, each a coroutine on a non-blocking
socket); ``serve_echo`` is ``curio.network.run_server`` (what ``curio.tcp_server``
runs, given our listening socket), cancelled once the awaited connections have ended.
"""

from __future__ import annotations

import socket
import time
from collections import deque
from contextlib import asynccontextmanager

import curio
import curio.io
import curio.network

from .interface import ECHO_READ, EMULATED, UNSUPPORTED, Cancelled, EchoTally, Runtime, describe_exception
from .emulation import CallbackService

SERVICE = "the harness's callback service: one daemon task per run, a FIFO, a timer heap, a curio.Event"


#: The runtimes this module adapts, described once: ``harness.runtimes`` reads this literal
#: without importing the module (a library missing here costs only its own runtimes), and
#: everything else (the registry, the environment's library versions, the report's cards and
#: its families, the tests of native paths) derives from it. See docs/extending.md.
PEERS = {
    "curio": {
        "adapter": "CurioRuntime", "family": "structured", "distribution": "curio",
        "about": ["A small kernel of traps; sleeps are relative, so tasks sharing a deadline drift apart.",
                  "Spawning asserts `task not in ready`, a linear scan: see `curio -O` for the cost without it."],
        "native_calls": {"task_group": "curio.TaskGroup", "sleep_until": "curio.sleep",
                         "open_stream": "curio.io.Socket", "serve_echo": "curio.network.run_server"},
        # The micro-suite also times curio's task workloads under ``python -O``.
        "variants": {"curio -O": ["curio's task workloads under python -O: the assert that scans the ready "
                                  "queue at every reschedule is gone."]},
    },
}


class CurioRuntime(Runtime):
    name = "curio"
    api = "curio"
    distribution = "curio"
    support = {"call_soon": EMULATED, "call_at": EMULATED, "call_later": EMULATED,
               "call_soon_threadsafe": EMULATED,
               "gather_errors": UNSUPPORTED, "run_forever": UNSUPPORTED, "stop": UNSUPPORTED}
    notes = {
        "now": "time.monotonic(), the kernel's clock",
        "spawn": "curio.spawn (issued at the caller's next await)",
        "join": "Task.join",
        "cancel": "Task.cancel(blocking=False) (issued at the caller's next await)",
        "call_soon": SERVICE,
        "call_at": SERVICE,
        "call_later": "call_at(now() + delay) on the callback service",
        "call_soon_threadsafe": "a curio.UniversalQueue drained by a daemon task",
        "timeout": "curio.timeout_after",
        "task_group": "curio.TaskGroup",
        "sleep_until": "curio.sleep(deadline - clock): curio's sleeps are relative",
        "group_errors": "curio.TaskGroup",
        "gather_errors": "curio has no gather",
        "run_forever": "no loop of plain callbacks",
        "stop": "no loop of plain callbacks",
        "open_stream": "curio.io.Socket: recv, sendall, shutdown, close",
        "serve_echo": "curio.network.run_server (curio.tcp_server's loop), one task per connection",
        "serve_echo_protocol": "asyncio's Protocol API: asyncio event loops only",
    }

    def __init__(self) -> None:
        self._requests: deque = deque()     # kernel requests from plain calls, not yet issued
        self._callbacks: CallbackService | None = None
        self._posted: curio.UniversalQueue | None = None
        self._services: list[curio.Task] = []
        self._crash: BaseException | None = None
        self._main_task: curio.Task | None = None

    # ----------------------------------------------------------- lifecycle
    def run(self, main):
        return curio.run(self._root, main)

    async def _root(self, main):
        self._requests.clear()
        self._callbacks, self._services, self._crash = None, [], None
        self._main_task = await curio.current_task()
        self._posted = curio.UniversalQueue()       # unbounded: put never blocks a posting thread
        await self._start_service(self._serve_posted)
        result = None
        try:
            result = await main()
        except curio.TaskCancelled:
            if self._crash is None:
                raise
        finally:
            await self._issue_requests()
            for task in self._services:
                await task.cancel()
        if self._crash is not None:
            raise self._crash
        return result

    async def _start_service(self, serve) -> None:
        self._services.append(await curio.spawn(self._serve_or_end_run, serve, daemon=True))

    async def _serve_or_end_run(self, serve) -> None:
        try:
            await serve()
        except Exception as exc:
            self._crash = exc                # run() raises it once main has stopped
            await self._main_task.cancel(blocking=False)
            raise                            # curio logs it as a Task Crash, as for any task

    async def _serve_posted(self) -> None:
        while True:
            callback, args = await self._posted.get()
            callback(*args)
            await self._issue_requests()     # what the callback asked of the kernel

    # ------------------------------------- plain calls -> kernel requests
    def _defer(self, request) -> None:
        """Queue ``request`` (a zero-argument coroutine function) for the current task's next await."""
        self._requests.append(request)

    async def _issue_requests(self) -> None:
        """Issue the queued requests in order. None of them suspends the caller."""
        while self._requests:
            await self._requests.popleft()()

    # --------------------------------------------------------- inside run
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds):
        await self._issue_requests()
        await curio.sleep(seconds)

    def spawn(self, fn, *args):
        ref = _TaskRef()

        async def start():
            ref.task = await curio.spawn(self._run_child, fn, args)
        self._defer(start)
        return ref

    async def _run_child(self, fn, args):
        try:
            return await fn(*args)
        finally:
            await self._issue_requests()   # plain calls the child made after its last await

    async def join(self, ref):
        await self._issue_requests()
        try:
            return await ref.task.join()
        except curio.TaskError as wrapped:
            failure = wrapped.__cause__    # the child's own exception
        if isinstance(failure, curio.TaskCancelled):
            raise Cancelled()
        raise failure

    def cancel(self, ref) -> None:
        self._defer(lambda: ref.task.cancel(blocking=False))

    def is_cancellation(self, exc: BaseException) -> bool:
        return isinstance(exc, curio.CancelledError)

    def call_soon(self, cb, *args):
        return self._service().call_soon(cb, *args)

    def call_at(self, when, cb, *args):
        return self._service().call_at(when, cb, *args)

    def call_soon_threadsafe(self, cb, *args):
        # A plain function calling UniversalQueue.put gets its synchronous (thread) version.
        self._posted.put((cb, args))

    def _service(self) -> CallbackService:
        if self._callbacks is None:
            self._callbacks = service = CallbackService(time.monotonic, _Wakeup(self))
            self._defer(lambda: self._start_service(service.serve))
        return self._callbacks

    def event(self):
        return _Event(self)

    def lock(self):
        return _Lock(self)

    def queue(self, maxsize: int = 0):
        return _Queue(self, maxsize)

    @asynccontextmanager
    async def timeout(self, seconds):
        await self._issue_requests()
        deadline = curio.timeout_after(seconds)
        try:
            async with deadline:
                yield
        except curio.TaskTimeout as exc:
            if not deadline.expired:
                raise
            raise TimeoutError() from exc

    @asynccontextmanager
    async def task_group(self):
        await self._issue_requests()
        async with curio.TaskGroup() as group:
            yield _TaskGroup(group, self._run_child)

    async def sleep_until(self, deadline):
        await self._issue_requests()
        await curio.sleep(max(0.0, deadline - time.monotonic()))

    async def group_errors(self, fns):
        await self._issue_requests()
        tasks = []
        raised = None
        try:
            async with curio.TaskGroup() as group:
                for fn in fns:
                    tasks.append(await group.spawn(self._run_child, fn, ()))
        except BaseException as exc:
            raised = describe_exception(exc)
        return {
            "raised": raised,
            "siblings_cancelled": sum(t.terminated and isinstance(t.exception, curio.TaskCancelled)
                                      for t in tasks),
            "siblings_still_running": sum(not t.terminated for t in tasks),
            "group_exceptions": [describe_exception(e) if e is not None else None
                                 for e in group.exceptions],
        }

    async def open_stream(self, sock):
        await self._issue_requests()
        return CurioStream(curio.io.Socket(sock))

    async def serve_echo(self, listener, connections):
        await self._issue_requests()
        tally, done = EchoTally(connections), curio.Event()

        async def echo(client, address):     # run_server closes the client afterwards
            try:
                while data := await client.recv(ECHO_READ):
                    await client.sendall(data)
                    tally.echoed += len(data)
            finally:
                if tally.close_one():
                    await done.set()

        server = await curio.spawn(curio.network.run_server, curio.io.Socket(listener), echo)
        await done.wait()
        await server.cancel()
        return tally.echoed


class CurioStream:
    """A ``curio.io.Socket`` as the interface's stream."""

    __slots__ = ("sock",)

    def __init__(self, sock: curio.io.Socket) -> None:
        self.sock = sock

    async def send(self, data: bytes) -> None:
        await self.sock.sendall(data)

    async def recv(self, max_bytes: int) -> bytes:
        return await self.sock.recv(max_bytes)

    async def send_eof(self) -> None:
        await self.sock.shutdown(socket.SHUT_WR)

    async def close(self) -> None:
        await self.sock.close()


class _TaskGroup:
    """``task_group()``'s object: ``curio.TaskGroup``'s own ``spawn`` and ``cancel_remaining``.

    Each child runs inside ``_run_child``, which issues the plain calls it made after
    its last await (an ``Event.set()`` is a coroutine in curio): one coroutine frame per
    child, the adapter's only cost in curio's spawn+join.
    """

    __slots__ = ("_spawn", "_run_child", "cancel")

    def __init__(self, group: curio.TaskGroup, run_child) -> None:
        self._spawn, self._run_child, self.cancel = group.spawn, run_child, group.cancel_remaining

    async def spawn(self, fn, *args):
        return await self._spawn(self._run_child, fn, args)


class _TaskRef:
    """What ``spawn`` returns; ``task`` is the curio Task once the spawn request has been issued."""

    __slots__ = ("task",)

    def __init__(self) -> None:
        self.task: curio.Task | None = None


class _Wakeup:
    """The callback service's waiting: a ``curio.Event``, set through the request queue, under ``ignore_after``."""

    def __init__(self, rt: CurioRuntime) -> None:
        self._rt, self._event, self._wake_requested = rt, curio.Event(), False

    def wake(self) -> None:
        if not self._wake_requested:
            self._wake_requested = True
            self._rt._defer(self._event.set)

    async def pause(self) -> None:
        await self._rt._issue_requests()   # what the last round's callbacks asked of the kernel
        await curio.sleep(0)

    async def wait(self, deadline: float | None) -> None:
        await self._rt._issue_requests()
        event = self._event = curio.Event()
        self._wake_requested = False
        if deadline is None:
            await event.wait()
        else:
            async with curio.ignore_after(max(0.0, deadline - time.monotonic())):
                await event.wait()


class _Event:
    """``curio.Event`` with a plain ``set()``: the kernel request goes out at the caller's next await."""

    def __init__(self, rt: CurioRuntime) -> None:
        self._rt, self._event, self._set = rt, curio.Event(), False

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if not self._set:
            self._set = True
            self._rt._defer(self._event.set)

    async def wait(self) -> None:
        await self._rt._issue_requests()
        await self._event.wait()


class _Lock:
    """``curio.Lock`` as ``async with``, issuing queued requests first."""

    def __init__(self, rt: CurioRuntime) -> None:
        self._rt, self._lock = rt, curio.Lock()

    async def __aenter__(self):
        await self._rt._issue_requests()
        await self._lock.acquire()
        return self

    async def __aexit__(self, *exc_info):
        await self._rt._issue_requests()
        await self._lock.release()
        return False


class _Queue:
    """``curio.Queue`` (0 = unbounded), issuing queued requests first."""

    def __init__(self, rt: CurioRuntime, maxsize: int) -> None:
        self._rt, self._queue = rt, curio.Queue(maxsize=maxsize)

    async def put(self, item) -> None:
        await self._rt._issue_requests()
        await self._queue.put(item)

    async def get(self):
        await self._rt._issue_requests()
        return await self._queue.get()

"""anyio on its two backends, asyncio and trio, through anyio's public API only.

The two runtimes differ only in the backend passed to ``anyio.run``, so they share
``_AnyioRuntime``.

Native (anyio's own public primitive, used as is):

* ``now``: ``anyio.current_time()``. It is the backend's clock: ``loop.time()`` or
  ``trio.current_time()`` (docs/research/NOTES.md §1).
* ``sleep``: ``anyio.sleep``. Note that ``sleep(-1)`` raises ValueError (docs/research/NOTES.md §2).
* ``event``, ``lock``: ``anyio.Event``, ``anyio.Lock`` (default ``fast_acquire=False``).
* ``queue``: a memory object stream pair (``anyio.create_memory_object_stream``),
  wrapped as ``put``/``get``. For anyio a size of 0 means a rendezvous stream;
  here it means unbounded, as in asyncio. anyio warns (ResourceWarning) about
  streams that are never closed (docs/research/NOTES.md §12), so ``run`` closes every queue's
  streams when ``main`` is done.
* ``timeout``: ``anyio.fail_after``, which already raises the builtin
  ``TimeoutError``. It counts from entry into the block, unlike
  ``move_on_after`` (docs/research/NOTES.md §12).
* ``is_cancellation``: ``anyio.get_cancelled_exc_class()`` of the backend
  (``asyncio.CancelledError`` or ``trio.Cancelled``).
* ``group_errors``: ``anyio.create_task_group()``.
* ``gather_errors``: ``anyio.gather`` (present in 4.16, verified). It runs the
  coroutines in a task group, so unlike ``asyncio.gather`` it cancels siblings and
  raises an ExceptionGroup (docs/research/NOTES.md §6). Where the installed anyio has no ``gather``,
  the op is unsupported.

Emulated (built from anyio's own primitives):

* ``spawn``/``join``/``cancel``, built as in the trio adapter. Each spawned task is
  a wrapper in the run's *root task group*. It runs the child inside a
  ``CancelScope`` made for that task (``cancel`` cancels the scope) and stores the
  outcome in a ``_TaskRef`` whose ``Event`` ``join`` waits on. The wrapper
  catches the child's ``Exception``, so a failing child does not cancel the whole
  run: a scenario gets task-handle semantics (``join`` re-raises the error).
  anyio 4.14 added ``TaskHandle`` (``start_soon`` now returns one; present in the
  installed 4.16), and it was considered. It would not make this simpler: a child
  that fails through a TaskHandle still fails its whole task group (docs/research/NOTES.md §3), so
  the error-capturing wrapper would be needed anyway. It would also raise
  pyproject's floor from anyio 4.4 to 4.14. ``TaskHandle`` itself is built the
  same way inside (CancelScope + Event + stored outcome).
* ``call_soon``/``call_at``/``call_later``: anyio has no plain callbacks. One
  callback-service task per run (``_CallbackService``) owns a FIFO of
  ``call_soon`` callbacks and a heap of ``(when, sequence, callback)`` timers. Due
  callbacks run in deadline order, with ties in scheduling order. One task per
  callback would not be FIFO: on the trio backend, a batch of ``start_soon``
  tasks ran reversed in 3 of 5 runs, and ``sleep_until`` is a relative sleep, so
  equal deadlines jitter (docs/research/NOTES.md §4). The heap design is the
  ``TimerService`` (docs/research/scripts/s04_call_soon_at.py, FIFO 5/5 on both
  backends). The service starts at the first callback of a run, and the root task
  group cancels it when ``main`` returns. If a callback raises, the exception
  escapes the service task, and anyio does what it does with any crashed task: the
  root task group cancels ``main``, and ``run`` raises the group's
  ExceptionGroup.

Unsupported: ``run_forever``/``stop`` (no callback loop), and ``call_soon_threadsafe``.
anyio (4.x) has no public fire-and-forget call into the event loop from a foreign
thread. ``anyio.from_thread.run_sync(fn, token=anyio.lowlevel.current_token())``
(4.11+) blocks the caller until ``fn`` has run and returned, and
``BlockingPortal.start_task_soon`` also waits, inside ``from_thread.run_sync``,
until the loop thread has spawned the task. A blocking call hands the GIL to the
loop thread while it waits, so it cannot show what a thread that keeps running
does to the hand-off; reporting it as this operation would measure something
else under the same name. The non-blocking path that both use,
``EventLoopToken.backend_class.run_sync_soon``, is backend API behind a token that
anyio documents as opaque.

``run`` runs ``main`` in the body of the root task group and re-raises
``main``'s own exception after the group has closed, so that it is not wrapped in an
ExceptionGroup.

anyio behaviour that scenarios will show (findings, not adapter bugs):

* Every primitive checkpoints, even on its fast path, also on the asyncio backend
  (docs/research/NOTES.md §5).
* On the asyncio backend, cancellation is level-triggered, as in trio: anyio
  re-delivers it at every await while the scope is cancelled (docs/research/NOTES.md §10).
* On the trio backend, trio's scheduling randomness shows through (docs/research/NOTES.md §9).
* In ping-pong, anyio costs about 3 to 5 times the raw backend (docs/research/NOTES.md §5).
"""

from __future__ import annotations

import math
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import anyio

from ..runtime import (EMULATED, NATIVE, UNSUPPORTED, Runtime, StartSoonGroup, Unavailable, Unsupported,
                       describe_exception)
from .emulation import CallbackQueue, ChildTally, ScheduledCallback, TaskOutcome


class _AnyioRuntime(Runtime):
    distribution = "anyio"
    backend: ClassVar[str]
    support = {
        "spawn": EMULATED,        # wrapper task in the root task group; see the module docstring
        "join": EMULATED,         # outcome stored in the TaskRef, plus an anyio.Event
        "cancel": EMULATED,       # a CancelScope per spawned task
        "call_soon": EMULATED,    # one callback-service task per run: a FIFO ...
        "call_at": EMULATED,      # ... and a heap of (when, seq, callback)
        "call_later": EMULATED,   # call_at(now() + delay)
        "gather_errors": NATIVE if hasattr(anyio, "gather") else UNSUPPORTED,
        "run_forever": UNSUPPORTED,
        "stop": UNSUPPORTED,
        "call_soon_threadsafe": UNSUPPORTED,   # only blocking calls from a thread; see the module docstring
    }

    def __init__(self) -> None:
        self._group: Any = None                     # the run's root task group
        self._callbacks: _CallbackService | None = None
        self._queues: list[_Queue] = []
        self._cancelled_exc: type[BaseException] = BaseException

    # ----------------------------------------------------------- lifecycle
    def run(self, main):
        return anyio.run(self._root, main, backend=self.backend)

    async def _root(self, main):
        self._cancelled_exc = anyio.get_cancelled_exc_class()
        self._callbacks = None
        self._queues = []
        result = failure = None
        try:
            async with anyio.create_task_group() as group:
                self._group = group
                try:
                    result = await main()
                except self._cancelled_exc:
                    raise                # the root group was cancelled: it reports why
                except BaseException as exc:
                    failure = exc        # re-raised below, not wrapped in the group's ExceptionGroup
                finally:
                    group.cancel_scope.cancel()   # main is done: stop the service and any task still running
        finally:
            for queue in self._queues:
                queue.close()
        if failure is not None:
            raise failure
        return result

    # --------------------------------------------------------- inside run
    def now(self) -> float:
        return anyio.current_time()

    def sleep(self, seconds):
        return anyio.sleep(seconds)

    def spawn(self, fn, *args):
        ref = _TaskRef()
        self._group.start_soon(self._run_child, ref, fn, args)
        return ref

    async def _run_child(self, ref: _TaskRef, fn, args) -> None:
        try:
            with ref.scope:
                ref.result = await fn(*args)
        except self._cancelled_exc:
            ref.cancelled = True         # cancelled from outside its own scope: the run is ending
            raise
        except Exception as exc:
            ref.error = exc              # kept for join(); not raised into the root task group
        else:
            ref.cancelled = ref.scope.cancelled_caught
        finally:
            ref.done.set()

    async def join(self, ref):
        await ref.done.wait()
        return ref.outcome()

    def cancel(self, ref) -> None:
        ref.scope.cancel()

    def is_cancellation(self, exc: BaseException) -> bool:
        return isinstance(exc, self._cancelled_exc)

    def call_soon(self, cb, *args):
        return self._service().call_soon(cb, args)

    def call_at(self, when, cb, *args):
        return self._service().call_at(when, cb, args)

    def call_soon_threadsafe(self, cb, *args):
        raise Unsupported("anyio has no public fire-and-forget call from another thread: "
                          "from_thread.run_sync and BlockingPortal.start_task_soon block the caller "
                          "until the event loop thread has answered")

    def _service(self) -> _CallbackService:
        if self._callbacks is None:
            self._callbacks = _CallbackService()
            self._group.start_soon(self._callbacks.serve)
        return self._callbacks

    def event(self):
        return anyio.Event()

    def lock(self):
        return anyio.Lock()

    def queue(self, maxsize: int = 0):
        queue = _Queue(maxsize)
        self._queues.append(queue)
        return queue

    @asynccontextmanager
    async def timeout(self, seconds):
        with anyio.fail_after(seconds):
            yield

    @asynccontextmanager
    async def task_group(self):
        async with anyio.create_task_group() as group:
            yield StartSoonGroup(group)

    def sleep_until(self, deadline):
        return anyio.sleep_until(deadline)

    async def group_errors(self, fns):
        children = ChildTally(len(fns), self.is_cancellation)
        try:
            async with anyio.create_task_group() as group:
                for fn in fns:
                    group.start_soon(children.watch, fn)
            return {"raised": None}
        except BaseException as exc:
            return {"raised": describe_exception(exc), **children.counts()}

    async def gather_errors(self, fns):
        if not hasattr(anyio, "gather"):
            raise Unsupported(f"anyio {self.version()} has no gather()")
        children = ChildTally(len(fns), self.is_cancellation)
        try:
            await anyio.gather(*(children.watch(fn) for fn in fns))
            return {"raised": None}
        except BaseException as exc:
            return {"raised": describe_exception(exc), **children.counts()}


class AnyioAsyncioRuntime(_AnyioRuntime):
    name = "anyio-asyncio"
    backend = "asyncio"


class AnyioTrioRuntime(_AnyioRuntime):
    name = "anyio-trio"
    backend = "trio"

    def __init__(self) -> None:
        super().__init__()
        try:
            import trio  # noqa: F401  (anyio's trio backend needs it)
        except ImportError as exc:
            raise Unavailable(f"trio is not installed: {exc}") from exc


class _TaskRef(TaskOutcome):
    """What ``spawn`` returns: the task's own cancel scope, and its outcome once it is done."""

    def __init__(self) -> None:
        super().__init__()
        self.scope = anyio.CancelScope()
        self.done = anyio.Event()


class _CallbackService:
    """One task per run that runs ``call_soon`` callbacks FIFO and ``call_at`` ones by (deadline, order)."""

    def __init__(self) -> None:
        self._queue = CallbackQueue()
        self._changed = anyio.Event()     # set when there is new work for the service

    def call_soon(self, callback, args) -> ScheduledCallback:
        entry = self._queue.add_soon(callback, args)
        self._changed.set()
        return entry

    def call_at(self, when: float, callback, args) -> ScheduledCallback:
        entry, earliest = self._queue.add_at(when, callback, args)
        if earliest:                      # a new earliest deadline: the service must re-arm
            self._changed.set()
        return entry

    async def serve(self) -> None:
        while True:
            self._changed = anyio.Event()
            if self._queue.soon:          # scheduled by the last round: let other tasks run first
                await anyio.sleep(0)
            else:
                with anyio.CancelScope(deadline=self._queue.next_deadline()):
                    await self._changed.wait()
            for entry in self._queue.take_due(anyio.current_time()):
                if not entry.cancelled:   # callbacks scheduled by these wait for the next round
                    entry.callback(*entry.args)


class _Queue:
    """``put``/``get`` over an anyio memory object stream. Size 0 means unbounded, as in asyncio."""

    def __init__(self, maxsize: int) -> None:
        self._send, self._receive = anyio.create_memory_object_stream[Any](
            maxsize if maxsize > 0 else math.inf)

    async def put(self, item) -> None:
        await self._send.send(item)

    async def get(self):
        return await self._receive.receive()

    def close(self) -> None:
        self._send.close()
        self._receive.close()



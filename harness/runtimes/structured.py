"""What trio and anyio adapters share: structured concurrency, where tasks live in a group and have no handles.

Both libraries spell ``CancelScope``, ``Event``, ``Lock``, ``current_time``, ``sleep``,
``sleep_until`` and ``fail_after`` the same way, so ``StructuredRuntime`` is written once
against ``lib`` (the module: ``trio`` or ``anyio``) and each adapter names only what
differs: how a run starts, how a group opens, and the cancellation exception.

* ``run`` runs ``main`` in the body of the run's *root group* (it is not a child task)
  and re-raises ``main``'s own exception after the group has closed, so it is not
  wrapped in the group's ExceptionGroup. When ``main`` returns, the root group's
  scope is cancelled: no timer or sleeping child keeps the run alive.
* ``spawn``/``join``/``cancel`` are emulated: ``start_soon`` returns no handle. A
  wrapper task in the root group runs the child inside a ``CancelScope`` of its own
  (``cancel`` cancels it), stores the outcome and sets an ``Event`` that ``join``
  waits on. It catches the child's ``Exception``, so a failing child does not cancel
  the run, as a nursery would: ``join`` re-raises it. What the library's own groups
  do with a failing child is what ``group_errors`` shows. Workloads that count tasks
  use ``task_group()``, the library's own group with nothing around the children.
* ``call_at`` is emulated by the callback service (``emulation.py``), started at
  the first callback of a run in the root group; its waiting is an ``Event`` and a
  ``CancelScope`` deadline. A callback that raises crashes the service task, and the
  root group does what it does with any crashed child: it cancels ``main``, and
  ``run`` raises the group's ExceptionGroup.
* ``queue`` is a memory channel pair (``put``/``get``); size 0 means unbounded, as in
  asyncio (for both libraries 0 means a rendezvous). ``run`` closes the channels.

Evidence for each library's behaviour: docs/research/NOTES.md.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from .interface import EMULATED, UNSUPPORTED, Cancelled, Runtime, StartSoonGroup, describe_exception
from .emulation import CallbackService


class StructuredRuntime(Runtime):
    #: The library module (``trio`` or ``anyio``).
    lib: ClassVar[Any]
    support = {"spawn": EMULATED, "join": EMULATED, "cancel": EMULATED,
               "call_at": EMULATED, "call_later": EMULATED,
               "run_forever": UNSUPPORTED, "stop": UNSUPPORTED}
    notes = {
        "spawn": "start_soon of a wrapper task in the run's root group (start_soon returns no handle)",
        "join": "the wrapper stores the outcome and sets an Event",
        "cancel": "a CancelScope per spawned task",
        "call_at": "the harness's callback service: one task per run, a timer heap, an Event and a "
                   "CancelScope deadline",
        "call_later": "call_at(now() + delay) on the callback service",
        "run_forever": "no loop of plain callbacks",
        "stop": "no loop of plain callbacks",
    }

    def __init__(self) -> None:
        self._group: Any = None                    # the run's root group
        self._callbacks: CallbackService | None = None
        self._queues: list[_Queue] = []
        self._cancelled_exc: type[BaseException] = BaseException

    # ------------------------------------------------ each library's own pieces
    @abstractmethod
    def _start(self, root, main) -> Any:
        """Run ``root(main)`` as the library's whole run (``trio.run``, ``anyio.run``)."""

    @abstractmethod
    def _open_group(self) -> Any:
        """The library's group as an async context manager (nursery, task group)."""

    @abstractmethod
    def _cancelled_class(self) -> type[BaseException]:
        """The exception a cancelled task sees."""

    @abstractmethod
    def _channel(self, size: float) -> tuple[Any, Any]:
        """A (send, receive) memory channel pair."""

    # ----------------------------------------------------------- lifecycle
    def run(self, main):
        return self._start(self._root, main)

    async def _root(self, main):
        self._cancelled_exc = self._cancelled_class()
        self._callbacks, self._queues = None, []
        result = failure = None
        try:
            async with self._open_group() as group:
                self._group = group
                try:
                    result = await main()
                except self._cancelled_exc:
                    raise                # the root group was cancelled: it reports why
                except BaseException as exc:
                    failure = exc        # re-raised below, not wrapped in the group's ExceptionGroup
                finally:
                    group.cancel_scope.cancel()
        finally:
            for queue in self._queues:
                queue.close()
        if failure is not None:
            raise failure
        return result

    # --------------------------------------------------------- inside run
    def now(self) -> float:
        return self.lib.current_time()

    def sleep(self, seconds):
        return self.lib.sleep(seconds)

    def spawn(self, fn, *args):
        ref = _TaskRef(self.lib)
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
            ref.error = exc              # kept for join(); not raised into the root group
        else:
            ref.cancelled = ref.scope.cancelled_caught
        finally:
            ref.done.set()

    async def join(self, ref):
        await ref.done.wait()
        if ref.cancelled:
            raise Cancelled()
        if ref.error is not None:
            raise ref.error
        return ref.result

    def cancel(self, ref) -> None:
        ref.scope.cancel()

    def is_cancellation(self, exc: BaseException) -> bool:
        return isinstance(exc, self._cancelled_exc)

    def call_at(self, when, cb, *args):
        return self._service().call_at(when, cb, *args)

    def _service(self) -> CallbackService:
        if self._callbacks is None:
            self._callbacks = CallbackService(self.lib.current_time, _Wakeup(self.lib))
            self._group.start_soon(self._callbacks.serve)
        return self._callbacks

    def event(self):
        return self.lib.Event()

    def lock(self):
        return self.lib.Lock()

    def queue(self, maxsize: int = 0):
        queue = _Queue(*self._channel(maxsize if maxsize > 0 else math.inf))
        self._queues.append(queue)
        return queue

    @asynccontextmanager
    async def timeout(self, seconds):
        with self.lib.fail_after(seconds):
            yield

    @asynccontextmanager
    async def task_group(self):
        async with self._open_group() as group:
            yield StartSoonGroup(group)

    def sleep_until(self, deadline):
        return self.lib.sleep_until(deadline)

    async def group_errors(self, fns):
        children = ChildTally(len(fns), self.is_cancellation)
        try:
            async with self._open_group() as group:
                for fn in fns:
                    group.start_soon(children.watch, fn)
            return {"raised": None}
        except BaseException as exc:
            return children.outcome(exc)


class _TaskRef:
    """What ``spawn`` returns: the task's own cancel scope, and its outcome once ``done`` is set."""

    __slots__ = ("scope", "done", "result", "error", "cancelled")

    def __init__(self, lib) -> None:
        self.scope, self.done = lib.CancelScope(), lib.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self.cancelled = False


class _Wakeup:
    """The callback service's waiting: an ``Event`` it waits on, under a ``CancelScope`` deadline."""

    def __init__(self, lib) -> None:
        self._lib, self._event = lib, lib.Event()

    def wake(self) -> None:
        self._event.set()

    async def pause(self) -> None:
        await self._lib.sleep(0)

    async def wait(self, deadline: float | None) -> None:
        self._event = event = self._lib.Event()
        with self._lib.CancelScope(deadline=math.inf if deadline is None else deadline):
            await event.wait()


class _Queue:
    """``put``/``get`` over a memory channel pair."""

    __slots__ = ("_send", "_receive")

    def __init__(self, send, receive) -> None:
        self._send, self._receive = send, receive

    async def put(self, item) -> None:
        await self._send.send(item)

    async def get(self):
        return await self._receive.receive()

    def close(self) -> None:
        self._send.close()
        self._receive.close()


class ChildTally:
    """How a group's children ended, for libraries with no task objects to ask afterwards."""

    def __init__(self, children: int, is_cancellation) -> None:
        self.running, self.cancelled = children, 0
        self._is_cancellation = is_cancellation

    async def watch(self, fn):
        try:
            return await fn()
        except BaseException as exc:
            if self._is_cancellation(exc):
                self.cancelled += 1
            raise
        finally:
            self.running -= 1

    def outcome(self, exc: BaseException) -> dict[str, Any]:
        """What the parent saw when the group raised ``exc``."""
        return {"raised": describe_exception(exc),
                "siblings_cancelled": self.cancelled, "siblings_still_running": self.running}

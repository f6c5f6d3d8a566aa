"""curio, on its default kernel: task handles, no callback loop, and a coroutine-only kernel API.

Which kernel. ``run`` uses ``curio.run`` (a default ``curio.Kernel()``), because
loopbench reports what a library does by default. On that kernel, tasks do *not*
get their own contextvars context: every task, and even the thread that called
``curio.run``, share one context (docs/research/NOTES.md §8). Per-task contexts need
``Kernel(taskcls=curio.task.ContextTask)``, which a user must ask for.

How the interface's plain calls reach the kernel. Curio accepts kernel requests
only from coroutines. ``curio.spawn``, ``Task.cancel`` and ``Event.set`` are all
awaitables (kernel traps), and "there are no other mechanisms available for
interacting with the kernel from synchronous code" (header of curio/kernel.py).
In the interface, ``spawn``, ``cancel``, ``Event.set`` and
``call_soon``/``call_at`` are plain calls. So the adapter queues each such request
and *issues it at the calling task's next await through the adapter*, or when that
task ends. There it awaits ``curio.spawn(...)``, ``task.cancel(blocking=False)``
or ``event.set()``, in the order the calls were made. No other task can observe
the difference. The traps behind these three (``trap_spawn``,
``trap_cancel_task``, ``trap_sched_wake`` in curio/kernel.py) never suspend the
caller: they only change the ready queue. In curio's cooperative kernel, their
effects therefore become visible to other tasks only when the caller next
suspends, and the adapter has issued them by then. This is why ``spawn``,
``cancel`` and ``event`` count as native: the task, the cancellation and the event
are curio's own, and only the moment the request is written down differs. Every
adapter awaitable first issues the queued requests (``_issue_requests``): that is
what keeps this true. ``curio.UniversalEvent``, whose ``set()`` is a plain call,
was considered and not used. It is curio's thread-safe event, and it wakes
waiters through a ``concurrent.futures.Future`` and the kernel's loopback socket.
Using it would measure curio's thread-wakeup path, not its ``Event``.

Native (curio's own public primitive):

* ``now``: ``time.monotonic()``. ``await curio.clock()`` is a coroutine, and
  ``now()`` must be a plain call. The kernel's clock *is* ``time.monotonic``: in
  curio/kernel.py, ``_make_kernel_runtime`` binds
  ``time_monotonic = time.monotonic``, ``trap_clock`` returns
  ``time_monotonic()``, and sleeps and timeouts are deadlines on that clock
  (``trap_sleep``: ``clock + time_monotonic()``).
* ``sleep``: ``curio.sleep`` (it returns the kernel clock; the adapter returns None).
* ``spawn``/``join``/``cancel``: ``curio.spawn``, ``Task.join``,
  ``Task.cancel(blocking=False)``. ``join`` unwraps curio's ``TaskError``: it
  raises the child's own exception (``__cause__``), and it raises ``Cancelled``
  when that exception is ``TaskCancelled``. A crashed child is logged by the
  kernel at ERROR ("Task Crash", logger ``curio.kernel``) even when it is joined,
  and a finished task that nobody joined is logged at WARNING ("never joined").
  Both are curio's default behaviour and are left to the logging module
  (docs/research/NOTES.md §3, §12).
* ``is_cancellation``: ``curio.CancelledError``, the base class that curio
  documents as "Base class for all task-cancellation related exceptions". It
  covers ``TaskCancelled`` (from ``Task.cancel``) and ``TaskTimeout`` /
  ``TimeoutCancellationError`` (what a timeout delivers). In asyncio, trio and
  anyio, a timeout also cancels the body with the same exception as a plain cancel.
* ``event``: ``curio.Event``, with ``set()`` issued as described above. ``is_set()``
  answers at once.
* ``lock``, ``queue``: ``curio.Lock``, ``curio.Queue(maxsize)`` (0 = unbounded,
  as in asyncio).
* ``timeout``: ``curio.timeout_after``. Its ``TaskTimeout`` is converted to the
  builtin ``TimeoutError`` when the expired deadline is this block's own
  (``.expired``). Outer deadlines pass through as curio raises them (docs/research/NOTES.md §7).
* ``group_errors``: ``curio.TaskGroup``. Its ``async with`` does not raise child
  errors (docs/research/NOTES.md §6). So the result says what the parent saw (``raised``: None)
  and adds ``group_exceptions``, curio's own ``g.exceptions``, which has one entry
  per task (None for a task that returned).

Emulated: ``call_soon``/``call_at``/``call_later``. Curio has no plain callbacks.
One callback-service task per run (``_CallbackService``, a daemon task) owns a FIFO
of ``call_soon`` callbacks and a heap of ``(when, sequence, callback)`` timers. Due
callbacks run in deadline order, with ties in scheduling order. A task per timer
doing a relative ``curio.sleep`` would not be FIFO for equal deadlines
(docs/research/NOTES.md §4). The service's verified original is ``CurioTimerService`` in
docs/research/scripts/s04_call_soon_at.py. The service starts at the first callback of
a run and is cancelled when ``main`` returns. If a callback raises, the exception
escapes the service task, which curio logs as a "Task Crash". The adapter then
also ends the run: it cancels ``main``, and ``run`` raises the callback's
exception. Curio would otherwise just drop the dead service, and every later
callback would silently never run. Asyncio instead logs the error and goes on;
trio ends the run.

Emulated: ``call_soon_threadsafe``. Curio's own bridge from threads into the
kernel is ``curio.UniversalQueue``: its ``put`` is a plain, non-blocking call from
any thread (for an unbounded queue), and a task's ``await get()`` waits on a
``concurrent.futures.Future`` that the kernel completes through its loopback
socket, which wakes an idle kernel. So every run has one more daemon task
(``_ThreadsafeService``), started before ``main`` and blocked in ``get()``; a
posted callback is put on its queue and runs in that task, which then issues the
kernel requests the callback made (an ``Event.set()``, say). The hand-off costs a
Future, a loopback-socket write and one task switch: more than a callback on a
loop, and that cost is curio's. The service is started in every run, not on
first use, because a foreign thread cannot spawn it. While idle it only waits, so
it costs nothing inside ``main``; starting it, and cancelling its wait when
``main`` is done, adds about 0.1-0.2 ms to each ``run`` (measured on the 2-core VM).
A callback that raises ends the run as for ``call_soon`` (above).

Unsupported: ``gather_errors`` (curio has no gather) and ``run_forever``/``stop``
(no callback loop).

Curio behaviour that scenarios will show (findings, not adapter bugs):

* Its fast paths never yield (``Event.wait`` when set, a free ``Lock``; docs/research/NOTES.md §5).
* ``Event`` waiters are kept in a set, so their wake order varies (docs/research/NOTES.md §9).
* Cancellation is one-shot: a task that swallows it runs on (docs/research/NOTES.md §10).
* Curio 1.6 is the last release on PyPI; the project continues only on GitHub
  (docs/research/NOTES.md §0).
"""

from __future__ import annotations

import time
from collections import deque
from contextlib import asynccontextmanager

import curio

from ..runtime import EMULATED, UNSUPPORTED, Cancelled, Runtime, describe_exception
from .emulation import CallbackQueue, ScheduledCallback


class CurioRuntime(Runtime):
    name = "curio"
    distribution = "curio"
    support = {
        "call_soon": EMULATED,    # one callback-service task per run: a FIFO ...
        "call_at": EMULATED,      # ... and a heap of (when, seq, callback)
        "call_later": EMULATED,   # call_at(now() + delay)
        "call_soon_threadsafe": EMULATED,   # a curio.UniversalQueue drained by a daemon task
        "gather_errors": UNSUPPORTED,
        "run_forever": UNSUPPORTED,
        "stop": UNSUPPORTED,
    }

    def __init__(self) -> None:
        self._requests: deque = deque()     # kernel requests from plain calls, not yet issued
        self._callbacks: _CallbackService | None = None
        self._threadsafe: _ThreadsafeService | None = None
        self._main_task: curio.Task | None = None

    # ----------------------------------------------------------- lifecycle
    def run(self, main):
        return curio.run(self._root, main)

    async def _root(self, main):
        self._requests.clear()
        self._callbacks = None
        self._main_task = await curio.current_task()
        self._threadsafe = threadsafe = _ThreadsafeService(self)
        threadsafe.task = await curio.spawn(threadsafe.serve, self._main_task, daemon=True)
        result = None
        try:
            result = await main()
        except curio.TaskCancelled:
            if self._callback_error() is None:
                raise
        finally:
            await self._issue_requests()
            if self._callbacks is not None:
                await self._callbacks.stop()
            await threadsafe.stop()
        if self._callback_error() is not None:
            raise self._callback_error()
        return result

    def _callback_error(self) -> BaseException | None:
        """The exception a callback raised in one of the services, which ended the run."""
        for service in (self._callbacks, self._threadsafe):
            if service is not None and service.error is not None:
                return service.error
        return None

    # ------------------------------------- plain calls -> kernel requests
    def _defer(self, request) -> None:
        """Queue ``request`` (a zero-argument coroutine function) for the current task's next await."""
        self._requests.append(request)

    async def _issue_requests(self) -> None:
        """Issue the queued requests in order. None of them suspends the caller (see the module docstring)."""
        while self._requests:
            await self._requests.popleft()()

    # --------------------------------------------------------- inside run
    def now(self) -> float:
        return time.monotonic()          # the kernel's own clock (see the module docstring)

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
        return self._service().call_soon(cb, args)

    def call_at(self, when, cb, *args):
        return self._service().call_at(when, cb, args)

    def call_soon_threadsafe(self, cb, *args):
        self._threadsafe.post(cb, args)

    def _service(self) -> _CallbackService:
        if self._callbacks is None:
            self._callbacks = service = _CallbackService(self)

            async def start():
                service.task = await curio.spawn(service.serve, self._main_task, daemon=True)
            self._defer(start)
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
        # curio's sleeps are relative (its kernel arms clock + seconds): its own idiom for a deadline.
        await self._issue_requests()
        await curio.sleep(max(0.0, deadline - time.monotonic()))

    async def group_errors(self, fns):
        await self._issue_requests()
        tasks = []
        raised = None
        try:
            async with curio.TaskGroup() as group:
                for fn in fns:
                    tasks.append(await group.spawn(self._run_child, fn, ()))  # issues deferred plain calls too
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

    def __init__(self) -> None:
        self.task: curio.Task | None = None


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
    """``curio.Queue``, issuing queued requests first."""

    def __init__(self, rt: CurioRuntime, maxsize: int) -> None:
        self._rt, self._queue = rt, curio.Queue(maxsize=maxsize)

    async def put(self, item) -> None:
        await self._rt._issue_requests()
        await self._queue.put(item)

    async def get(self):
        await self._rt._issue_requests()
        return await self._queue.get()


class _Service:
    """A daemon task of the run (``task``) that runs callbacks; ``error``: what one raised.

    A callback that raises stops the service and cancels the main task; ``run()``
    raises the error once main has stopped. Subclasses write ``_serve``, the loop.
    """

    def __init__(self, rt: CurioRuntime) -> None:
        self._rt = rt
        self.task: curio.Task | None = None
        self.error: BaseException | None = None

    async def serve(self, main_task: curio.Task) -> None:
        try:
            await self._serve()
        except Exception as exc:
            self.error = exc               # run() raises it once main has stopped
            await main_task.cancel(blocking=False)
            raise                          # curio logs it as a Task Crash, as for any task

    async def _serve(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        if self.task is not None:
            await self.task.cancel()


class _CallbackService(_Service):
    """One task per run that runs ``call_soon`` callbacks FIFO and ``call_at`` ones by (deadline, order)."""

    def __init__(self, rt: CurioRuntime) -> None:
        super().__init__(rt)
        self._queue = CallbackQueue()
        self._changed = curio.Event()     # set when there is new work for the service
        self._wake_requested = False      # a set() of _changed is already queued

    def call_soon(self, callback, args) -> ScheduledCallback:
        entry = self._queue.add_soon(callback, args)
        self._wake()
        return entry

    def call_at(self, when: float, callback, args) -> ScheduledCallback:
        entry, earliest = self._queue.add_at(when, callback, args)
        if earliest:                      # a new earliest deadline: the service must re-arm
            self._wake()
        return entry

    def _wake(self) -> None:
        if not self._wake_requested:
            self._wake_requested = True
            self._rt._defer(self._changed.set)

    async def _serve(self) -> None:
        while True:
            self._changed, self._wake_requested = curio.Event(), False
            queue = self._queue
            delay = queue.next_deadline() - time.monotonic() if queue.timers else None
            if queue.soon or (delay is not None and delay <= 0):
                await curio.sleep(0)           # work is ready: let other tasks run first
            elif delay is None:
                await self._changed.wait()
            else:
                async with curio.ignore_after(delay):
                    await self._changed.wait()
            for entry in queue.take_due(time.monotonic()):   # newcomers wait for the next round
                if not entry.cancelled:
                    entry.callback(*entry.args)
                    await self._rt._issue_requests()


class _ThreadsafeService(_Service):
    """One daemon task per run that runs the callbacks other threads post, in the order posted."""

    def __init__(self, rt: CurioRuntime) -> None:
        super().__init__(rt)
        self._queue = curio.UniversalQueue()   # unbounded: put never blocks the posting thread

    def post(self, callback, args) -> None:
        # A plain function calling UniversalQueue.put gets its synchronous (thread) version:
        # curio picks the version by whether the *caller* is a coroutine.
        self._queue.put((callback, args))

    async def _serve(self) -> None:
        while True:
            callback, args = await self._queue.get()
            callback(*args)
            await self._rt._issue_requests()   # what the callback asked of the kernel

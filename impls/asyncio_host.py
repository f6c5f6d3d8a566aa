"""Host asyncio code on a loopbench loop: ``asyncio_loop("heap")`` is an asyncio event loop.

    with asyncio.Runner(loop_factory=functools.partial(impls.asyncio_loop, "heap")) as runner:
        runner.run(main())

``AsyncioLoop`` is an ``asyncio.AbstractEventLoop`` whose scheduling is done by a
loopbench loop (the *inner* loop). Unmodified asyncio programs run on it with
asyncio's own ``Future`` and ``Task`` (C or pure Python, whichever asyncio picks):
they call ``call_soon``/``call_at`` on this loop, and the inner loop decides when
each callback runs and how the loop waits. That is the point: it is our loop that
runs asyncio code, so CPython's own tests can judge it.

What is whose:

* **ours (the inner loop)**: the ready queue, the timers, the order callbacks run
  in, the idle wait, the clock (a ``VirtualClock`` makes ``await asyncio.sleep(3600)``
  return at once), waking up for other threads (capability ``"threadsafe"``), and,
  with capability ``"io"``, ``add_reader``/``add_writer``/``remove_*``;
* **ours (this module)**: the asyncio loop's lifecycle (``run_forever``,
  ``run_until_complete``, ``stop``, ``close``), the task factory, the exception
  handler, debug mode, the default executor, the async-generator hooks, the
  ``sock_*`` coroutines (asyncio's algorithm, ``readiness.SocketCoroutines``, on the
  inner loop's ``add_reader``/``add_writer``: a call that can complete at once does,
  in the caller's step; ``sock_connect`` resolves a host name through
  ``getaddrinfo`` in the executor), and the socket transport
  (``asyncio_transport.py``) behind ``create_connection`` and ``create_server``;
* **asyncio's**: ``Future``, ``Task``, ``Handle``/``TimerHandle`` (each callback is
  an asyncio handle, run by its own ``_run()``: the callback runs in its
  ``contextvars.Context``, and an exception goes to this loop's exception handler),
  ``wrap_future`` for executor jobs, and ``asyncio._set_running_loop``, the low-level
  hook every third-party loop (uvloop too) calls so that ``get_running_loop()`` works.

Two names keep asyncio's own spelling because asyncio's code calls them on any loop:
``_timer_handle_cancelled`` (``asyncio.TimerHandle.cancel`` reports to its loop) and
``_default_executor`` (read by CPython's test utilities when they close a loop).

**One handle per callback.** On a built-in loop (a ``BaseLoop``), the asyncio handle
itself goes into the inner loop's ready queue (its ``_schedule`` hook) or timer store
(``_arm``): it has what they read, ``_cancelled``, ``_run()`` and, for a timer,
``_when`` and ``_scheduled``, which the store clears when the timer fires, as
asyncio's own loop does. So a callback costs one asyncio handle, and cancelling it
is asyncio's own ``cancel()``, which reports a stored timer here
(``_timer_handle_cancelled``) to be counted by the inner store. Elsewhere (a loop
that only follows the protocol, one being traced, one without an ``_arm`` hook, or
debug mode, which times each callback) the asyncio handle is wrapped in an inner
handle of the loop's own ``call_soon``/``call_at``, and cancelling cancels both.

**Other threads.** ``call_soon_threadsafe`` is the inner loop's; an executor job's
result comes back through it. Its asyncio handle is never wrapped both ways: the inner
handle runs it unless it was cancelled by then (the loop may run it before the call
returns in the other thread, so the asyncio handle keeps no reference to the inner one). A loop with ``"threadsafe"`` is woken at once. A loop
without it cannot be woken, so while jobs run in other threads the adapter keeps it
polling: a timer every ``POLL_INTERVAL`` seconds of the loop's clock, re-armed until
the threads are done (on a virtual clock time moves on by that much per poll, much as
an idle loop that can be woken jumps to its next deadline). A call from a thread the
adapter does not know of (not an executor job) waits for such a loop's next wake-up;
with nothing ready and no timer armed, our loops without ``"threadsafe"`` raise
``RuntimeError`` rather than sleep forever.

Not implemented (``NotImplementedError`` naming the method): the methods in
``NOT_IMPLEMENTED`` below, and the I/O methods on an inner loop without ``"io"``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import logging
import math
import os
import socket
import sys
import threading
import time
import warnings
import weakref
from typing import Any, Callable

from . import asyncio_transport
from .base import BaseLoop, check_time
from .readiness import READ, WRITE, SocketCoroutines, check_resolved, check_socket, fd_of
from .registry import create

logger = logging.getLogger("asyncio")     # asyncio's logger: errors appear where asyncio users look

#: Seconds (of the loop's clock) between polls of a loop that cannot be woken by another thread.
POLL_INTERVAL = 0.001

#: Frames of a coroutine's origin kept in debug mode (asyncio's DEBUG_STACK_DEPTH).
DEBUG_STACK_DEPTH = 10

#: The I/O methods that need an inner loop with the "io" capability.
IO_METHODS = ("add_reader", "remove_reader", "add_writer", "remove_writer",
              "sock_recv", "sock_recv_into", "sock_sendall", "sock_accept", "sock_connect")
#: The inner loop's methods for watching and unwatching, by kind.
ADD = {READ: "add_reader", WRITE: "add_writer"}
REMOVE = {READ: "remove_reader", WRITE: "remove_writer"}


class Handle(asyncio.Handle):
    """asyncio's handle, remembering the inner loop's handle so that cancelling cancels both."""

    __slots__ = ("_inner",)

    def cancel(self) -> None:
        super().cancel()
        self._inner.cancel()


class TimerHandle(asyncio.TimerHandle):
    """asyncio's timer handle, remembering the inner loop's timer (``cancel`` cancels both)."""

    __slots__ = ("_inner",)

    def cancel(self) -> None:
        super().cancel()
        self._inner.cancel()


class _Handle(asyncio.Handle):
    """asyncio's handle, made for the loop's hot path (never in debug mode).

    ``asyncio.Handle.__init__`` asks the loop ``get_debug()`` for each handle (a
    Python call), to keep the caller's stack in debug mode; ``call_soon`` takes this
    path only outside debug mode, and sets the slots itself without asking (no
    ``__init__`` frame either: ``object.__new__`` and seven stores, as
    ``BaseLoop.call_soon`` builds its handles).
    """

    __slots__ = ()


_new_object = object.__new__
_copy_context = contextvars.copy_context


class _Never:
    """Nothing to cancel: what a timer at +infinity is armed with, and what a wrapped
    handle keeps once it has run (``AsyncioLoop._run_wrapped``)."""

    def cancel(self) -> None:
        pass


NEVER = _Never()


class AsyncioLoop(SocketCoroutines, asyncio.AbstractEventLoop):
    """An asyncio event loop whose callbacks, timers and waiting are a loopbench loop's."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.name = f"asyncio on {inner.name}"
        self._debug = sys.flags.dev_mode or bool(os.environ.get("PYTHONASYNCIODEBUG"))
        self.slow_callback_duration = 0.1
        self._thread_id: int | None = None
        self._task_factory: Callable | None = None
        self._exception_handler: Callable | None = None
        self._default_executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._executor_shutdown_called = False
        self._asyncgens: weakref.WeakSet = weakref.WeakSet()
        self._asyncgens_shutdown_called = False
        self._from_threads: set = set()          # jobs whose results come back from other threads
        self._polling = False
        # (fd number, kind) -> (the object registered, its asyncio handle): the handle is
        # cancelled when the registration is replaced or removed (as in asyncio's selector).
        self._io_handles: dict[tuple[int, str], tuple[Any, asyncio.Handle]] = {}
        inner.set_exception_handler(lambda _, context: self.call_exception_handler(context))
        # The inner loop's hooks for taking asyncio's handles as they are (see "One handle
        # per callback" above); None where the inner loop has no such hook.
        built_in = isinstance(inner, BaseLoop)
        self._schedule = inner._schedule if built_in else None
        arm = inner._arm if built_in else None     # a method, or the store's push set on the instance
        self._arm = None if getattr(arm, "__func__", None) is BaseLoop._arm else arm

    @property
    def inner(self) -> Any:
        """The loopbench loop doing the scheduling."""
        return self._inner

    # ------------------------------------------------------------ scheduling
    def time(self) -> float:
        return self._inner.time()

    def _direct(self, hook: Callable | None) -> bool:
        """May a handle go to the inner loop through ``hook`` as it is? (Not wrapped.)"""
        return hook is not None and not self._debug and self._inner._tracer is None

    def call_soon(self, callback: Callable, *args: Any, context=None) -> asyncio.Handle:
        # Hot path: asyncio's Task schedules each of its steps here. So ``_direct`` and
        # ``_check_callback`` are written out for the common case (a built-in loop, open,
        # untraced, not in debug mode, a callable), which costs no Python call but the
        # handle's; anything else takes the full path, with its checks and errors.
        schedule = self._schedule
        if (schedule is not None and not self._debug and self._inner._tracer is None
                and not self._inner._closed and callable(callback)):
            handle = _new_object(_Handle)            # every slot of asyncio.Handle is set here
            handle._context = context if context is not None else _copy_context()
            handle._loop = self
            handle._callback = callback
            handle._args = args
            handle._cancelled = False
            handle._repr = None
            handle._source_traceback = None
            schedule(handle)
            return handle
        self._check_callback(callback, "call_soon")
        if self._direct(schedule):
            handle = asyncio.Handle(callback, args, self, context)
            schedule(handle)
            return handle
        handle = Handle(callback, args, self, context)
        handle._inner = self._inner.call_soon(self._run_wrapped, handle)
        return handle

    def call_later(self, delay: float, callback: Callable, *args: Any, context=None) -> TimerHandle:
        if delay is None:
            raise TypeError("delay must not be None")
        return self.call_at(self.time() + delay, callback, *args, context=context)

    def call_at(self, when: float, callback: Callable, *args: Any, context=None) -> TimerHandle:
        if when is None:
            raise TypeError("when cannot be None")
        self._check_callback(callback, "call_at")
        if when == math.inf:                     # asyncio's "never" (asyncio.sleep(math.inf)): not armed
            handle = TimerHandle(when, callback, args, self, context)
            handle._inner = NEVER
        elif self._direct(self._arm):
            handle = asyncio.TimerHandle(check_time(when, "when"), callback, args, self, context)
            handle._scheduled = True             # in the store until it fires (the store clears it)
            self._arm(handle)
        else:
            handle = TimerHandle(when, callback, args, self, context)
            handle._inner = self._inner.call_at(when, self._run_wrapped, handle)
        return handle

    def call_soon_threadsafe(self, callback: Callable, *args: Any, context=None) -> asyncio.Handle:
        # Unlike call_soon's wrapping, the asyncio handle does not keep the inner one: the
        # loop may run it before this call returns in another thread, and a reference set
        # afterwards would make the cycle _run_wrapped breaks. Cancelling sets asyncio's
        # flag, and the inner handle then runs nothing (_run_unless_cancelled).
        self._check_callback(callback, "call_soon_threadsafe", thread=False)
        handle = asyncio.Handle(callback, args, self, context)
        self._inner.call_soon_threadsafe(self._run_unless_cancelled, handle)
        return handle

    def _run_unless_cancelled(self, handle: asyncio.Handle) -> None:
        if not handle._cancelled:
            self._run_handle(handle)

    def _run_wrapped(self, handle: Handle | TimerHandle) -> None:
        """Run an asyncio handle that the inner loop held wrapped in a handle of its own.

        The two refer to each other (the inner handle's argument is ``handle``, whose
        ``_inner`` cancels it): a reference cycle, which would keep the callback and its
        arguments (a task, the exception it ended with, the frames of its traceback)
        alive after the run until the garbage collector comes by, where asyncio frees
        them as soon as the handle has run. Once it runs there is nothing left to cancel,
        so ``handle`` lets go of the inner handle first, and the cycle is gone.
        """
        handle._inner = NEVER
        self._run_handle(handle)

    def _run_handle(self, handle: asyncio.Handle) -> None:
        if not self._debug:
            handle._run()
            return
        start = time.perf_counter()
        handle._run()
        took = time.perf_counter() - start
        if took >= self.slow_callback_duration:
            # Formatted now, as asyncio does: a log record keeps its arguments (pytest's
            # caplog keeps the records), and the handle would keep its callback's alive.
            logger.warning("Executing %s took %.3f seconds", _format_handle(handle), took)

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        """asyncio.TimerHandle.cancel reports here (before it sets the flag): a timer armed
        directly is counted by the inner store, as the inner loop's own cancel() does (it
        only counts: safe from any thread). A wrapped one cancels its inner timer itself."""
        if handle._scheduled and not isinstance(handle, TimerHandle):
            self._inner._timer_cancelled(handle)

    # --------------------------------------------------------------- running
    def run_forever(self) -> None:
        self._check_closed()
        self._check_running()
        old_hooks, old_depth = sys.get_asyncgen_hooks(), sys.get_coroutine_origin_tracking_depth()
        sys.set_asyncgen_hooks(firstiter=self._asyncgen_firstiter_hook,
                               finalizer=self._asyncgen_finalizer_hook)
        if self._debug:
            sys.set_coroutine_origin_tracking_depth(DEBUG_STACK_DEPTH)
        self._thread_id = threading.get_ident()
        asyncio._set_running_loop(self)
        try:
            self._inner.run_forever()
        finally:
            asyncio._set_running_loop(None)
            self._thread_id = None
            sys.set_coroutine_origin_tracking_depth(old_depth)
            sys.set_asyncgen_hooks(*old_hooks)

    def run_until_complete(self, future: Any) -> Any:
        self._check_closed()
        self._check_running()
        new_task = not asyncio.isfuture(future)
        future = asyncio.ensure_future(future, loop=self)
        future.add_done_callback(_stop_loop)
        try:
            self.run_forever()
        except BaseException:
            if new_task and future.done() and not future.cancelled():
                future.exception()               # retrieved: no "never retrieved" warning
            raise
        finally:
            future.remove_done_callback(_stop_loop)
        if not future.done():
            raise RuntimeError("Event loop stopped before Future completed.")
        return future.result()

    def stop(self) -> None:
        self._inner.stop()

    def is_running(self) -> bool:
        return self._inner.is_running()

    def close(self) -> None:
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        if self.is_closed():
            return
        self._inner.close()
        # The inner loop's exception handler refers to this loop: a cycle that would keep
        # both alive after the last reference goes, until the garbage collector comes by
        # (asyncio's own loop lets go of its cycles, its self-pipe's, when it closes).
        self._inner.set_exception_handler(None)
        self._io_handles.clear()
        self._executor_shutdown_called = True
        executor, self._default_executor = self._default_executor, None
        if executor is not None:
            executor.shutdown(wait=False)

    def is_closed(self) -> bool:
        return self._inner.is_closed()

    def _check_closed(self) -> None:
        if self._inner.is_closed():
            raise RuntimeError("Event loop is closed")

    def _check_running(self) -> None:
        if self.is_running():
            raise RuntimeError("This event loop is already running")
        if asyncio._get_running_loop() is not None:
            raise RuntimeError("Cannot run the event loop while another loop is running")

    def _check_callback(self, callback: Any, method: str, thread: bool = True) -> None:
        self._check_closed()
        if not callable(callback):
            raise TypeError(f"a callable object was expected by {method}(), got {callback!r}")
        if self._debug:                          # asyncio's debug-mode checks
            if asyncio.iscoroutine(callback) or inspect.iscoroutinefunction(callback):
                raise TypeError(f"coroutines cannot be used with {method}()")
            if thread and self._thread_id is not None and threading.get_ident() != self._thread_id:
                raise RuntimeError("Non-thread-safe operation invoked on an event loop other than the current one")

    # ------------------------------------------------------- futures, tasks
    def create_future(self) -> asyncio.Future:
        return asyncio.Future(loop=self)

    def create_task(self, coro: Any, *, name: str | None = None, context=None) -> asyncio.Task:
        if self._inner.is_closed():              # _check_closed written out: one call per task less
            raise RuntimeError("Event loop is closed")
        if self._task_factory is None:
            return asyncio.Task(coro, loop=self, name=name, context=context)
        if context is None:
            task = self._task_factory(self, coro)
        else:
            task = self._task_factory(self, coro, context=context)
        if name is not None:
            task.set_name(name)
        return task

    def set_task_factory(self, factory: Callable | None) -> None:
        if factory is not None and not callable(factory):
            raise TypeError("task factory must be a callable or None")
        self._task_factory = factory

    def get_task_factory(self) -> Callable | None:
        return self._task_factory

    # ---------------------------------------------------- async generators
    def _asyncgen_firstiter_hook(self, agen: Any) -> None:
        if self._asyncgens_shutdown_called:
            warnings.warn(f"asynchronous generator {agen!r} was scheduled after "
                          f"loop.shutdown_asyncgens() call", ResourceWarning, source=self)
        self._asyncgens.add(agen)

    def _asyncgen_finalizer_hook(self, agen: Any) -> None:
        self._asyncgens.discard(agen)
        if not self.is_closed():
            self.call_soon_threadsafe(self.create_task, agen.aclose())

    async def shutdown_asyncgens(self) -> None:
        self._asyncgens_shutdown_called = True
        closing = list(self._asyncgens)
        self._asyncgens.clear()
        results = await asyncio.gather(*[agen.aclose() for agen in closing], return_exceptions=True)
        for result, agen in zip(results, closing):
            if isinstance(result, Exception):
                self.call_exception_handler({
                    "message": f"an error occurred during closing of asynchronous generator {agen!r}",
                    "exception": result, "asyncgen": agen})

    # ---------------------------------------------------- other threads
    def run_in_executor(self, executor: Any, func: Callable, *args: Any) -> asyncio.Future:
        self._check_callback(func, "run_in_executor")
        if executor is None:
            if self._executor_shutdown_called:
                raise RuntimeError("Executor shutdown has been called")
            if self._default_executor is None:
                self._default_executor = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="asyncio")
            executor = self._default_executor
        job = executor.submit(func, *args)
        future = asyncio.wrap_future(job, loop=self)   # posts the result with call_soon_threadsafe
        self._expect_from_thread(job)
        job.add_done_callback(self._from_threads.discard)   # after the post: see _poll
        return future

    def set_default_executor(self, executor: Any) -> None:
        if not isinstance(executor, concurrent.futures.ThreadPoolExecutor):
            raise TypeError("executor must be ThreadPoolExecutor instance")
        self._default_executor = executor

    async def shutdown_default_executor(self, timeout: float | None = None) -> None:
        self._executor_shutdown_called = True
        executor = self._default_executor
        if executor is None:
            return
        done = self.create_future()

        def shutdown() -> None:                  # in a thread: shutdown(wait=True) blocks
            try:
                executor.shutdown(wait=True)
                if not self.is_closed():
                    self.call_soon_threadsafe(_set_result_unless_done, done)
            finally:
                self._from_threads.discard(thread)

        thread = threading.Thread(target=shutdown, name="asyncio-shutdown-executor")
        self._expect_from_thread(thread)
        thread.start()
        try:
            await asyncio.wait_for(done, timeout)
        except asyncio.TimeoutError:
            warnings.warn(f"The executor did not finishing joining its threads within {timeout} seconds.",
                          RuntimeWarning, stacklevel=2)
            executor.shutdown(wait=False)
        else:
            thread.join()

    def _expect_from_thread(self, job: Any) -> None:
        """A result will come back from another thread: keep a loop that cannot be woken polling."""
        self._from_threads.add(job)
        if "threadsafe" not in self._inner.capabilities and not self._polling:
            self._polling = True
            self._inner.call_later(POLL_INTERVAL, self._poll)

    def _poll(self) -> None:
        # A thread posts its result (call_soon_threadsafe) before it leaves _from_threads,
        # and the inner loop takes posted callbacks in at every iteration: so once the set
        # is empty, the last result is already on its way in and polling can stop.
        if self._from_threads and not self._inner.is_closed():
            self._inner.call_later(POLL_INTERVAL, self._poll)
        else:
            self._polling = False

    # ------------------------------------------------------------- errors
    def get_exception_handler(self) -> Callable | None:
        return self._exception_handler

    def set_exception_handler(self, handler: Callable | None) -> None:
        if handler is not None and not callable(handler):
            raise TypeError(f"A callable object or None is expected, got {handler!r}")
        self._exception_handler = handler

    def default_exception_handler(self, context: dict) -> None:
        """Log ``context`` on asyncio's logger, as asyncio's own loops do."""
        message = context.get("message") or "Unhandled exception in event loop"
        exception = context.get("exception")
        exc_info = (type(exception), exception, exception.__traceback__) if exception is not None else False
        lines = [message] + [f"{key}: {context[key]!r}" for key in sorted(context)
                             if key not in {"message", "exception"}]
        logger.error("\n".join(lines), exc_info=exc_info)

    def call_exception_handler(self, context: dict) -> None:
        handler = self._exception_handler
        try:
            if handler is None:
                self.default_exception_handler(context)
            else:
                handler(self, context)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            if handler is None:
                logger.error("Exception in default exception handler", exc_info=True)
                return
            try:
                self.default_exception_handler({"message": "Unhandled error in exception handler",
                                                "exception": exc, "context": context})
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException:
                logger.error("Exception in default exception handler while handling an unexpected error "
                             "in custom exception handler", exc_info=True)

    # -------------------------------------------------------------- debug
    def get_debug(self) -> bool:
        return self._debug

    def set_debug(self, enabled: bool) -> None:
        self._debug = enabled
        if self.is_running():
            sys.set_coroutine_origin_tracking_depth(DEBUG_STACK_DEPTH if enabled else 0)

    # ---------------------------------------------------------------- I/O
    def _require_io(self, method: str) -> None:
        if "io" not in self._inner.capabilities:
            raise NotImplementedError(f"{method}: the {self._inner.name} loop does no I/O "
                                      f"(it lacks the 'io' capability)")

    def _io(self, method: str) -> Any:
        """The inner loop's ``method``, if the inner loop does I/O (capability ``"io"``)."""
        self._require_io(method)
        return getattr(self._inner, method)

    def add_reader(self, fd: Any, callback: Callable, *args: Any) -> None:
        self._add_io(READ, fd, callback, args)

    def remove_reader(self, fd: Any) -> bool:
        return self._remove_io(READ, fd)

    def add_writer(self, fd: Any, callback: Callable, *args: Any) -> None:
        self._add_io(WRITE, fd, callback, args)

    def remove_writer(self, fd: Any) -> bool:
        return self._remove_io(WRITE, fd)

    def _add_io(self, kind: str, fd: Any, callback: Callable, args: tuple) -> asyncio.Handle:
        """The inner loop's ``add_reader``/``add_writer``, running an asyncio handle of the callback.

        Returns the handle; it is cancelled once the registration is replaced or removed,
        which is how a ``sock_*`` wait tells whether the registration is still its own."""
        add = self._io(ADD[kind])
        self._check_callback(callback, ADD[kind])
        handle = asyncio.Handle(callback, args, self)
        add(fd, self._run_handle, handle)
        number = fd_of(fd)                       # valid: the inner loop took it
        replaced = self._io_handles.get((number, kind))
        if replaced is not None:
            replaced[1].cancel()
        self._io_handles[number, kind] = (fd, handle)
        return handle

    def _remove_io(self, kind: str, fd: Any) -> bool:
        removed = self._io(REMOVE[kind])(fd)     # a socket closed since is found by the inner loop
        try:
            number = fd_of(fd)
        except ValueError:                       # closed since: find it by identity, as the inner loop did
            number = next((n for (n, k), (obj, _) in self._io_handles.items() if obj is fd and k == kind), None)
        entry = self._io_handles.pop((number, kind), None)
        if entry is not None:
            entry[1].cancel()
        return removed

    # The sock_* coroutines: asyncio's algorithm (readiness.SocketCoroutines): try the
    # call; only if it would block, wait on a one-off reader (writer), then try again.
    async def sock_recv(self, sock: socket.socket, n: int) -> bytes:
        self._check_sock(sock, "sock_recv")
        return await self._read_when_ready(sock, sock.recv, n)

    async def sock_recv_into(self, sock: socket.socket, buf: Any) -> int:
        self._check_sock(sock, "sock_recv_into")
        return await self._read_when_ready(sock, sock.recv_into, buf)

    async def sock_sendall(self, sock: socket.socket, data: Any) -> None:
        self._check_sock(sock, "sock_sendall")
        view = memoryview(data)
        if view.ndim != 1 or view.format != "B":
            view = view.cast("B")
        return await self._sock_sendall(sock, view)

    async def sock_accept(self, sock: socket.socket) -> tuple:
        self._check_sock(sock, "sock_accept")
        return await self._sock_accept(sock)

    async def sock_connect(self, sock: socket.socket, address: Any) -> None:
        self._check_sock(sock, "sock_connect")
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            address = await self._resolved(sock, address)
        return await self._sock_connect(sock, address)

    async def _resolved(self, sock: socket.socket, address: Any) -> Any:
        """asyncio's ``_ensure_resolved``: an IP address as it is; a host name through
        ``getaddrinfo`` in the executor (a lookup would block the loop), first answer."""
        try:
            check_resolved(sock, address)        # TypeError for what is no (host, port) at all
            return address
        except ValueError:
            pass
        infos = await self.getaddrinfo(*address[:2], family=sock.family, type=sock.type, proto=sock.proto)
        if not infos:
            raise OSError(f"getaddrinfo({address[0]!r}) returned no address")
        return infos[0][4]

    def _check_sock(self, sock: Any, what: str) -> None:
        self._require_io(what)
        self._check_closed()
        check_socket(sock, what)

    def _readable(self, sock: socket.socket) -> Any:
        return self._wait_io(sock.fileno(), READ)

    def _writable(self, sock: socket.socket) -> Any:
        return self._wait_io(sock.fileno(), WRITE)

    async def _wait_io(self, fd: int, kind: str) -> None:
        """Wait until ``fd`` is ready: one wake-up, then the registration is gone. Cancelled:
        remove it, unless another waiter's registration replaced it (asyncio's
        ``_sock_read_done`` checks ``handle.cancelled()`` the same way)."""
        future = self.create_future()
        handle = self._add_io(kind, fd, self._io_ready, (future, fd, kind))
        try:
            await future
        finally:
            if not handle.cancelled():
                self._remove_io(kind, fd)
            future = None                        # as asyncio: no cycle through a failed frame

    def _io_ready(self, future: asyncio.Future, fd: int, kind: str) -> None:
        self._remove_io(kind, fd)                # level-triggered: unwatch before the task reads
        if not future.done():
            future.set_result(None)

    async def await_inner(self, awaitable: Any) -> Any:
        """Await the inner loop's own awaitable (its ``sock_recv``, ``sleep``...) from asyncio code.

        A coroutine runs as a task of the inner loop (a future or task of it is used as
        it is); its outcome is copied into an asyncio future. Cancelling the awaiting
        asyncio task cancels the inner task.
        """
        inner_task = self._inner.create_task(awaitable) if asyncio.iscoroutine(awaitable) else awaitable
        future = self.create_future()

        def copy_outcome(done: Any) -> None:
            if future.done():
                return
            if done.cancelled():
                future.cancel()
            elif done.exception() is not None:
                future.set_exception(done.exception())
            else:
                future.set_result(done.result())

        inner_task.add_done_callback(copy_outcome)
        try:
            return await future
        except asyncio.CancelledError:
            inner_task.cancel()
            raise

    async def getaddrinfo(self, host: Any, port: Any, *, family: int = 0, type: int = 0,
                          proto: int = 0, flags: int = 0) -> list:
        return await self.run_in_executor(None, socket.getaddrinfo, host, port, family, type, proto, flags)

    async def getnameinfo(self, sockaddr: tuple, flags: int = 0) -> tuple:
        return await self.run_in_executor(None, socket.getnameinfo, sockaddr, flags)

    async def create_connection(self, protocol_factory: Callable, host: str | None = None,
                                port: int | None = None, **kwargs: Any) -> tuple:
        self._require_io("create_connection")
        return await asyncio_transport.create_connection(self, protocol_factory, host, port, **kwargs)

    async def create_server(self, protocol_factory: Callable, host: Any = None, port: int | None = None,
                            **kwargs: Any) -> asyncio.AbstractServer:
        self._require_io("create_server")
        return await asyncio_transport.create_server(self, protocol_factory, host, port, **kwargs)

    async def connect_accepted_socket(self, protocol_factory: Callable, sock: socket.socket,
                                      **kwargs: Any) -> tuple:
        self._require_io("connect_accepted_socket")
        return await asyncio_transport.connect_accepted_socket(self, protocol_factory, sock, **kwargs)

    def __repr__(self) -> str:
        state = "closed" if self.is_closed() else "running" if self.is_running() else "idle"
        return f"<AsyncioLoop on {self._inner.name} {state} debug={self._debug}>"


#: asyncio methods this loop does not implement: each raises NotImplementedError naming itself.
NOT_IMPLEMENTED = (
    "create_datagram_endpoint", "create_unix_connection", "create_unix_server", "start_tls",
    "sendfile", "sock_sendfile", "sock_recvfrom", "sock_recvfrom_into", "sock_sendto",
    "connect_read_pipe", "connect_write_pipe", "subprocess_exec", "subprocess_shell",
    "add_signal_handler", "remove_signal_handler",
)


def _not_implemented(method: str) -> Callable:
    def method_not_implemented(self: AsyncioLoop, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{method}: not implemented by loopbench's asyncio loop "
                                  f"(on {self._inner.name})")
    method_not_implemented.__name__ = method
    return method_not_implemented


for _method in NOT_IMPLEMENTED:
    setattr(AsyncioLoop, _method, _not_implemented(_method))


def _format_handle(handle: asyncio.Handle) -> str:
    """A slow callback as asyncio's debug mode names it: a task's step by its task."""
    owner = getattr(handle._callback, "__self__", None)
    return repr(owner) if isinstance(owner, asyncio.Task) else str(handle)


def _stop_loop(future: asyncio.Future) -> None:
    """run_until_complete's done callback. A SystemExit/KeyboardInterrupt already stopped the loop."""
    if not future.cancelled() and isinstance(future.exception(), (SystemExit, KeyboardInterrupt)):
        return
    future.get_loop().stop()


def _set_result_unless_done(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def asyncio_loop(name: str, *, clock: Any = None) -> AsyncioLoop:
    """A new asyncio event loop backed by a new loopbench loop ``name`` (``impls.names()``)."""
    return AsyncioLoop(create(name, clock=clock))


__all__ = ["AsyncioLoop", "NOT_IMPLEMENTED", "POLL_INTERVAL", "asyncio_loop"]

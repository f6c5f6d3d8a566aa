"""The loopbench protocol: what every event loop implementation promises.

These are ``typing.Protocol`` classes, checkable at run time with ``isinstance``,
so an implementation need not inherit from anything: it only needs these methods,
and the conformance suite (``tests/``) checks that it keeps the contract. Names
follow asyncio's, so what you learn here carries over.

The contract, clause by clause (each clause has its tests):

1. **Callbacks.** ``call_soon`` is FIFO. Callbacks scheduled while an iteration runs
   wait for the next iteration. ``stop()`` ends ``run_forever`` after the current
   iteration.
2. **Timers.** Timers fire in deadline order; equal deadlines fire in the order they
   were scheduled (FIFO, stricter than asyncio, which does not promise it). A timer
   never fires before its ``when()`` by ``loop.time()``.
3. **Cancellation.** A cancelled handle never runs. Arming and cancelling any number
   of timers leaves the loop's memory bounded.
4. **Errors in callbacks** go to the exception handler (default: logged with the
   traceback); the loop keeps running the other callbacks. A callback whose name
   cannot be looked up (its ``__repr__``/``__qualname__`` raises) is reported the
   same way: naming it never fails (asyncio's handle repr would crash ``run_forever``).
5. **Tasks.** ``run_until_complete`` returns the coroutine's result or raises its
   exception. Cancelling a task raises ``CancelledError`` at its current await, its
   ``finally`` blocks run, and awaiting it raises ``CancelledError``. A task's result
   comes only from its coroutine: ``set_result``/``set_exception`` -> ``RuntimeError``.
   A failed task's exception is freed with the task, never kept in a reference cycle
   for the cyclic GC (its traceback holds no frame of the loop's that holds the task).
6. **Bad input** gets a clear error at the call and leaves the loop healthy: a NaN
   (or infinite) delay or deadline -> ``ValueError``; a non-callable -> ``TypeError``;
   ``create_task`` of a non-coroutine -> ``TypeError``, of a coroutine another task
   is running -> ``RuntimeError`` (one given to two tasks before either started:
   both calls accepted, the first task runs it, the second ends with
   ``RuntimeError`` at its first step, neither is left pending; as asyncio); any use of a closed loop -> ``RuntimeError``;
   ``run_forever`` while running -> ``RuntimeError``; ``create(name, clock=...)`` of
   something that is not a clock -> ``TypeError``; a future's ``set_exception`` of
   something that is not an exception (or of ``StopIteration``) -> ``TypeError``. A
   negative delay means "as soon as possible".

7. **The iteration model** (``impls/base.py``): random scheduling programs fire in
   exactly the reference model's order and at its virtual times.
8. **Threads.** ``call_soon_threadsafe`` from many threads runs each callback exactly
   once, on the loop's thread, in each producer's order; a ``"threadsafe"`` loop is
   woken while idle.
9. **Cancellation from other threads.** ``cancel()`` may be called from any thread.
   No timer ever runs twice, and every timer nobody cancelled runs. A timer whose
   ``cancel()`` returned before its deadline (by ``loop.time()``) never runs. A
   cancel that races the timer's run either stops it or comes too late (the
   callback runs once); either way nothing is reported as an error.

A loop that declares ``"io"`` also satisfies ``IOEventLoop`` (asyncio's names:
``add_reader``, ``remove_reader``, ``add_writer``, ``remove_writer``, ``sock_recv``,
``sock_recv_into``, ``sock_sendall``, ``sock_accept``, ``sock_connect``;
``impls/readiness.py``) and keeps four more clauses, 10 to 13. Its bad input follows
clause 6: a blocking socket -> ``ValueError`` (as asyncio); an invalid or closed fd
-> ``ValueError`` or ``OSError``; a non-callable -> ``TypeError``; a closed loop ->
``RuntimeError`` (``remove_reader``/``remove_writer`` there return False, as asyncio's).

10. **I/O streams.** A reader (writer) callback runs on the loop's thread at each
    iteration in which its fd is readable (writable); registering again replaces the
    callback. Data through the ``sock_*`` coroutines is never lost or reordered.
11. **I/O cancellation.** A task cancelled while it waits in ``sock_recv`` (or any
    ``sock_*`` coroutine) leaves no registration behind, and takes none of another
    task's: of two tasks waiting on one socket, the second (whose registration
    replaced the first's) still gets the data when the first is cancelled (as asyncio).
12. **I/O removal.** A reader or writer removed while its callback is ready (due to
    run in this iteration) does not run. Removing a socket closed since it was
    registered finds its registration and returns True (as asyncio); a new socket
    that reuses the fd number is then watched like any other.
13. **I/O close.** Closing the loop unregisters every fd, lets go of their
    callbacks, and closes none of the user's sockets.

Clause 0 is the shape: the loop satisfies ``EventLoop``. ``CONTRACT`` below lists
every clause in the words a failing conformance test reports.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Generator, Protocol, runtime_checkable

#: The contract's clauses, by number: what a conformance failure reports it broke.
CONTRACT = {
    0: "Shape: the loop satisfies impls.EventLoop (runtime-checkable) and declares its name and capabilities.",
    1: "Callbacks: call_soon is FIFO; callbacks scheduled while an iteration runs wait for the next "
       "iteration; stop() ends run_forever after the current iteration.",
    2: "Timers: timers fire in deadline order, equal deadlines in scheduling order (FIFO); a timer never "
       "fires before its when() by loop.time().",
    3: "Cancellation: a cancelled handle never runs; arming and cancelling any number of timers leaves "
       "memory bounded.",
    4: "Errors in callbacks go to the exception handler (default: logged with traceback); the loop keeps "
       "running the other callbacks, also when the callback's name cannot be looked up (its repr raises).",
    5: "Tasks: run_until_complete returns the result or raises the exception; cancelling a task raises "
       "CancelledError at its current await, runs its finally blocks, and awaiting it raises CancelledError; "
       "a task's result comes only from its coroutine (set_result/set_exception -> RuntimeError); a failed task's "
       "exception is freed with the task, not kept in a reference cycle for the cyclic GC.",
    6: "Bad input: NaN/infinite delay -> ValueError; non-callable -> TypeError; create_task of a "
       "non-coroutine -> TypeError, of a coroutine another task runs -> RuntimeError (given to two tasks before "
       "either started: the first runs it, the second ends with RuntimeError); use of a closed loop "
       "-> RuntimeError; run_forever while running -> RuntimeError; a clock that is not a clock -> "
       "TypeError; a future's set_exception of a non-exception -> TypeError; the loop stays healthy.",
    7: "The iteration model (impls/base.py): random scheduling programs fire in exactly the reference "
       "model's order and at its virtual times.",
    8: "Threads: call_soon_threadsafe from many threads runs each callback exactly once, on the loop's "
       "thread, in each producer's order; a 'threadsafe' loop is woken while idle.",
    9: "Cancellation from other threads: cancel() may be called from any thread; no timer runs twice and "
       "every timer nobody cancelled runs; a timer whose cancel() returned before its deadline (by "
       "loop.time()) never runs; a cancel racing the run either stops it or comes too late, and is no error.",
    10: "I/O streams ('io'): a reader (writer) callback runs on the loop's thread at each iteration its fd is "
       "readable (writable); registering again replaces it; data through the sock_* coroutines is never lost "
       "or reordered.",
    11: "I/O cancellation ('io'): a task cancelled while waiting in sock_recv (or any sock_* coroutine) leaves "
        "no registration behind and takes none of another task's (a second waiter on the socket gets the data).",
    12: "I/O removal ('io'): a reader or writer removed while its callback is ready does not run; removing a "
        "socket closed since it was registered removes its registration (True), and its fd number serves again.",
    13: "I/O close ('io'): closing the loop unregisters every fd, lets go of their callbacks, and closes none "
        "of the user's sockets.",
}

#: Capabilities a loop may declare in ``EventLoop.capabilities``.
CAPABILITIES = {
    "timers": "call_later / call_at",
    "tasks": "create_task / run_until_complete of async def coroutines",
    "threadsafe": "call_soon_threadsafe wakes the loop even while it is idle",
    "generators": "create_task accepts plain generators (yield-based coroutines)",
    "io": "add_reader/add_writer/remove_* and the sock_* coroutines (IOEventLoop)",
}


@runtime_checkable
class Handle(Protocol):
    """A scheduled callback.

    ``cancel()`` may be called from any thread (clause 9). From another thread it
    stops a timer that is not due yet for sure, and one that is due if the loop has
    not taken it to run; no interleaving runs a callback twice. An implementation
    keeps this by letting ``cancel()`` only flag the handle and count it, and by
    changing its timer store only on the loop's thread (asyncio does the same).
    """

    def cancel(self) -> None:
        """Make sure the callback never runs. Idempotent; harmless after it ran; any thread."""

    def cancelled(self) -> bool:
        """True once ``cancel()`` was called."""


@runtime_checkable
class TimerHandle(Handle, Protocol):
    """A callback scheduled for a deadline."""

    def when(self) -> float:
        """The deadline, in the loop's ``time()``. The callback never runs earlier."""


@runtime_checkable
class Task(Protocol):
    """A coroutine running on a loop. Awaitable: ``await task`` returns its result or raises."""

    def __await__(self) -> Generator[Any, None, Any]: ...

    def done(self) -> bool:
        """True once the task returned, raised or was cancelled."""

    def result(self) -> Any:
        """The return value; raises the task's exception, ``CancelledError`` if it was
        cancelled, ``InvalidStateError`` if it is not done."""

    def exception(self) -> BaseException | None:
        """The exception the task raised (None if it returned); raises like ``result()``
        if cancelled or not done."""

    def cancel(self) -> bool:
        """Ask for ``CancelledError`` to be raised at the task's current await.
        Returns False if the task is already done."""

    def cancelled(self) -> bool:
        """True if the task ended by cancellation."""

    def add_done_callback(self, fn: Callable[[Any], Any]) -> None:
        """Call ``fn(task)`` through the loop (``call_soon``) once the task is done."""


@runtime_checkable
class EventLoop(Protocol):
    """An event loop. See the module docstring for the contract."""

    #: The registry name, e.g. ``"heap"``.
    name: str
    #: A frozenset of capability names (see ``CAPABILITIES``).
    capabilities: frozenset[str]

    def time(self) -> float:
        """Now, in seconds, from the loop's clock (monotonic, or virtual)."""

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> Handle:
        """Run ``callback(*args)`` at the next iteration, FIFO. ``TypeError`` if not callable."""

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """``call_at(time() + delay, ...)``. NaN -> ``ValueError``; negative -> as soon as possible."""

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` once ``time() >= when``, in deadline order, FIFO among equals."""

    def call_soon_threadsafe(self, callback: Callable[..., Any], *args: Any) -> Handle:
        """``call_soon`` from any thread. Wakes an idle loop if it declares ``"threadsafe"``."""

    def run_forever(self) -> None:
        """Run iterations until ``stop()``. ``RuntimeError`` if already running or closed."""

    def run_until_complete(self, awaitable: Any) -> Any:
        """Run until the coroutine or task is done; return its result or raise its exception."""

    def stop(self) -> None:
        """End ``run_forever`` after the current iteration."""

    def is_running(self) -> bool: ...

    def close(self) -> None:
        """Release resources (threads, selectors). Idempotent. ``RuntimeError`` while running."""

    def is_closed(self) -> bool: ...

    def create_task(self, coro: Any) -> Task:
        """Schedule a coroutine (or, with ``"generators"``, a generator) as a task."""

    def sleep(self, delay: float, result: Any = None) -> Awaitable[Any]:
        """An awaitable that completes with ``result`` after ``delay`` seconds."""

    def set_exception_handler(self, handler: Callable[[Any, dict], Any] | None) -> None:
        """``handler(loop, context)`` receives errors caught by the loop; ``context["exception"]``."""


@runtime_checkable
class IOEventLoop(EventLoop, Protocol):
    """An event loop that declares ``"io"``: asyncio's readiness callbacks and socket coroutines."""

    def add_reader(self, fd: Any, callback: Callable[..., Any], *args: Any) -> None:
        """Call ``callback(*args)`` at each iteration ``fd`` (an int or has ``fileno()``) is readable.
        Registering again replaces the callback."""

    def remove_reader(self, fd: Any) -> bool:
        """Stop watching ``fd`` for reading. True if it was watched."""

    def add_writer(self, fd: Any, callback: Callable[..., Any], *args: Any) -> None:
        """Call ``callback(*args)`` at each iteration ``fd`` is writable. Replaces any writer."""

    def remove_writer(self, fd: Any) -> bool:
        """Stop watching ``fd`` for writing. True if it was watched."""

    def sock_recv(self, sock: Any, nbytes: int) -> Awaitable[bytes]:
        """Receive up to ``nbytes`` bytes from a non-blocking socket; ``b""`` at end of stream."""

    def sock_recv_into(self, sock: Any, buf: Any) -> Awaitable[int]:
        """Receive into a writable buffer; the number of bytes (0 at end of stream)."""

    def sock_sendall(self, sock: Any, data: Any) -> Awaitable[None]:
        """Send all of ``data``."""

    def sock_accept(self, sock: Any) -> Awaitable[tuple[Any, Any]]:
        """Accept a connection: ``(conn, address)``, ``conn`` non-blocking."""

    def sock_connect(self, sock: Any, address: Any) -> Awaitable[None]:
        """Connect to a resolved ``address`` (an IP address, not a name)."""

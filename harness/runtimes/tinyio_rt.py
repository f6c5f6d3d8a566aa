"""tinyio: a generator event loop, where a coroutine ``yield``s what it waits for.

tinyio (``tinyio.Loop().run(coro)``) runs plain generators. A coroutine yields
``None`` to let the others run, a coroutine to wait for its result, a list of
coroutines to wait for all of them (its gather/nursery), or a set of coroutines to
start them in the background. ``tinyio.sleep``, ``Event.wait``, ``Lock()`` are
themselves generators that are yielded the same way. docs/research/tinyio.md has the
full reading of its source and the scripts that checked each point.

How a neutral ``async def`` scenario runs on it. The loop accepts only generators,
so every scenario coroutine (``main`` and every spawned task) is run by ``_drive``:
a generator that steps the ``async def`` coroutine and yields to tinyio whatever it
awaited. Each awaitable this adapter returns is a one-line ``types.coroutine``
(``_yield``) that yields one tinyio value: ``await rt.sleep(0.001)`` yields
``tinyio.sleep(0.001)`` out of the coroutine, through ``_drive``, to tinyio's loop,
which schedules and wakes it exactly as it would in a tinyio program written with
``yield tinyio.sleep(0.001)``. The scheduling is tinyio's; what ``_drive`` adds is
one generator frame per step, the price of running ``async def`` code on a loop of
generators (docs/research/tinyio.md measures it against plain tinyio code).

Native (tinyio's own primitive does the work):

* ``now``: ``time.monotonic()``, the clock tinyio's timeouts use (``_Wait.register``).
* ``sleep``: ``tinyio.sleep(s)``; ``sleep(0)`` (and below) is a bare ``yield``,
  tinyio's documented way to let the other coroutines run (``tinyio.sleep(0)``
  would also work, through its timer heap and two extra scheduling steps).
* ``spawn``: ``yield {coroutines}``, tinyio's "run in the background". ``spawn`` is a
  plain call and a yield needs the running coroutine, so the new coroutines are kept
  and yielded by the spawner's ``_drive`` at its next await (or when it ends),
  all in one set, before what it awaits; a ``sleep(0)`` is folded into that yield,
  which already sends the spawner to the back of tinyio's queue. Nothing else runs
  in between, so no task can tell. tinyio starts a set's coroutines in the set's
  iteration order, which follows the coroutines' hashes, not the spawn order.
  tinyio has no task objects: ``spawn`` returns a ``_Task`` that holds tinyio's
  coroutine for the task (and the task's exception, see below).
* ``join``: ``yield coroutine``: tinyio keeps a finished coroutine's result and hands
  it to anyone who yields it later.
* ``event``: ``tinyio.Event`` (``set``/``is_set`` plain calls, ``wait`` yielded).
* ``lock``: ``tinyio.Lock``, entered as ``with (yield lock())``.
* ``is_cancellation``: ``tinyio.CancelledError``.
* ``task_group``: the children are yielded as one list at the block's exit,
  ``yield [coroutines]``: tinyio's own "start all of these and wait for all".
  ``group.cancel()`` is unsupported (see ``cancel``).
* ``sleep_until``: ``tinyio.sleep(deadline - now)``; tinyio's sleeps are relative.
* ``group_errors``: ``yield tinyio.isolate(group)`` where ``group`` yields the list
  of children: tinyio's gather, inside tinyio's own way to let a failure end only a
  part of the program. ``isolate`` runs a nested ``tinyio.Loop`` and, whenever that
  loop has to block, waits for it in a thread (``run_in_thread``).

Emulated (built from tinyio's primitives; never in a comparison):

* ``call_soon_threadsafe``: tinyio's way in from another thread is ``Event.set()``,
  which is thread-safe and wakes the loop through its socket pair. The adapter adds
  one coroutine per run that waits on such an event and runs the posted callbacks
  (FIFO) on the loop's thread: the queue and that coroutine are the adapter's.

Unsupported, and why:

* ``cancel``: tinyio cancels only the whole loop (when a coroutine raises). Its one
  targeted cancellation, inside ``tinyio.timeout``, throws into the coroutine from
  outside the loop, which still waits for what the coroutine was waiting on: a
  cancelled ``sleep(3600)`` keeps the loop alive for the hour.
* ``timeout``: ``tinyio.timeout(coro, seconds)`` bounds a whole coroutine and
  returns ``(None, False)``; it cannot bound a block of the current coroutine.
* ``call_soon``, ``call_at``, ``call_later``, ``run_forever``, ``stop``: tinyio runs
  coroutines only, with no plain callbacks and no timers for them.
* ``queue``: tinyio has none.
* ``open_stream``, ``serve_echo``: tinyio's loop waits on nothing but its own wake-up
  (``tinyio/_utils.py``: a socket pair behind ``Event``, in ``select.select``); it has
  no way to wait on a user's socket. Blocking socket calls would need
  ``tinyio.run_in_thread``, a thread per wait: another thing than a loop's I/O.
* ``gather_errors``: tinyio's gather (``yield [..]``) ends the whole loop on an
  error; contained, it is what ``group_errors`` measures.

Adapter choices (the interface's semantics, where tinyio's differ):

* A spawned task's exception is kept for ``join`` (``_drive`` catches it), as the
  interface's task handles require. Under tinyio's own rule an uncaught error in any
  coroutine cancels every coroutine and ends the run; ``main``'s own exceptions and
  ``group_errors`` keep that rule.
* ``run`` ends when ``main`` returns. tinyio's loop runs until every coroutine has
  finished, so the root then raises ``_RunOver``: tinyio throws ``CancelledError``
  into each coroutine still in the loop (their ``finally`` blocks run) and re-raises
  ``_RunOver`` from ``Loop.run``, which ``run`` turns back into ``main``'s result.
"""

from __future__ import annotations

import collections
import inspect
import math
import time
import types
from collections.abc import Generator
from contextlib import asynccontextmanager

import tinyio

from .interface import EMULATED, UNSUPPORTED, Runtime, Unsupported
from .structured import ChildTally


NO_SOCKET_WAIT = ("tinyio's loop waits only on its own wake-up socket pair (select.select in tinyio/_utils.py): "
                  "it has no way to wait on a user's socket; a blocking call in tinyio.run_in_thread "
                  "would be a thread per wait, not the loop's I/O")


@types.coroutine
def _yield(request):
    """Await one tinyio yield: ``request`` goes to tinyio's loop; its answer comes back."""
    return (yield request)


#: The runtimes this module adapts, described once: ``harness.runtimes`` reads this literal
#: without importing the module (a library missing here costs only its own runtimes), and
#: everything else (the registry, the environment's library versions, the report's cards and
#: its families, the tests of native paths) derives from it. See docs/extending.md.
PEERS = {
    "tinyio": {
        "adapter": "TinyioRuntime", "family": "structured", "distribution": "tinyio",
        "about": ["A small loop of plain generators: a coroutine yields what it waits for (a coroutine, "
                  "a list of them, a sleep); no callbacks, no timers for them, no cancelling one task."],
    },
}


class _RunOver(Exception):
    """Raised by the root when ``main`` has returned: tinyio then cancels every other coroutine."""

    def __init__(self, result) -> None:
        super().__init__("main returned")
        self.result = result


class TinyioRuntime(Runtime):
    name = "tinyio"
    api = "tinyio"
    distribution = "tinyio"
    support = {
        "call_soon_threadsafe": EMULATED,   # one coroutine per run waits on a tinyio.Event
        "cancel": UNSUPPORTED,
        "timeout": UNSUPPORTED,
        "call_soon": UNSUPPORTED,
        "call_at": UNSUPPORTED,
        "call_later": UNSUPPORTED,
        "queue": UNSUPPORTED,
        "gather_errors": UNSUPPORTED,
        "run_forever": UNSUPPORTED,
        "stop": UNSUPPORTED,
        "open_stream": UNSUPPORTED,
        "serve_echo": UNSUPPORTED,
    }
    notes = {
        "sleep": "tinyio.sleep (sleep(0): a bare yield)",
        "sleep_until": "tinyio.sleep(deadline - now): tinyio's sleeps are relative",
        "spawn": "yield {coroutine}: tinyio's start-in-background",
        "join": "yield coroutine: tinyio hands over a finished coroutine's result",
        "task_group": "yield [coroutines] at the block's exit: tinyio's start-all-and-wait",
        "event": "tinyio.Event",
        "lock": "tinyio.Lock",
        "group_errors": "tinyio.isolate around yield [children]",
        "call_soon_threadsafe": "a deque drained by one coroutine per run, woken by a tinyio.Event "
                                "(set() is thread-safe)",
        "cancel": "tinyio cancels only the whole loop",
        "timeout": "tinyio.timeout bounds a whole coroutine, not a block",
        "call_soon": "tinyio has no plain callbacks",
        "call_at": "tinyio has no plain callbacks and no timers for them",
        "call_later": "tinyio has no plain callbacks and no timers for them",
        "queue": "tinyio has no queue",
        "gather_errors": "tinyio's gather ends the whole loop on an error",
        "run_forever": "tinyio has no callback loop",
        "stop": "tinyio has no callback loop",
        "open_stream": NO_SOCKET_WAIT,
        "serve_echo": NO_SOCKET_WAIT,
        "serve_echo_protocol": "asyncio's Protocol API: asyncio event loops only",
    }

    def __init__(self) -> None:
        self._spawned: list[_Task] = []           # spawned, not yet yielded to tinyio
        self._threadsafe: _ThreadsafeEntry | None = None

    # ----------------------------------------------------------- lifecycle
    def run(self, main):
        self._spawned = []
        self._threadsafe = _ThreadsafeEntry()
        try:
            tinyio.Loop().run(self._root(main))
        except _RunOver as over:
            return over.result
        except BaseExceptionGroup as group:       # coroutines that failed while being cancelled
            if not isinstance(group.exceptions[0], _RunOver):
                raise
            raise BaseExceptionGroup("main returned; these coroutines raised while tinyio cancelled them",
                                     list(group.exceptions[1:])) from None
        finally:
            self._threadsafe.closed = True
            for task in self._spawned:            # never handed to tinyio: the run ended first
                task.awaitable.close()
            self._spawned = []
        raise AssertionError("the root coroutine always ends by raising")  # pragma: no cover

    def _root(self, main):
        yield {self._threadsafe.serve(self)}
        result = yield from self._drive(main())
        raise _RunOver(result)

    def _drive(self, coro, task: _Task | None = None):
        """Run the ``async def`` coroutine ``coro`` as a tinyio coroutine (see the module docstring).

        For a spawned ``task``, an exception of ``coro`` is kept in it for ``join``
        instead of ending the loop (unless it came while tinyio was cancelling it).
        """
        value = error = None
        while True:
            try:
                request = coro.send(value) if error is None else coro.throw(error)
            except StopIteration as stop:
                yield from self._start_spawned()
                return stop.value
            except Exception as exc:
                if task is None or isinstance(error, tinyio.CancelledError):
                    raise
                task.error = exc
                yield from self._start_spawned()
                return None
            value = error = None
            try:
                if self._spawned:
                    yield self._take_spawned()       # start them; we run again after them
                    if request is None:              # that yield was the sleep(0)
                        continue
                value = yield request
            except BaseException as exc:             # tinyio.CancelledError, or a waited-on error
                error = exc

    def _take_spawned(self) -> set:
        spawned, self._spawned = {task.coroutine for task in self._spawned}, []
        return spawned

    def _start_spawned(self):
        if self._spawned:
            yield self._take_spawned()

    # --------------------------------------------------------- inside run
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds):
        if math.isnan(seconds):
            raise ValueError("sleep() needs a number of seconds, not NaN")
        return _yield(tinyio.sleep(seconds) if seconds > 0 else None)

    def spawn(self, fn, *args):
        coro = fn(*args)
        if not inspect.iscoroutine(coro):
            raise TypeError(f"spawn() needs an async function; {fn!r} returned {type(coro).__name__}")
        task = _Task(coro)
        task.coroutine = self._drive(coro, task)
        self._spawned.append(task)
        return task

    async def join(self, ref):
        if not isinstance(ref, _Task):
            raise TypeError(f"join() takes what spawn() returned, not {type(ref).__name__}")
        result = await _yield(ref.coroutine)     # tinyio hands over the coroutine's return value
        if ref.error is not None:
            raise ref.error
        return result

    def cancel(self, ref) -> None:
        raise Unsupported("tinyio cannot cancel one coroutine: it cancels the whole loop when a coroutine "
                          "raises, and tinyio.timeout's throw leaves the loop waiting for what the "
                          "coroutine waited on")

    def is_cancellation(self, exc: BaseException) -> bool:
        return isinstance(exc, tinyio.CancelledError)

    def call_soon(self, cb, *args):
        raise Unsupported("tinyio has no plain callbacks: it runs coroutines only")

    def call_at(self, when, cb, *args):
        raise Unsupported("tinyio has no plain callbacks and no timers for them: it runs coroutines only")

    def call_soon_threadsafe(self, cb, *args):
        self._threadsafe.post(cb, args)

    def event(self):
        return _Event()

    def lock(self):
        return _Lock()

    def queue(self, maxsize: int = 0):
        raise Unsupported("tinyio has no queue")

    def timeout(self, seconds):
        raise Unsupported("tinyio.timeout bounds a whole coroutine and returns (None, False); "
                          "it cannot bound a block of the current coroutine")

    @asynccontextmanager
    async def task_group(self):
        group = _Group(self)
        try:
            yield group
        except BaseException:
            for child in group.children:       # never handed to tinyio: nothing else will close them
                child.close()
            raise
        await _yield(group.children)          # tinyio's own "wait for all": yield a list of coroutines

    def sleep_until(self, deadline):
        # tinyio's sleeps are relative (its timer heap holds now + seconds): its own idiom for a deadline.
        return _yield(tinyio.sleep(max(0.0, deadline - time.monotonic())))

    async def group_errors(self, fns):
        children = ChildTally(len(fns), self.is_cancellation)

        def group():
            return (yield [self._drive(children.watch(fn)) for fn in fns])

        outcome, finished = await _yield(tinyio.isolate(group()))
        if finished:
            return {"raised": None}
        return children.outcome(outcome)


class _Group:
    """``task_group()``'s object: the children, yielded to tinyio as one list at the block's exit
    (tinyio starts a list's coroutines together and waits for all of them). tinyio cannot
    cancel some coroutines and not others, so ``cancel`` is unsupported."""

    __slots__ = ("_rt", "children")

    def __init__(self, rt: TinyioRuntime) -> None:
        self._rt, self.children = rt, []

    async def spawn(self, fn, *args) -> None:
        self.children.append(self._rt._drive(fn(*args)))

    async def cancel(self) -> None:
        raise Unsupported("tinyio cannot cancel some coroutines and not others")


class _Task:
    """What ``spawn`` returns: tinyio's coroutine for the task, and the exception it raised, if any."""

    __slots__ = ("awaitable", "coroutine", "error")

    def __init__(self, awaitable) -> None:
        self.awaitable = awaitable                # the async def coroutine ...
        self.coroutine: Generator | None = None   # ... and the tinyio coroutine that runs it
        self.error: BaseException | None = None


class _Event:
    """``tinyio.Event``, with ``wait`` as an awaitable."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = tinyio.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def clear(self) -> None:
        self._event.clear()

    async def wait(self) -> bool:
        await _yield(self._event.wait())
        return True


class _Lock:
    """``tinyio.Lock``: ``async with`` does ``with (yield lock())``."""

    __slots__ = ("_lock", "_held")

    def __init__(self) -> None:
        self._lock = tinyio.Lock()
        self._held = None

    async def __aenter__(self):
        held = await _yield(self._lock())
        held.__enter__()
        self._held = held
        return self

    async def __aexit__(self, *exc):
        held, self._held = self._held, None
        held.__exit__(*exc)
        return False


class _ThreadsafeEntry:
    """Callbacks posted from other threads, run by one coroutine on the loop's thread.

    ``post`` appends to a deque and sets a ``tinyio.Event``: both are safe from any
    thread, and the event's ``set`` wakes tinyio's loop if it is blocked.
    """

    def __init__(self) -> None:
        self.callbacks: collections.deque = collections.deque()
        self.wake = tinyio.Event()
        self.closed = False

    def post(self, callback, args) -> None:
        if self.closed:
            raise RuntimeError("the tinyio run has ended")
        self.callbacks.append((callback, args))
        self.wake.set()

    def serve(self, rt: TinyioRuntime):
        callbacks = self.callbacks
        while True:
            yield self.wake.wait()
            self.wake.clear()
            while callbacks:
                callback, args = callbacks.popleft()
                callback(*args)
            yield from rt._start_spawned()

"""The trampoline loop: tasks driven by an explicit stack of generators (talk, step 3).

Before ``async``/``await`` (PEP 492) and even before ``yield from`` (PEP 380),
coroutines were plain generators, and a scheduler had to *trampoline* them: when a
generator yields another generator, the scheduler pushes it on the task's stack and
runs it; when it returns, the scheduler pops it and sends the return value to its
caller. David Beazley's ``pyos8.py`` ("A Curious Course on Coroutines and
Concurrency", 2009) is the classic version; this is the same idea on our loop.

A task here is a stack, and ``_step`` runs the top of it until it yields something
the task has to wait for::

    def child():                        stack: [parent]      parent yields child()
        yield loop.sleep(1)             stack: [parent, child]
        return 42                       child yields sleep()  -> pushed, waits on a timer
    def parent():                       child returns 42      -> popped, 42 sent to parent
        x = yield child()               stack: [parent]
        print(x)

What a task may yield, and what the trampoline does:

=================================  ====================================================
a generator or coroutine           push it; its ``return`` value is sent to the caller,
                                   its exception thrown into the caller. It must not
                                   have started: ``RuntimeError`` thrown back in for
                                   one finished, suspended elsewhere, or on the stack
a ``Future`` or a task             wait: resume with its result (or exception) when done
``None`` (a bare ``yield``)        go to the back of the ready queue (``sleep(0)``)
``ReadWait(sock)``,                wait until the socket is readable (writable): the
``WriteWait(sock)``                scheduler watches its fd for this task, once
anything else                      ``TypeError`` thrown back in at the ``yield``
=================================  ====================================================

``async def`` coroutines run here too, unchanged: Python's own ``await`` chain does
what the stack does, so their stack stays one deep and only ``Future`` objects come
out of them. Everything else (ready queue, timer heap, idle wait) is the heap loop's,
inherited: the idea this module teaches is the task, not the scheduling.

**I/O, pyos8's way.** In ``pyos8.py`` a task that must wait for a socket yields a
*system call*, ``ReadWait(sock)`` or ``WriteWait(sock)``, and the scheduler parks it
(``waitforread``: ``read_waiting[fd] = task``) until its poll finds the fd ready.
Here the same: the task yields the request, the loop watches the fd (in the heap
loop's selector) with one callback, ``_resume_io``, which stops watching and steps
the task. So ``sock_recv`` is the loop everyone writes by hand::

    while True:
        try:
            return sock.recv(nbytes)
        except BlockingIOError:
            yield ReadWait(sock)         # (``await ReadWait(sock)`` in async def code)

Generator tasks may yield the requests themselves, as in pyos8. Cancelling a task
parked on one stops watching its fd and throws ``CancelledError`` in at the yield.
"""

from __future__ import annotations

from types import GeneratorType
from typing import Any

from .errors import CancelledError
from .heap_loop import HeapLoop
from .readiness import READ, WRITE, fd_of
from .tasks import START, Future, Task, is_coroutine, is_generator, not_fresh, without_our_frame
from .trace import POP, PUSH, STEP, SUSPEND, Event


class IOWait:
    """A request a task yields to the scheduler: resume me once ``sock`` is ready (pyos8)."""

    __slots__ = ("sock", "fd", "handle")
    kind = READ

    def __init__(self, sock) -> None:
        self.sock = sock
        self.fd: int | None = None             # set when the scheduler watches it
        self.handle = None                     # the registration, while it is ours

    def __await__(self):                       # ``await ReadWait(sock)`` in async def code
        yield self

    __iter__ = __await__

    def __repr__(self) -> str:
        return f"{type(self).__name__}(fd {self.fd})"


class ReadWait(IOWait):
    """``yield ReadWait(sock)``: wait until ``sock`` is readable."""

    __slots__ = ()
    kind = READ


class WriteWait(IOWait):
    """``yield WriteWait(sock)``: wait until ``sock`` is writable."""

    __slots__ = ()
    kind = WRITE


class TrampolineTask(Task):
    """A task whose coroutine is a stack of generators/coroutines, run by a trampoline."""

    __slots__ = ("_stack",)

    def __init__(self, coro: Any, loop: HeapLoop) -> None:
        self._stack = [coro]
        super().__init__(coro, loop)

    def _step(self, exc: BaseException | None = None, value: Any = None) -> None:
        if self.done():
            return
        if exc is START:                           # the first step: is the coroutine still ours?
            if self._refused_at_start():
                return
            exc = None
        tracer = self._loop._tracer
        if tracer is not None:
            tracer.event(Event(STEP, self._loop.time(), self, exc))
        if self._must_cancel:
            exc = self._take_cancel(exc)
        self._waiting_on = None
        stack = self._stack
        while True:
            top = stack[-1]
            try:
                yielded = top.send(value) if exc is None else top.throw(exc)
            except StopIteration as stop:          # top returned: its value goes to its caller
                stack.pop()
                if tracer is not None:
                    tracer.event(Event(POP, self._loop.time(), self, top))
                if not stack:
                    return self._finish(stop.value, None)
                value, exc = stop.value, None
                continue
            except (KeyboardInterrupt, SystemExit) as error:
                stack.clear()
                Future.set_exception(self, error)
                raise
            except BaseException as error:         # top raised: its caller gets the exception
                stack.pop()
                if tracer is not None:
                    tracer.event(Event(POP, self._loop.time(), self, top))
                without_our_frame(error)           # no cycle through this frame (tasks.py)
                if not stack:
                    return self._finish(None, error)
                value, exc = None, error
                continue

            value, exc = None, None
            if is_generator(yielded) or is_coroutine(yielded):
                if yielded.__class__ is GeneratorType:     # the usual call: three flag reads
                    started = yielded.gi_suspended or yielded.gi_running or yielded.gi_frame is None
                else:
                    started = not_fresh(yielded) is not None
                if started:                        # thrown back in at the yield
                    exc = self._cannot_call(yielded)
                    continue
                stack.append(yielded)              # call: run the sub-generator next
                if tracer is not None:
                    tracer.event(Event(PUSH, self._loop.time(), self, yielded))
                continue
            if tracer is not None:
                tracer.event(Event(SUSPEND, self._loop.time(), self, yielded))
            if yielded is None:                    # bare yield: let the others run
                self._loop.call_soon(self._step)
                return
            if isinstance(yielded, IOWait):        # a system call: park until the fd is ready
                try:
                    self._loop._wait_io(self, yielded)
                except (OSError, ValueError, RuntimeError) as error:
                    exc = error                    # a bad fd: thrown back in at the yield
                    continue
                self._waiting_on = yielded
                return
            if isinstance(yielded, Future) and yielded._loop is self._loop and yielded is not self:
                self._waiting_on = yielded         # wait: resume via _wakeup when done
                yielded.add_done_callback(self._wakeup)
                if self._must_cancel and yielded.cancel():
                    self._must_cancel = False
                return
            exc = RuntimeError(f"Task got bad yield: a trampoline task cannot wait on {yielded!r}; yield a generator, "
                            "a coroutine, a future or task of this loop, or None")

    def cancel(self) -> bool:
        request = self._waiting_on
        if isinstance(request, IOWait) and not self.done():
            self._waiting_on = None
            if not request.handle.cancelled():                # still ours: another task's
                self._loop._remove(request.fd, request.kind)  # wait on the fd may have replaced it
            self._loop.call_soon(self._step, CancelledError())
            return True
        return super().cancel()

    def _cannot_call(self, sub: Any) -> RuntimeError:
        """The error for ``sub``, just yielded, which has started.

        Only a generator that has not started can be called: one on this task's stack
        (the generator itself, or a caller) would be resumed from the middle of its
        own call, one suspended elsewhere belongs to another task, and a finished one
        would "return" None without running.
        """
        name = getattr(sub, "__qualname__", repr(sub))
        if any(sub is frame for frame in self._stack):
            return RuntimeError(f"a trampoline task cannot run {name!r}: it yields itself or one of its callers")
        return RuntimeError(f"a trampoline task can only call a generator that has not started; "
                            f"{name!r} {not_fresh(sub)}")

    def _wakeup(self, future: Future) -> None:
        # A generator that did ``x = yield future`` gets the result sent in. (An ``async
        # def`` coroutine ignores the sent value: ``Future.__await__`` returns the result.)
        # The outcome is read, not raised: see Task._wakeup.
        if future.cancelled():
            self._step(CancelledError())
        elif future._exception is not None:
            self._step(future._exception)
        else:
            self._step(None, future._result)

    def _finish(self, result: Any, error: BaseException | None) -> None:
        if isinstance(error, CancelledError) or (error is None and self._must_cancel):
            self._must_cancel = False
            Future.cancel(self)
        elif error is not None:
            Future.set_exception(self, error)
        else:
            Future.set_result(self, result)


class TrampolineLoop(HeapLoop):
    """The heap loop, with tasks driven by an explicit generator trampoline."""

    name = "trampoline"
    capabilities = frozenset({"timers", "tasks", "threadsafe", "generators", "io"})

    def _make_task(self, coro: Any) -> TrampolineTask:
        return TrampolineTask(coro, self)

    # I/O, pyos8's way: the sock_* coroutines (readiness.py) wait by yielding a request.
    def _readable(self, sock) -> ReadWait:
        return ReadWait(sock)

    def _writable(self, sock) -> WriteWait:
        return WriteWait(sock)

    def _wait_io(self, task: TrampolineTask, request: IOWait) -> None:
        """pyos8's ``waitforread``/``waitforwrite``: park ``task`` until its fd is ready."""
        request.fd = fd_of(request.sock)
        request.handle = self._add(request.fd, request.kind, self._resume_io, (task, request))

    def _resume_io(self, task: TrampolineTask, request: IOWait) -> None:
        self._remove(request.fd, request.kind)     # one wake-up per request, as pyos8 pops it
        task._step()

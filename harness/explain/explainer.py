"""The explainer: runs a walk-through on a loop and turns what it sees into frames.

It watches from two sides:

* **the protocol**, which every loop has: it wraps the loop's public methods
  (``call_soon``, ``call_at``, ``create_task``, ``run_forever``, ...) to learn the
  calls going in, and ``sys.stdout`` to learn the output coming out. The top-level
  calls are the **Code** box; each one is a frame;
* **the loop's events** (``impls/trace.py``), when the loop has ``set_tracer``: the
  explainer is the tracer, and draws idle waits and time jumps, due timers moving to
  the ready queue, each callback run, tasks stepping and suspending, and the
  **Selector**: the fds watched, the loop's look at them (``select``) and the ready
  ones whose callbacks join the ready queue.

A loop without ``set_tracer`` (or with ``trace=False``) is still drawn: timers and
callbacks from the calls in, a frame each time one of them runs (the explainer wraps
the callbacks to see that), and the output. What it cannot show is why: no idle
wait, no due timers, no task steps.
"""

from __future__ import annotations

import contextlib
import functools
import io
from typing import Any

from impls import trace as T

from .frames import Frame, Walk
from .walkthroughs import Walkthrough

WRAPPED = ("call_soon", "call_later", "call_at", "create_task", "run_forever", "run_until_complete",
           "add_reader", "add_writer", "remove_reader", "remove_writer")
#: How the Selector box says what a watched fd waits for.
READINESS = {"read": "readable", "write": "writable"}


def short_name(obj: Any) -> str:
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__name__
    return name.rsplit(".", 1)[-1]


def frame_name(obj: Any) -> str:
    """A generator or coroutine on a trampoline's stack; ``loop.sleep()``'s is "sleep"."""
    name = short_name(obj)
    return "sleep" if name == "sleep_for" else name


def fmt_time(value: float) -> str:
    return f"{value:g}"


class Explainer:
    """A tracer and a set of wrappers that draw frames of one program on one loop."""

    def __init__(self, loop: Any, clock: Any, *, trace: bool = True) -> None:
        self.loop, self.clock = loop, clock
        self.traced = trace and callable(getattr(loop, "set_tracer", None))
        self.frames: list[Frame] = []
        self.code: list[str] = []
        self.timers: dict[Any, tuple[float, Any, tuple]] = {}    # key -> (when, callback, args)
        self.callbacks: dict[Any, tuple[Any, tuple]] = {}         # key -> (callback, args)
        self.waiting: dict[Any, Any] = {}                         # task -> what it waits on
        self.output = ""
        self.timers_note = ""
        self.looked_at = 0                                        # timers scanned, in total
        self.depth = 0                                            # nested wrapped calls
        self.running = False
        self.action = ""                                          # the loop's current line of code
        self.iteration_call = ".execute_timers()" if hasattr(loop, "execute_timers") else "._run_once()"
        self.task_names: dict[Any, str] = {}
        self.sleeps: dict[int, float] = {}                        # id(future) -> delay
        self.pending_due: list[Any] = []
        self.idle_from: float | None = None
        self.notes: list[str] = []                                # what happened inside a callback
        self.running_handle: Any = None
        self.output_mark = 0                                      # output before the current callback
        self.watched: dict[tuple[int, str], Any] = {}             # (fd, kind) -> its handle
        self.ready_io: dict[Any, tuple[int, str]] = {}            # handle -> (fd, kind), not run yet
        self.io_futures: dict[int, tuple[int, str]] = {}          # id(future) -> the fd it waits for
        self.selector_note = ""
        self.selects = 0                                          # looks at the watched fds, in total
        self.pending_ready: list[Any] = []
        self.select_call = ".select_io()" if hasattr(loop, "select_io") else self.iteration_call
        self._keep: list[Any] = []                                # keeps ids in sleeps valid

    # ------------------------------------------------------------- naming
    def task_name(self, task: Any) -> str:
        name = self.task_names.get(task)
        if name is None:
            coro = task.get_coro() if hasattr(task, "get_coro") else None
            base = short_name(coro) if coro is not None else "task"
            name = base
            n = 2
            while name in self.task_names.values():
                name, n = f"{base}-{n}", n + 1
            self.task_names[task] = name
        return name

    def describe_wait(self, obj: Any) -> str:
        if obj is None:
            return "nothing (a bare yield: back of the queue)"
        if id(obj) in self.sleeps:
            return f"sleep({fmt_time(self.sleeps[id(obj)])})"
        if id(obj) in self.io_futures:
            fd, kind = self.io_futures[id(obj)]
            return f"fd {fd} {READINESS[kind]}"
        if hasattr(obj, "sock") and getattr(obj, "kind", None) in READINESS:     # ReadWait/WriteWait
            return f"{type(obj).__name__}: fd {obj.sock.fileno()} {READINESS[obj.kind]}"
        if hasattr(obj, "get_coro"):
            return f"task {self.task_name(obj)}"
        return short_name(obj) if callable(obj) else type(obj).__name__.lower()

    def callback_label(self, callback: Any, args: tuple) -> str:
        owner = getattr(callback, "__self__", None)
        if owner is not None and hasattr(owner, "get_coro"):            # a task's own step
            return f"{self.task_name(owner)}.{callback.__name__.lstrip('_')}"
        name = short_name(callback)
        if name in ("_set_result_unless_done", "_io_done") and args:   # the end of a sleep or an I/O wait
            for task, on in self.waiting.items():
                if on is args[0]:
                    return f"wake {self.task_name(task)}"
            return "end of I/O wait" if id(args[0]) in self.io_futures else "end of sleep"
        if name == "_resume_io" and args:                               # the trampoline's I/O wake-up
            return f"wake {self.task_name(args[0])}"
        if args and all(isinstance(a, (str, int, float)) for a in args):
            return f"{name.lstrip('_')}({', '.join(repr(a) for a in args)})"
        return name.lstrip("_")

    def arg_text(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if callable(value):
                return short_name(value)
            if hasattr(value, "cr_code") or hasattr(value, "gi_code"):
                return f"{short_name(value)}()"
            if hasattr(value, "get_coro"):
                return self.task_name(value)
            return repr(value)
        return fmt_time(value)

    # ------------------------------------------------------------- frames
    def snapshot(self, caption: str) -> None:
        code = list(self.code) + ([f"  {self.action}"] if self.running and self.action else [])
        timers = [f"({fmt_time(when)}, {self.callback_label(cb, args)})"
                  for when, cb, args in self.timers.values()]
        callbacks = [f"{self.callback_label(cb, args)}()" for cb, args in self.callbacks.values()]
        waiting = [f"{self.task_name(t)} waits on {self.describe_wait(on)}" for t, on in self.waiting.items()]
        output = self.output.rstrip("\n").split("\n") if self.output else []
        ready = set(self.ready_io.values())
        selector = [f"fd {fd} {kind} → {self.callback_label(h._callback, h._args)}()"
                    + ("  ← ready" if (fd, kind) in ready else "")
                    for (fd, kind), h in self.watched.items() if not h._cancelled]
        self.frames.append(Frame(len(self.frames) + 1, self.loop.time(), caption, code, timers,
                                 self.timers_note, callbacks, waiting, output,
                                 selector=selector, selector_note=self.selector_note))

    def flush_due(self) -> None:
        if not self.pending_due:
            return
        names = ", ".join(self.callback_label(*self.callbacks[t]) for t in self.pending_due if t in self.callbacks)
        self.pending_due = []
        self.action = self.iteration_call
        self.snapshot(f"due timers move to the callbacks: {names}")

    def flush_ready(self) -> None:
        if not self.pending_ready:
            return
        found = [(self.ready_io[h], self.callback_label(h._callback, h._args))
                 for h in self.pending_ready if h in self.ready_io]
        self.pending_ready = []
        self.action = self.select_call
        self.snapshot("select(): " + "; ".join(f"fd {fd} is {READINESS[kind]}: {label}() joins the callbacks"
                                               for (fd, kind), label in found))

    # ------------------------------------------------------------- tracer
    def event(self, ev: T.Event) -> None:
        kind, subject = ev.kind, ev.subject
        if kind != T.DUE:
            self.flush_due()
        if kind != T.READY:
            self.flush_ready()
        if kind == T.SCHEDULED:
            self.callbacks[subject] = (subject._callback, subject._args)
            if self.running_handle is not None and not self.is_internal(subject._callback):
                self.notes.append(f"schedules {self.callback_label(subject._callback, subject._args)}()")
        elif kind == T.ARMED:
            self.timers[subject] = (ev.detail, subject._callback, subject._args)
            if self.running_handle is not None and short_name(subject._callback) != "_set_result_unless_done":
                self.notes.append(f"arms ({fmt_time(ev.detail)}, {self.callback_label(subject._callback, subject._args)})")
        elif kind == T.CANCELLED:
            self.timers.pop(subject, None)
            if subject is not self.running_handle:    # (a reader may unwatch itself as it runs)
                self.callbacks.pop(subject, None)
        elif kind == T.SCAN:
            self.looked_at += ev.detail
            self.timers_note = (f"execute_timers() looks at every timer: {ev.detail} now, "
                                f"{self.looked_at} so far")
        elif kind == T.DUE:
            when, cb, args = self.timers.pop(subject, (ev.time, subject._callback, subject._args))
            self.callbacks[subject] = (cb, args)
            self.pending_due.append(subject)
        elif kind == T.WATCH:
            fd, what = ev.detail
            self.watched[ev.detail] = subject
            if short_name(subject._callback) == "_io_done":          # a sock_* coroutine's wait
                self.io_futures[id(subject._args[0])] = ev.detail
                self._keep.append(subject._args[0])
            if self.running_handle is not None:
                self.notes.append(f"watches fd {fd} until {READINESS[what]}")
        elif kind == T.UNWATCH:
            fd, what = ev.detail
            handle = self.watched.pop(ev.detail, None)
            self.ready_io.pop(handle, None)
            if self.running_handle is not None:
                self.notes.append(f"stops watching fd {fd}")
        elif kind == T.SELECT:
            self.selects += 1
            how = "select.select() looks at every fd" if self.select_call == ".select_io()" else "select() looks"
            self.selector_note = f"{how}: {ev.detail} watched, {self.selects} look(s) so far"
        elif kind == T.READY:
            self.ready_io[subject] = ev.detail
            self.callbacks[subject] = (subject._callback, subject._args)
            self.pending_ready.append(subject)
        elif kind == T.RUN:
            self.ready_io.pop(subject, None)
            self.running_handle = subject
            self.notes = []
            self.output_mark = len(self.output)
            self.action = self.iteration_call
        elif kind == T.RAN:
            entry = self.callbacks.pop(subject, None) or (subject._callback, subject._args)
            self.running_handle = None
            label = self.callback_label(*entry) if entry[0] is not None else "callback"
            printed = self.output[self.output_mark:].strip()
            notes = ([f"prints {printed!r}"] if printed else []) + self.notes
            self.snapshot(f"{label}() runs" + (": " + "; ".join(notes) if notes else ""))
        elif kind == T.STEP:
            self.waiting.pop(subject, None)
        elif kind == T.SUSPEND:
            name = self.task_name(subject)
            if ev.detail is None:
                self.notes.append(f"{name} yields its turn")
            else:
                self.waiting[subject] = ev.detail
                self.notes.append(f"{name} suspends on {self.describe_wait(ev.detail)}")
        elif kind == T.SLEEP:
            self.sleeps[id(subject)] = ev.detail
            self._keep.append(subject)
        elif kind == T.PUSH:
            self.notes.append(f"{self.task_name(subject)} calls {frame_name(ev.detail)}(): pushed on its stack")
        elif kind == T.POP:
            self.notes.append(f"{frame_name(ev.detail)}() returns: popped")
        elif kind == T.FINISHED:
            self.waiting.pop(subject, None)
            self.notes.append(f"task {self.task_name(subject)} is {'done' if ev.detail == 'finished' else ev.detail}")
        elif kind == T.IDLE:
            self.idle_from = ev.detail
        elif kind == T.JUMP:
            self.action = "(idle: nothing is ready)"
            self.snapshot(f"nothing is ready: the loop waits {fmt_time(ev.time - ev.detail)}s; "
                          f"virtual time jumps from {fmt_time(ev.detail)} to {fmt_time(ev.time)}")

    @staticmethod
    def is_internal(callback: Any) -> bool:
        return short_name(callback) in ("_stop_when_done",)

    # ------------------------------------------------------------ wrapping
    def wrap(self) -> None:
        if self.traced:
            self.loop.set_tracer(self)
        for name in WRAPPED:
            method = getattr(self.loop, name, None)
            if method is not None:
                setattr(self.loop, name, self.wrapper(name, method))
        advance = getattr(self.clock, "advance", None)
        if advance is not None:
            self.clock.advance = self.wrapper("advance", advance, prefix="clock.")

    def unwrap(self) -> None:
        for name in WRAPPED:
            self.loop.__dict__.pop(name, None)
        self.clock.__dict__.pop("advance", None)
        if self.traced:
            self.loop.set_tracer(None)

    def wrapper(self, name: str, method: Any, prefix: str = "."):
        @functools.wraps(method)
        def call(*args: Any) -> Any:
            top = self.depth == 0 and not self.running
            if top:
                self.code.append(f"{prefix}{name}({', '.join(self.arg_text(a) for a in args)})")
            if not self.traced:
                args = self.protocol_only(name, args)
            self.depth += 1
            running = name.startswith("run_")
            if running and top:
                self.running, self.depth = True, 0
            try:
                result = method(*args)
            finally:
                if running and top:
                    self.running, self.depth = False, 1
                self.depth -= 1
            if top and not running:
                self.snapshot(self.code[-1])
            return result
        return call

    # --------------------------------------- drawing from the protocol alone
    def protocol_only(self, name: str, args: tuple) -> tuple:
        """Record a timer or callback from the call itself; wrap its callback to see it run."""
        if name == "call_soon":
            callback, rest, when = args[0], args[1:], None
        elif name in ("call_at", "call_later"):
            when = args[0] if name == "call_at" else self.loop.time() + args[0]
            callback, rest = args[1], args[2:]
        else:
            return args
        key = object()
        if when is None:
            self.callbacks[key] = (callback, rest)
        else:
            self.timers[key] = (when, callback, rest)

        @functools.wraps(callback)
        def watched(*a: Any) -> Any:
            self.timers.pop(key, None)
            entry = self.callbacks.pop(key, (callback, rest))
            mark, before = len(self.output), self.depth
            self.depth += 1
            try:
                return callback(*a)
            finally:
                self.depth = before
                printed = self.output[mark:].strip()
                self.snapshot(f"{self.callback_label(*entry)}() runs at {fmt_time(self.loop.time())}"
                              + (f": prints {printed!r}" if printed else ""))
        return (watched, *rest) if when is None else (args[0], watched, *rest)

    # ------------------------------------------------------------ output
    def write(self, text: str) -> int:
        self.output += text
        return len(text)


class _Stdout(io.TextIOBase):
    def __init__(self, explainer: Explainer) -> None:
        self.explainer = explainer

    def write(self, text: str) -> int:
        return self.explainer.write(text)

    def writable(self) -> bool:
        return True


def run(walkthrough: Walkthrough, impl: str, *, trace: bool = True) -> Walk:
    """Run ``walkthrough`` on a new ``impl`` loop on a virtual clock; return its frames."""
    import impls

    clock = impls.VirtualClock()
    loop = impls.create(impl, clock=clock)
    try:
        if walkthrough.requires and walkthrough.requires not in getattr(loop, "capabilities", ()):
            caption = (f"not supported: the {impl} loop does not have the {walkthrough.requires!r} "
                       f"capability (try --impl trampoline)")
            frame = Frame(1, loop.time(), caption, output=[caption])
            return Walk(walkthrough.name, walkthrough.title, impl, walkthrough.source, [frame],
                        traced=False, supported=False)
        explainer = Explainer(loop, clock, trace=trace)
        explainer.wrap()
        try:
            with contextlib.redirect_stdout(_Stdout(explainer)):
                walkthrough.program(loop, clock)
            explainer.flush_due()
            explainer.flush_ready()
        finally:
            explainer.unwrap()
        return Walk(walkthrough.name, walkthrough.title, impl, walkthrough.source, explainer.frames,
                    traced=explainer.traced)
    finally:
        loop.close()

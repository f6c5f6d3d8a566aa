"""``loopbench new-impl NAME``: scaffold a new implementation as an installable package.

It writes ``loopbench-NAME/`` with a ``pyproject.toml`` that registers the loop
through the ``loopbench.impls`` entry point, and a loop module whose every hook is
documented against the contract. The scaffolded loop is complete and correct (a
ready deque, a timer heap, an idle wait in a selector that also watches sockets),
so it passes the conformance kit, I/O included, from the first minute; you then
replace the part your idea is about, and re-run the kit to see what you broke
(``docs/extending.md``).
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from . import DISTRIBUTION
from .protocol import CONTRACT

#: The clauses the scaffold names by number, taken from the contract (never typed twice).
IO_CLAUSES = sorted(n for n, text in CONTRACT.items() if "('io')" in text)
IO_CLOSE_CLAUSE = next(n for n, text in CONTRACT.items() if text.startswith("I/O close"))

PYPROJECT = Template('''\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "loopbench-$name"
version = "0.1.0"
description = "The $name event loop, for loopbench"
requires-python = ">=3.11"
# loopbench's distribution ("loopbench" on the package index is another project), with
# what its conformance kit needs (hypothesis, pytest-timeout).
dependencies = ["$distribution[kit]"]

# This line is what puts the loop in impls.names(), the conformance kit and every
# loopbench comparison, once the package is installed (pip install -e .).
[project.entry-points."loopbench.impls"]
$name = "$package.loop:$cls"

[tool.setuptools]
packages = ["$package"]
''')

INIT = Template('''"""The $name event loop for loopbench."""

from .loop import $cls

__all__ = ["$cls"]
''')

LOOP = Template('''"""The $name loop: <say in one sentence what idea this loop embodies>.

Scaffolded by ``loopbench new-impl $name``. It starts as a complete, correct loop
(the shape of ``impls/heap_loop.py``): a ready deque, a heap of timers, and an idle
wait that sleeps until the next deadline, in a selector that also watches the
sockets of ``add_reader``/``add_writer`` and the ``sock_*`` coroutines (capability
``"io"``). Replace the part your idea is about and run the conformance kit after
every change::

    pytest --pyargs impls.conformance --impl $name

What you inherit from ``impls.base.BaseLoop`` (and need not write): the input checks
(contract clause 6), ``run_forever``/``run_until_complete``/``stop``/``close``, the
exception handler (clause 4), tasks and ``sleep`` (clause 5). What a loop provides is
below: where callbacks and timers wait, and one iteration. The iteration every
built-in runs, and the reference model checks (clause 7), is:

1. if nothing is ready and ``stop()`` was not called: wait until the earliest
   deadline (``self._clock.wait_until(deadline, wait)``: on a virtual clock that is
   a jump of time, so tests are exact and instant);
2. callbacks from other threads, then every timer with ``when <= time()``, in
   (when, arming order), join the back of the ready queue;
3. run the callbacks that are ready now; those they schedule wait for the next
   iteration. Skip cancelled handles.

I/O (``impls/readiness.py``): the ``Readiness`` mixin gives the loop asyncio's
``add_reader``/``add_writer``/``remove_*`` (with their checks) and the ``sock_*``
coroutines built on them. The loop keeps the watched fds (``_watch``/``_unwatch``;
here a ``SelectorWatch`` over a ``selectors`` selector) and, in its wait, puts the
callback of every ready fd on the ready queue. Readiness is level-triggered; a busy
loop still looks (without waiting) so that it cannot starve I/O. Drop ``Readiness``,
the selector and ``"io"`` if your loop does not do I/O: the kit then skips the I/O
clauses ($io_clauses) and says why.

The contract, clause by clause: ``impls.protocol.CONTRACT`` (and the README).
"""

from __future__ import annotations

import selectors
import time
from collections import deque

from impls.base import BaseLoop
from impls.handles import Handle, TimerHandle
from impls.readiness import Readiness, SelectorWatch
from impls.timerheap import TimerHeap


class $cls(Readiness, BaseLoop):
    """<One paragraph: how this loop works and what it teaches.>"""

    #: The name in impls.names(), reports and ``--impl``; must match the entry point.
    name = "$name"
    #: Add "threadsafe" only if call_soon_threadsafe can wake the loop while it waits.
    capabilities = frozenset({"timers", "tasks", "io"})

    def __init__(self, *, clock=None) -> None:
        super().__init__(clock=clock)
        self._ready: deque[Handle] = deque()      # callbacks ready to run (clause 1: FIFO)
        self._timers = TimerHeap()                 # armed timers (clause 2: by (when, arming order))
        self._selector = selectors.DefaultSelector()
        self._io = SelectorWatch(self._selector)   # watched fds (clauses $io_clauses)

    def _schedule(self, handle: Handle) -> None:
        """call_soon: put a ready handle at the back of the ready queue."""
        self._ready.append(handle)

    def _arm(self, timer: TimerHandle) -> None:
        """call_at/call_later: store the timer until ``time() >= timer.when()``."""
        self._timers.push(timer)

    def _timer_cancelled(self, timer: TimerHandle) -> None:
        """A stored timer was cancelled, from any thread (clause 9): only count it here.
        Cancellation is a flag; the store compacts itself on the loop's thread (clause 3)."""
        self._timers.note_cancelled()

    def _run_once(self) -> None:
        """One iteration: wait if idle, collect due timers, run what is ready now."""
        ready, timers, threadsafe = self._ready, self._timers, self._threadsafe
        tracer = self._tracer                      # loopbench explain's hook; None costs nothing
        if not ready and not threadsafe and not self._stopping:
            self._clock.wait_until(timers.deadline(), self._wait, tracer)
        elif self._io.count:
            self._wait(0)                          # busy, but fds are watched: collect the ready ones
        while threadsafe:
            ready.append(threadsafe.popleft())
        timers.pop_due(self._clock.time(), ready.append if tracer is None else self._trace_due(ready.append))
        for _ in range(len(ready)):
            handle = ready.popleft()
            if not handle._cancelled:
                handle._run()

    def _wait(self, timeout: float | None) -> bool:
        """Block up to ``timeout`` seconds (None: no limit); True if woken by a ready fd."""
        if not self._io.count:                     # no fd to wait for: just sleep
            if timeout is None:
                raise RuntimeError(f"{self.name} loop: nothing is ready, no timer is armed and no fd is "
                                   "watched; it cannot be woken by another thread, so it would sleep forever")
            if timeout > 0:
                time.sleep(timeout)
            return False
        found = []
        for key, mask in self._selector.select(timeout):
            found += self._io.ready(key.fd, mask)  # (handle, fd, kind) for each ready callback
        if self._tracer is not None:
            self._trace_ready(self._io.count, found)
        self._ready.extend(handle for handle, _, _ in found)
        return bool(found)

    def _watch(self, fd: int, kind: str, handle: Handle) -> Handle | None:
        """add_reader/add_writer: keep ``handle`` for ``fd``; return the one it replaces (or None)."""
        return self._io.watch(fd, kind, handle)

    def _unwatch(self, fd: int, kind: str) -> Handle | None:
        """remove_reader/remove_writer: forget ``fd``'s handle and return it (None if none)."""
        return self._io.unwatch(fd, kind)

    def _close(self) -> None:
        """Release resources: threads, selectors, sockets (not the user's). Called once by close()."""
        self._ready.clear()
        self._timers.clear()
        self._io.close()                           # unwatches every fd, lets go of its callback (clause $io_close)
''')

README = Template('''# loopbench-$name

The `$name` event loop, for loopbench (the `$distribution` distribution).

```sh
pip install -e .                                   # registers it (entry point loopbench.impls)
python -c "import impls; print(impls.names())"     # ... '$name' is listed
pytest --pyargs impls.conformance --impl $name     # the contract, clause by clause
loopbench run --runtimes $name,heap,asyncio        # compared with the others
```
''')


def class_name(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[_-]", name)) + "Loop"


def scaffold(name: str, directory: Path) -> Path:
    """Write ``directory/loopbench-NAME/``; return its path. Refuses to overwrite."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"implementation name must be lowercase letters, digits and _ "
                         f"(a Python identifier), got {name!r}")
    package = f"loopbench_{name}"
    root = Path(directory) / f"loopbench-{name}"
    if root.exists():
        raise FileExistsError(f"{root} already exists; not overwriting it")
    values = {"name": name, "package": package, "cls": class_name(name), "distribution": DISTRIBUTION,
              "io_clauses": f"{IO_CLAUSES[0]} to {IO_CLAUSES[-1]}", "io_close": IO_CLOSE_CLAUSE}
    (root / package).mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT.substitute(values))
    (root / "README.md").write_text(README.substitute(values))
    (root / package / "__init__.py").write_text(INIT.substitute(values))
    (root / package / "loop.py").write_text(LOOP.substitute(values))
    return root

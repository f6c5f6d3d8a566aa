"""``loopbench new-impl NAME``: scaffold a new implementation as an installable package.

It writes ``loopbench-NAME/`` with a ``pyproject.toml`` that registers the loop
through the ``loopbench.impls`` entry point, and a loop module whose every hook is
documented against the contract. The scaffolded loop is complete and correct (a
ready deque, a timer heap, a sleeping idle wait), so it passes the conformance kit
from the first minute; you then replace the part your idea is about, and re-run
the kit to see what you broke (``docs/extending.md``).
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

PYPROJECT = Template('''\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "loopbench-$name"
version = "0.1.0"
description = "The $name event loop, for loopbench"
requires-python = ">=3.11"
dependencies = ["loopbench"]

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
wait that sleeps until the next deadline. Replace the part your idea is about and
run the conformance kit after every change::

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

The contract, clause by clause: ``impls.protocol.CONTRACT`` (and the README).
"""

from __future__ import annotations

import time
from collections import deque

from impls.base import BaseLoop
from impls.handles import Handle, TimerHandle
from impls.timerheap import TimerHeap


class $cls(BaseLoop):
    """<One paragraph: how this loop works and what it teaches.>"""

    #: The name in impls.names(), reports and ``--impl``; must match the entry point.
    name = "$name"
    #: Add "threadsafe" only if call_soon_threadsafe can wake the loop while it waits.
    capabilities = frozenset({"timers", "tasks"})

    def __init__(self, *, clock=None) -> None:
        super().__init__(clock=clock)
        self._ready: deque[Handle] = deque()      # callbacks ready to run (clause 1: FIFO)
        self._timers = TimerHeap()                 # armed timers (clause 2: by (when, arming order))

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
            self._clock.wait_until(timers.deadline(), self._sleep, tracer)
        while threadsafe:
            ready.append(threadsafe.popleft())
        timers.pop_due(self._clock.time(), ready.append if tracer is None else self._trace_due(ready.append))
        for _ in range(len(ready)):
            handle = ready.popleft()
            if not handle._cancelled:
                handle._run()

    def _sleep(self, timeout: float | None) -> bool:
        """Block for ``timeout`` seconds; return True if woken by an event (never, here)."""
        if timeout is None:
            raise RuntimeError(f"{self.name} loop: nothing is ready and no timer is armed; it cannot be "
                               "woken by another thread, so it would sleep forever")
        if timeout > 0:
            time.sleep(timeout)
        return False

    def _close(self) -> None:
        """Release resources: threads, selectors, sockets. Called once by close()."""
        self._ready.clear()
        self._timers.clear()
''')

README = Template('''# loopbench-$name

The `$name` event loop, for [loopbench](https://pypi.org/project/loopbench/).

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
    values = {"name": name, "package": package, "cls": class_name(name)}
    (root / package).mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT.substitute(values))
    (root / "README.md").write_text(README.substitute(values))
    (root / package / "__init__.py").write_text(INIT.substitute(values))
    (root / package / "loop.py").write_text(LOOP.substitute(values))
    return root

"""The built-in walk-throughs, following the talk's agenda.

1. callbacks   ``call_soon(hello_world)``, then the callbacks run
2. timers      the slides' three timers, on a loop left to wait for each deadline
   slides      the same timers, run two seconds later: the slides' exact frames
3. generators  ``yield`` and ``yield from`` on a trampoline (needs "generators")
4. coroutine   one ``async def`` that sleeps
5. tasks       two tasks, one awaiting the other
   io           a task waits in ``sock_recv`` on a socket: the Selector box (needs "io")

Each program only uses the public protocol (``loop.call_at``, ``loop.create_task``,
...) and ``print``, so it runs on every implementation; the explainer draws what
the loop does with it. The names (``hello_world``, ``exit``) are the slides'; the
slides' program itself is ``impls.slides.slides_program``, shared with
``python -m impls.slides`` and the ``timers.slides*`` scenarios.
"""

from __future__ import annotations

import inspect
import textwrap
from dataclasses import dataclass
from typing import Any, Callable

from impls.slides import slides_program


@dataclass(frozen=True)
class Walkthrough:
    name: str
    title: str
    program: Callable[[Any, Any], None]        # program(loop, clock)
    requires: str | None = None                # a capability the loop must have
    uses: tuple[Callable, ...] = ()            # functions it calls whose code is shown above it

    @property
    def source(self) -> str:
        return "\n".join(textwrap.dedent(inspect.getsource(fn)) for fn in (*self.uses, self.program))


def callbacks(loop, clock):
    def hello_world():
        print("Hello World!")

    def exit():
        loop.stop()

    loop.call_soon(hello_world)
    loop.call_soon(exit)
    loop.run_forever()


def timers(loop, clock):
    slides_program(loop)      # the slides' three timers (above)
    loop.run_forever()


def slides(loop, clock):
    slides_program(loop)      # the slides' three timers (above)
    clock.advance(2)          # the slides run execute_timers() once both are due
    loop.run_forever()


def generators(loop, clock):
    def child():
        yield loop.sleep(1)
        return 42

    def parent():
        x = yield child()                # the trampoline runs child(), sends back 42
        print("child returned", x)
        y = yield from child()           # Python runs child() itself
        print("yield from returned", y)

    loop.run_until_complete(loop.create_task(parent()))


def coroutine(loop, clock):
    async def hello():
        print("Hello")
        await loop.sleep(1)
        print("World")

    loop.run_until_complete(hello())


def tasks(loop, clock):
    async def worker(delay):
        await loop.sleep(delay)
        print("worker done at", loop.time())
        return delay * 10

    async def main():
        task = loop.create_task(worker(2))
        await loop.sleep(1)
        print("main waits for worker")
        print("worker returned", await task)

    loop.run_until_complete(main())


def io(loop, clock):
    import socket

    ours, theirs = socket.socketpair()        # two connected sockets
    ours.setblocking(False)

    def peer_sends():
        theirs.send(b"Hello World!")

    async def main():
        data = await loop.sock_recv(ours, 100)    # nothing yet: main waits for fd readable
        print(data.decode())

    loop.call_at(1, peer_sends)
    loop.run_until_complete(main())
    ours.close()
    theirs.close()


WALKTHROUGHS: dict[str, Walkthrough] = {w.name: w for w in [
    Walkthrough("callbacks", "1. Callbacks: call_soon(hello_world)", callbacks),
    Walkthrough("timers", "2. Timers: call_at, the loop waits for each deadline", timers, uses=(slides_program,)),
    Walkthrough("slides", "2. Timers: the slides' example, frame by frame", slides, uses=(slides_program,)),
    Walkthrough("generators", "3. Generators and yield from, on a trampoline", generators,
                requires="generators"),
    Walkthrough("coroutine", "4. A coroutine: async def and await", coroutine),
    Walkthrough("tasks", "5. Tasks: one awaits another", tasks),
    Walkthrough("io", "6. I/O: a task waits for a socket; the loop watches its fd", io, requires="io"),
]}


def names() -> list[str]:
    return list(WALKTHROUGHS)


def get(name: str) -> Walkthrough:
    try:
        return WALKTHROUGHS[name]
    except KeyError:
        raise ValueError(f"no walk-through {name!r}; choose from {', '.join(WALKTHROUGHS)}") from None

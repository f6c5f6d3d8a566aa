"""asyncio (the default loop), asyncio with eager tasks, and uvloop: every operation is asyncio's own.

The loop's methods come through ``LoopApiRuntime`` (``loopapi.py``). A run is an
``asyncio.Runner`` on a fresh loop; groups are ``asyncio.TaskGroup``; ``gather`` is
``asyncio.gather``. ``call_soon_threadsafe`` is the ready queue plus a byte written to
the loop's self-pipe (asyncio) or a libuv async handle (uvloop). uvloop's
``loop.time()`` counts whole milliseconds. ``asyncio-eager`` is the default loop with
``asyncio.eager_task_factory`` (Python 3.12+): a new task runs inside ``create_task``
until its first suspension, and one that finishes there never visits the ready queue.
Evidence: docs/research/NOTES.md.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from ..runtime import Unavailable, group_outcome, require
from .loopapi import CreateTaskGroup, LoopApiRuntime


class AsyncioRuntime(LoopApiRuntime):
    name = "asyncio"
    distribution = None          # stdlib: the Python version is its version
    cancelled_error = asyncio.CancelledError
    notes = {"call_soon": "loop.call_soon", "call_at": "loop.call_at", "call_later": "loop.call_later",
             "call_soon_threadsafe": "loop.call_soon_threadsafe (ready queue and a self-pipe write)",
             "spawn": "loop.create_task", "task_group": "asyncio.TaskGroup",
             "sleep_until": "loop.call_at with a future, as asyncio.sleep does",
             "group_errors": "asyncio.TaskGroup", "gather_errors": "asyncio.gather",
             "timeout": "asyncio.timeout"}

    def new_loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.new_event_loop()

    def run(self, main):
        with asyncio.Runner(loop_factory=self.new_loop) as runner:
            self.loop = runner.get_loop()
            return runner.run(main())

    def sleep(self, seconds):
        return asyncio.sleep(seconds)

    def event(self):
        return asyncio.Event()

    def lock(self):
        return asyncio.Lock()

    def queue(self, maxsize: int = 0):
        return asyncio.Queue(maxsize)

    def timeout(self, seconds):
        return asyncio.timeout(seconds)

    @asynccontextmanager
    async def task_group(self):
        async with asyncio.TaskGroup() as group:
            yield CreateTaskGroup(group.create_task)

    async def group_errors(self, fns):
        tasks = []
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(fn()) for fn in fns]
            return {"raised": None}
        except BaseException as exc:
            return group_outcome(exc, tasks)

    async def gather_errors(self, fns):
        tasks = [self.loop.create_task(fn()) for fn in fns]
        try:
            await asyncio.gather(*tasks)
            return {"raised": None}
        except BaseException as exc:
            return group_outcome(exc, tasks)


class UvloopRuntime(AsyncioRuntime):
    name = "uvloop"
    distribution = "uvloop"
    notes = {**AsyncioRuntime.notes,
             "call_soon_threadsafe": "loop.call_soon_threadsafe (ready queue and a libuv async handle)"}

    def __init__(self) -> None:
        super().__init__()
        self._uvloop = require("uvloop")     # not built on Windows

    def new_loop(self):
        return self._uvloop.new_event_loop()


class AsyncioEagerRuntime(AsyncioRuntime):
    """The default loop with eager tasks: ``loop.set_task_factory(asyncio.eager_task_factory)``."""

    name = "asyncio-eager"
    notes = {**AsyncioRuntime.notes,
             "spawn": "loop.create_task with asyncio.eager_task_factory (runs the task until its first suspension)",
             "task_group": "asyncio.TaskGroup, its tasks eager"}

    def __init__(self) -> None:
        if not hasattr(asyncio, "eager_task_factory"):
            raise Unavailable("asyncio.eager_task_factory is new in Python 3.12")
        super().__init__()

    def new_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.new_event_loop()
        loop.set_task_factory(asyncio.eager_task_factory)
        return loop

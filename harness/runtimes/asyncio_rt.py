"""asyncio (the default loop) and uvloop: everything native, through asyncio's API.

``call_soon_threadsafe`` is ``loop.call_soon_threadsafe``: the ready queue plus a
byte written to the loop's self-pipe (asyncio) or a libuv async handle (uvloop).
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from ..runtime import Cancelled, Runtime, Unavailable, group_outcome


class AsyncioRuntime(Runtime):
    name = "asyncio"
    distribution = None          # stdlib: the Python version is its version

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None

    def new_loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.new_event_loop()

    def run(self, main):
        with asyncio.Runner(loop_factory=self.new_loop) as runner:
            self.loop = runner.get_loop()
            return runner.run(main())

    def run_forever(self, setup) -> None:
        self.loop = loop = self.new_loop()
        try:
            setup()
            loop.run_forever()
        finally:
            loop.close()

    def stop(self) -> None:
        self.loop.stop()

    def now(self) -> float:
        return self.loop.time()

    def sleep(self, seconds):
        return asyncio.sleep(seconds)

    def spawn(self, fn, *args):
        return self.loop.create_task(fn(*args))

    async def join(self, ref):
        try:
            return await ref
        except asyncio.CancelledError:
            if ref.cancelled():
                raise Cancelled() from None
            raise

    def cancel(self, ref) -> None:
        ref.cancel()

    def is_cancellation(self, exc: BaseException) -> bool:
        return isinstance(exc, asyncio.CancelledError)

    def call_soon(self, cb, *args):
        return self.loop.call_soon(cb, *args)

    def call_at(self, when, cb, *args):
        return self.loop.call_at(when, cb, *args)

    def call_later(self, delay, cb, *args):
        return self.loop.call_later(delay, cb, *args)

    def call_soon_threadsafe(self, cb, *args):
        return self.loop.call_soon_threadsafe(cb, *args)

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
            yield _TaskGroup(group)

    async def sleep_until(self, deadline):
        # What asyncio.sleep does underneath, at an absolute deadline: a future set by call_at.
        loop = self.loop
        future = loop.create_future()
        timer = loop.call_at(deadline, _set_result_unless_done, future)
        try:
            await future
        finally:
            timer.cancel()

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


class _TaskGroup:
    """``task_group()``'s object: ``asyncio.TaskGroup.create_task``, and the tasks kept for ``cancel``."""

    __slots__ = ("_create_task", "_tasks")

    def __init__(self, group: asyncio.TaskGroup) -> None:
        self._create_task, self._tasks = group.create_task, []

    async def spawn(self, fn, *args) -> None:
        self._tasks.append(self._create_task(fn(*args)))

    async def cancel(self) -> None:
        for task in self._tasks:
            task.cancel()


def _set_result_unless_done(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


class UvloopRuntime(AsyncioRuntime):
    name = "uvloop"
    distribution = "uvloop"

    def __init__(self) -> None:
        super().__init__()
        try:
            import uvloop
        except ImportError as exc:          # e.g. on Windows, where uvloop does not build
            raise Unavailable(f"uvloop is not installed: {exc}") from exc
        self._uvloop = uvloop

    def new_loop(self):
        return self._uvloop.new_event_loop()

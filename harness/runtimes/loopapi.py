"""What asyncio, uvloop and our loops share: a loop object with asyncio's method names.

``LoopApiRuntime`` maps the interface onto ``self.loop`` (set by ``run`` and
``run_forever``): ``time``, ``create_task``, ``call_soon``, ``call_at``, ``call_later``,
``call_soon_threadsafe``, ``run_forever``/``stop``; a task handle is the loop's own
task. ``sleep_until`` is a future set by ``call_at``, which is what ``asyncio.sleep``
does underneath, at an absolute deadline. A subclass names its loop (``new_loop``),
how a run runs, its ``sleep`` and its cancellation exception.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from .interface import Cancelled, Runtime


class LoopApiRuntime(Runtime):
    #: The exception a cancelled task sees (``asyncio.CancelledError``, ``impls.CancelledError``).
    cancelled_error: ClassVar[type[BaseException]]

    def __init__(self) -> None:
        self.loop: Any = None

    @abstractmethod
    def new_loop(self) -> Any:
        """A fresh loop."""

    def _future(self) -> Any:
        return self.loop.create_future()

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

    def spawn(self, fn, *args):
        return self.loop.create_task(fn(*args))

    async def join(self, ref):
        try:
            return await ref
        except self.cancelled_error:
            if ref.done() and ref.cancelled():
                raise Cancelled() from None
            raise

    def cancel(self, ref) -> None:
        ref.cancel()

    def is_cancellation(self, exc: BaseException) -> bool:
        return isinstance(exc, self.cancelled_error)

    def call_soon(self, cb, *args):
        return self.loop.call_soon(cb, *args)

    def call_at(self, when, cb, *args):
        return self.loop.call_at(when, cb, *args)

    def call_later(self, delay, cb, *args):
        return self.loop.call_later(delay, cb, *args)

    def call_soon_threadsafe(self, cb, *args):
        return self.loop.call_soon_threadsafe(cb, *args)

    async def sleep_until(self, deadline):
        future = self._future()
        timer = self.loop.call_at(deadline, _set_result_unless_done, future)
        try:
            await future
        finally:
            timer.cancel()


class CreateTaskGroup:
    """``task_group()``'s object over a ``create_task`` (``asyncio.TaskGroup``'s, or a loop's): the tasks are kept for ``cancel``."""

    __slots__ = ("_create_task", "tasks")

    def __init__(self, create_task) -> None:
        self._create_task, self.tasks = create_task, []

    async def spawn(self, fn, *args) -> None:
        self.tasks.append(self._create_task(fn(*args)))

    async def cancel(self) -> None:
        for task in self.tasks:
            task.cancel()


def _set_result_unless_done(future) -> None:
    if not future.done():
        future.set_result(None)

"""asyncio (the default loop) and uvloop: every operation is asyncio's own.

The loop's methods come through ``LoopApiRuntime`` (``loopapi.py``). A run is an
``asyncio.Runner`` on a fresh loop; groups are ``asyncio.TaskGroup``; ``gather`` is
``asyncio.gather``. ``call_soon_threadsafe`` is the ready queue plus a byte written to
the loop's self-pipe (asyncio) or a libuv async handle (uvloop). uvloop's
``loop.time()`` counts whole milliseconds. Evidence: docs/research/NOTES.md.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from ..runtime import NATIVE, UNSUPPORTED, group_outcome, require
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


class AsyncioLoopRuntime(AsyncioRuntime):
    """Any asyncio event loop, from its factory ("module:callable"): the scenarios and
    workloads run on it through asyncio's API, with no adapter code. Whatever the loop
    lacks shows up as the exception it raised, in the cell that needed it."""

    notes = {**AsyncioRuntime.notes, "call_soon_threadsafe": "loop.call_soon_threadsafe"}

    def __init__(self, name: str, spec: str) -> None:
        super().__init__()
        self.name, self.spec = name, spec
        module_name, _, attr = spec.partition(":")
        if not module_name or not attr:
            raise ValueError(f"an asyncio loop is given as module:factory, not {spec!r}")
        module = require(module_name)
        try:
            self._factory = getattr(module, attr)
        except AttributeError:
            raise ValueError(f"{module_name} has no {attr!r} (from {spec!r})") from None
        self.distribution = _distribution_of(module_name)

    def new_loop(self):
        loop = self._factory()
        if not isinstance(loop, asyncio.AbstractEventLoop):
            raise TypeError(f"{self.spec} returned {type(loop).__name__}, not an asyncio event loop")
        return loop


class RloopRuntime(AsyncioLoopRuntime):
    """rloop: an asyncio event loop written in Rust (on PyPI), beside uvloop's C."""

    def __init__(self) -> None:
        super().__init__("rloop", "rloop:new_event_loop")


def _distribution_of(module_name: str) -> str | None:
    import importlib.metadata

    names = importlib.metadata.packages_distributions().get(module_name.split(".")[0])
    return names[0] if names else None


class HostedRuntime(AsyncioRuntime):
    """One of our loops hosting asyncio's own Future and Task (``impls.asyncio_loop``):
    asyncio's C Task stepping coroutines on our scheduling. Named "NAME+asyncio"; beside
    "NAME", it shows what asyncio's C Task buys on our loop."""

    family = "loopbench"
    distribution = "loopbench"

    def __init__(self, impl: str) -> None:
        super().__init__()
        self.impl, self.name = impl, f"{impl}+asyncio"
        self.notes = {**AsyncioRuntime.notes, "spawn": f"asyncio's Task on the {impl} loop",
                      "task_group": f"asyncio.TaskGroup on the {impl} loop"}

    @property
    def capabilities(self) -> frozenset[str]:
        """The hosted loop's own (``impls.protocol.CAPABILITIES``)."""
        import impls

        loop = impls.create(self.impl)
        try:
            return frozenset(loop.capabilities)
        finally:
            loop.close()

    @property
    def support(self) -> dict[str, str]:
        # Another thread can wake the host only through a loop that can be woken.
        return {"call_soon_threadsafe": NATIVE if "threadsafe" in self.capabilities else UNSUPPORTED}

    def new_loop(self):
        import impls

        return impls.asyncio_loop(self.impl)

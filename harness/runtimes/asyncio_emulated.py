"""asyncio with the harness's emulated callbacks: the control for every emulation.

trio, curio and anyio get ``call_soon``/``call_at`` from the harness's callback service
(``emulation.py``), not from the library. This runtime runs the same service on
asyncio, whose own ``loop.call_soon``/``loop.call_at`` are known, so a report can show
what the service costs by itself, apart from any library: it is a control, not a
library under comparison (``control = True``). Its waiting is an ``asyncio.Event``
under ``asyncio.timeout_at``. A callback that raises ends the run with that exception
(``main`` is cancelled), as on the emulating adapters. Every other operation is
asyncio's own.
"""

from __future__ import annotations

import asyncio
import functools

from .interface import EMULATED, UNSUPPORTED, Unsupported
from .asyncio_rt import AsyncioRuntime
from .emulation import CallbackService

SERVICE = "the harness's callback service on asyncio: one task per run, a FIFO, a timer heap, an asyncio.Event"

NOT_EMULATED_IO = "a control for the callback emulation only: its I/O is asyncio's own, measured on asyncio"


#: The runtimes this module adapts, described once: ``harness.runtimes`` reads this literal
#: without importing the module (a library missing here costs only its own runtimes), and
#: everything else (the registry, the environment's library versions, the report's cards and
#: its families, the tests of native paths) derives from it. See docs/extending.md.
PEERS = {
    "asyncio-emulated": {
        "adapter": "AsyncioEmulatedRuntime", "family": "asyncio", "distribution": None, "control": True,
        "about": ["The control: the harness's own constructions run on asyncio, whose real operations are known."],
        "native_calls": {"task_group": "asyncio.TaskGroup",
                         "sleep_until": "asyncio.base_events.BaseEventLoop.call_at"},
    },
}


class AsyncioEmulatedRuntime(AsyncioRuntime):
    name = "asyncio-emulated"
    control = True
    support = {"call_soon": EMULATED, "call_at": EMULATED, "call_later": EMULATED,
               "run_forever": UNSUPPORTED, "stop": UNSUPPORTED,
               "open_stream": UNSUPPORTED, "serve_echo": UNSUPPORTED, "serve_echo_protocol": UNSUPPORTED}
    notes = {**AsyncioRuntime.notes, "call_soon": SERVICE, "call_at": SERVICE,
             "call_later": "call_at(now() + delay) on the callback service",
             "run_forever": "the callback service runs inside run(), as on the emulating adapters",
             "stop": "the callback service runs inside run(), as on the emulating adapters",
             "open_stream": NOT_EMULATED_IO, "serve_echo": NOT_EMULATED_IO, "serve_echo_protocol": NOT_EMULATED_IO}

    async def open_stream(self, sock):
        raise Unsupported(NOT_EMULATED_IO)

    async def serve_echo(self, listener, connections):
        raise Unsupported(NOT_EMULATED_IO)

    async def serve_echo_protocol(self, listener, connections):
        raise Unsupported(NOT_EMULATED_IO)

    def __init__(self) -> None:
        super().__init__()
        self._callbacks: CallbackService | None = None
        self._crash: BaseException | None = None
        self._main_task: asyncio.Task | None = None

    def run(self, main):
        return super().run(functools.partial(self._root, main))

    async def _root(self, main):
        self._callbacks, self._crash, self._main_task = None, None, asyncio.current_task()
        try:
            result = await main()
        except asyncio.CancelledError:
            if self._crash is None:
                raise
        if self._crash is not None:
            raise self._crash
        return result

    async def _serve_or_end_run(self, service: CallbackService) -> None:
        try:
            await service.serve()
        except Exception as exc:
            self._crash = exc               # run() raises it once main has stopped
            self._main_task.cancel()

    def _service(self) -> CallbackService:
        if self._callbacks is None:
            self._callbacks = service = CallbackService(self.loop.time, _Wakeup())
            self.loop.create_task(self._serve_or_end_run(service))
        return self._callbacks

    def call_soon(self, cb, *args):
        return self._service().call_soon(cb, *args)

    def call_at(self, when, cb, *args):
        return self._service().call_at(when, cb, *args)

    def call_later(self, delay, cb, *args):
        return self.call_at(self.now() + delay, cb, *args)

    def run_forever(self, setup) -> None:
        raise Unsupported(self.notes["run_forever"])

    def stop(self) -> None:
        raise Unsupported(self.notes["stop"])


class _Wakeup:
    """The callback service's waiting: an ``asyncio.Event`` under ``asyncio.timeout_at``."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def wake(self) -> None:
        self._event.set()

    async def pause(self) -> None:
        await asyncio.sleep(0)

    async def wait(self, deadline: float | None) -> None:
        self._event = event = asyncio.Event()
        try:
            async with asyncio.timeout_at(deadline):
                await event.wait()
        except TimeoutError:
            pass
